// The sweep command: arguments → config → targets one after another → Parquet → summary and exports.
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ConfigError, loadConfig, type SweepConfig } from '../config/config.ts';
import { loadCountingTokenizer } from '../prompts/index.ts';
import { safeKey } from '../store/schema.ts';
import { acquireLock, lockKey, LockHeldError, type LockHandle } from '../store/lock.ts';
import { checkParquet, CorruptDataError } from '../store/read.ts';
import { completedRunIds, sweepIdsFor } from '../store/writer.ts';
import type { ScenarioPoint } from '../scenarios/points.ts';
import { applyArgsToConfig, parseSweepArgs, SWEEP_HELP, UsageError, type SweepArgs } from './args.ts';
import { writeExports } from './exports.ts';
import { consoleReporter, summaryTable } from './progress.ts';
import { newSweepId, runIdOf, runSweep, type SweepResult } from './sweep.ts';
import { EXIT } from './args.ts';
import { findExecutable } from '../lifecycle/launch.ts';
import { gpuEnvironment } from '../monitors/gpu.ts';
import { expandScenarios } from '../scenarios/points.ts';
import { checkPromptFiles } from './materialize.ts';
import { formatPlan, planSweep } from './plan.ts';
import { serverRoot, startTarget } from './start-target.ts';

async function ask(args: SweepArgs, config: SweepConfig): Promise<SweepArgs> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  // Lines are read through the iterator, which buffers them: answers piped in ahead of their questions are not lost.
  const lines = rl[Symbol.asyncIterator]();
  try {
    const pick = async (question: string, options: string[], dflt: string): Promise<string> => {
      process.stderr.write(`${question} [${options.join('/')}] (${dflt}): `);
      const next = await lines.next();
      const a = next.done ? '' : String(next.value).trim();
      return a === '' ? dflt : a;
    };
    const target = await pick('target', Object.keys(config.targets), args.targets.join(','));
    const model = await pick('model', Object.keys(config.models), args.model ?? config.targets[target]?.model ?? 'reference');
    const profile = await pick('workload profile', Object.keys(config.profiles), args.profile);
    return { ...args, targets: target.split(','), model, profile };
  } finally {
    rl.close();
  }
}

export interface MainIo {
  tty: boolean;
  /** Whether nvidia-smi reports a GPU here (injected by tests). */
  hasGpu?: () => Promise<boolean>;
}

const gpuPresent = async (): Promise<boolean> => ((await gpuEnvironment().catch(() => null))?.gpus.length ?? 0) > 0;

export async function main(argv: Record<string, unknown>, io: MainIo = { tty: process.stderr.isTTY === true }): Promise<number> {
  let args: SweepArgs;
  try {
    args = parseSweepArgs(argv);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  if (args.help) {
    process.stdout.write(SWEEP_HELP + '\n');
    return 0;
  }
  // On a GPU box the bare command runs the design on every framework it can start; elsewhere, the reference server.
  const gpuBox = args.bare && (await (io.hasGpu ?? gpuPresent)());
  if (gpuBox) args = { ...args, targets: ['all'], profile: 'full' };
  let config: SweepConfig;
  let targets: string[];
  try {
    if (args.interactive) args = await ask(args, await loadConfig({ path: args.config ?? undefined, profile: args.profile }));
    ({ config, targets } = applyArgsToConfig(args, await loadConfig({ path: args.config ?? undefined, profile: args.profile })));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  // Users' prompt files are read whole before anything starts: a bad line found after a model load wastes minutes.
  const points = expandScenarios(config, args.scenarios);
  const promptProblems = await checkPromptFiles(points);
  if (promptProblems.length > 0) {
    process.stderr.write(`error: ${promptProblems.length} problem(s) in prompt files:\n${promptProblems.map((p) => `  ${p}`).join('\n')}\n`);
    return EXIT.usage;
  }
  if (gpuBox || args.dryRun) {
    const plan = await planSweep(config, targets, args.scenarios, args.trials ?? config.defaults.trials, {
      findExecutable,
      path: process.env.PATH ?? '',
      reachable: async (url) => (await fetch(serverRoot(url) + '/v1/models', { signal: AbortSignal.timeout(3000) }).catch(() => null))?.ok === true,
    });
    process.stderr.write(formatPlan(plan, args.profile) + '\n');
    if (args.dryRun) return EXIT.ok;
    if (gpuBox) {
      // A GPU box runs what it can: targets without a launcher here are reported above and left out.
      targets = plan.runnable.map((t) => t.name);
      if (targets.length === 0) {
        process.stderr.write('error: no configured target can run here (see the plan above); install a framework or set its command/venv in --config\n');
        return EXIT.failed;
      }
    }
  }
  const dataDir = resolve(args.outputDir);
  await mkdir(dataDir, { recursive: true });
  // A corrupt file would make resume redo (or skip) the wrong points and every later query answer from part of a table.
  const check = await checkParquet(dataDir);
  if (check.bad.length > 0) {
    process.stderr.write(`error: ${new CorruptDataError(dataDir, check.bad).message}\n`);
    return EXIT.failed;
  }
  let sweepId: string;
  if (args.resume === true) {
    const trials = args.trials ?? config.defaults.trials;
    const unfinished = await latestUnfinishedSweep(dataDir, targets, points, trials);
    if (unfinished.sweepId === null) {
      process.stderr.write(`error: --resume: ${unfinished.why}\n`);
      return EXIT.usage;
    }
    sweepId = unfinished.sweepId;
  } else {
    sweepId = args.resume ?? newSweepId();
  }
  // One sweep at a time per data directory and set of targets: two writers of the same points would race.
  let lock: LockHandle;
  try {
    lock = await acquireLock(dataDir, lockKey(targets), { command: process.argv.slice(1).join(' '), sweep_id: sweepId });
  } catch (err) {
    if (err instanceof LockHeldError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
  if (lock.tookOverStale) process.stderr.write(`note: took over a stale lock (${lock.stale?.reason ?? 'its holder is gone'})\n`);
  const trials = args.trials ?? config.defaults.trials;
  process.stderr.write(`sweep ${sweepId} · profile ${args.profile} · targets ${targets.join(', ')} · scenarios ${args.scenarios.join(', ')} · ${trials} trial(s)\n`);

  const ac = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) process.stderr.write('\ninterrupted: stopping after cleanup (the point in flight is dropped; --resume continues)\n');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const reporter = consoleReporter({ tty: io.tty });
  try {
    const result = await runSweep(
      { config, targets, scenarios: args.scenarios, trials, profile: args.profile, dataDir, logDir: join(dataDir, 'logs'), sweepId, host: safeKey(hostname()), signal: ac.signal },
      { startTarget, loadTokenizer: loadCountingTokenizer as (n: string) => ReturnType<typeof loadCountingTokenizer>, reporter },
    );
    reporter.close();
    process.stdout.write(summaryTable(result) + '\n');
    if (result.points.length > 0 && result.diskFull === null) {
      const dir = await writeExports(dataDir, sweepId);
      process.stdout.write(`results: ${dataDir} (Parquet) · exports: ${dir}\n`);
    }
    if (result.diskFull !== null) process.stderr.write(`error: disk full: ${result.diskFull}\n`);
    return exitCode(result);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lock.release();
  }
}

/** Exit codes, as --help documents them: 0 all measured, 1 a target, point or measurement failed, 130 interrupted. */
export function exitCode(result: SweepResult): number {
  if (result.interrupted) return EXIT.interrupted;
  const failed = result.diskFull !== null || result.failedTargets.length > 0 || result.failedPoints.length > 0 || result.points.some((p) => p.invalid !== null);
  if (failed || (result.points.length === 0 && result.skipped === 0)) return EXIT.failed;
  return EXIT.ok;
}

/**
 * The newest sweep of these targets that still lacks a point of this plan (missing or invalid), so --resume without
 * an id never continues another framework's sweep, nor one that is already complete.
 */
export async function latestUnfinishedSweep(dataDir: string, targets: readonly string[], points: readonly ScenarioPoint[], trials: number): Promise<{ sweepId: string | null; why: string }> {
  const sweeps = await sweepIdsFor(dataDir, targets);
  if (sweeps.length === 0) return { sweepId: null, why: `no sweep of ${targets.join(', ')} found under ${dataDir}` };
  for (const id of sweeps) {
    const done = await completedRunIds(dataDir, id);
    const missing = targets.some((t) => points.some((p) => Array.from({ length: trials }, (_, i) => runIdOf(id, t, p, i + 1)).some((r) => !done.has(r))));
    if (missing) return { sweepId: id, why: '' };
  }
  return { sweepId: null, why: `every sweep of ${targets.join(', ')} under ${dataDir} is complete (latest ${sweeps[0]}); start a new one without --resume` };
}
