// The sweep: every target one after another (they share the GPU), every scenario point × trial against it, each
// point written to Parquet before the next starts. A target that cannot start is reported and skipped; an interrupted
// sweep resumes from the points already on disk.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StreamingClient } from '../client/send.ts';
import type { RequestRecord } from '../client/record.ts';
import type { ModelConfig, ScenarioName, SweepConfig, TargetConfig } from '../config/config.ts';
import { runLoad } from '../load/generator.ts';
import { deriveRequestMetrics } from '../metrics/request.ts';
import { aggregateRun, failureClasses, type RunSummary } from '../metrics/run.ts';
import { serverView } from '../metrics/server.ts';
import { exactTokenPrompt, type CountingTokenizer } from '../prompts/index.ts';
import { makeSalter, type Salter } from '../prompts/salt.ts';
import { expandScenarios, type ScenarioPoint } from '../scenarios/points.ts';
import { SCHEMA_VERSION, safeKey } from '../store/schema.ts';
import { DiskFullError, freeBytes, isDiskFull, pointBytes } from '../store/space.ts';
import { completedRunIds, writePoint, type Row } from '../store/writer.ts';
import { expectedInputTokens, promptInstances, requestMaker, saltKey, saltPrompt, sharesPrompt, warmupPrompt, type PromptInstance, type RequestSettings } from './materialize.ts';
import { pointResources, requestRow, runsRow, summaryRow } from './rows.ts';
import type { StartTarget } from './start-target.ts';
import type { RunningTarget } from './target.ts';

export interface SweepOptions {
  config: SweepConfig;
  targets: string[];
  scenarios: ScenarioName[];
  trials: number;
  profile: string;
  dataDir: string;
  /** Server logs and per-sweep files live under `<logDir>/<sweepId>/`. */
  logDir: string;
  sweepId: string;
  host: string;
  signal?: AbortSignal;
}

export interface SweepReporter {
  targetStarting(name: string): void;
  targetFailed(name: string, error: Error): void;
  pointSkipped(target: string, point: ScenarioPoint, trial: number): void;
  pointStarting(target: string, point: ScenarioPoint, trial: number, requests: number | null): void;
  requestDone(record: RequestRecord): void;
  pointDone(target: string, point: ScenarioPoint, trial: number, summary: RunSummary, invalid: string | null): void;
  pointFailed(target: string, point: ScenarioPoint, trial: number, error: Error): void;
}

export interface SweepDeps {
  startTarget: StartTarget;
  /** Where points are written and how much room is left (tests inject a full disk). */
  store?: { writePoint: typeof writePoint; freeBytes: (dir: string) => Promise<number> };
  loadTokenizer(name: string): Promise<CountingTokenizer>;
  reporter: SweepReporter;
  now?: () => Date;
}

export interface PointResult {
  target: string;
  framework: string;
  scenario: string;
  point: string;
  trial: number;
  summary: RunSummary;
  client_limited: boolean;
  /** Why the point is not a measurement (server died, too many failures); null for a valid point. */
  invalid: string | null;
}

export interface SweepResult {
  sweepId: string;
  points: PointResult[];
  skipped: number;
  failedTargets: Array<{ target: string; error: string }>;
  /** Points that threw (not written): redone by --resume. */
  failedPoints: Array<{ target: string; scenario: string; point: string; trial: number; error: string }>;
  /** Set when the sweep stopped because the data directory is (nearly) full: what was kept and how to go on. */
  diskFull: string | null;
  interrupted: boolean;
}

export function newSweepId(now: Date = new Date()): string {
  // Sorts by time, so "the latest sweep" is max(sweep_id).
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z') + '-' + Math.random().toString(36).slice(2, 6);
}

/**
 * The longest prompt plus output of any point, in tokens, with room for the chat template: what one server slot must
 * hold. Prompts of unknown length (Korean pairs, task sets, users' files) are taken as 4096.
 */
export function maxSequenceTokens(points: readonly ScenarioPoint[], config: SweepConfig): number {
  const lengths = points.map((p) => {
    const pr = p.prompts;
    const prompt = pr.kind === 'filler' ? pr.input_tokens : pr.kind === 'prefix' ? pr.system_tokens + pr.question_tokens : 4096;
    return prompt + p.max_tokens + 128;
  });
  return Math.max(config.defaults.max_tokens + 128, ...lengths);
}

export function runIdOf(sweepId: string, target: string, point: ScenarioPoint, trial: number): string {
  return safeKey(`${sweepId}_${target}_${point.scenario}_${point.point_id}_t${trial}`);
}

/** The model entry a target refers to; an unknown name is taken as a custom model served under that name. */
export function resolveModel(config: SweepConfig, target: TargetConfig): ModelConfig {
  return config.models[target.model] ?? { served_name: target.model, tokenizer: 'o200k' };
}

export async function runSweep(opts: SweepOptions, deps: SweepDeps): Promise<SweepResult> {
  const { config } = opts;
  const reporter = deps.reporter;
  const points = expandScenarios(config, opts.scenarios);
  const done = await completedRunIds(opts.dataDir, opts.sweepId);
  const result: SweepResult = { sweepId: opts.sweepId, points: [], skipped: 0, failedTargets: [], failedPoints: [], diskFull: null, interrupted: false };
  const logDir = join(opts.logDir, opts.sweepId);
  await mkdir(logDir, { recursive: true });

  const store = deps.store ?? { writePoint, freeBytes };
  let stopAll = false;
  for (const name of opts.targets) {
    if (opts.signal?.aborted || stopAll) break;
    const targetConfig = config.targets[name];
    if (targetConfig === undefined) throw new Error(`unknown target "${name}"`);
    const todo = points.flatMap((p) => Array.from({ length: opts.trials }, (_, i) => ({ point: p, trial: i + 1 })));
    const pending: typeof todo = [];
    for (const item of todo) {
      if (done.has(runIdOf(opts.sweepId, name, item.point, item.trial))) reporter.pointSkipped(name, item.point, item.trial);
      else pending.push(item);
    }
    result.skipped += todo.length - pending.length;
    if (pending.length === 0) continue;

    reporter.targetStarting(name);
    const model = resolveModel(config, targetConfig);
    let target: RunningTarget;
    try {
      // Before a server is even started: no point in loading a model whose first point could not be saved.
      await ensureRoom(opts.dataDir, pending[0]!.point, store);
      target = await deps.startTarget(name, targetConfig, model, { logDir, protocol: config.defaults.protocol, maxSequenceTokens: maxSequenceTokens(points, config), ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      if (err instanceof DiskFullError) {
        result.diskFull = `${err.message}; free space under ${opts.dataDir} and continue with --resume ${opts.sweepId}`;
        reporter.targetFailed(name, new Error(result.diskFull));
        break;
      }
      reporter.targetFailed(name, err as Error);
      result.failedTargets.push({ target: name, error: (err as Error).message });
      continue;
    }
    const client = new StreamingClient({ baseUrl: target.baseUrl, apiKey: target.apiKey }, { reuseConnections: target.reuseConnections });
    // On interrupt, requests in flight end at once: the point is dropped anyway and redone by --resume.
    const abortInFlight = (): void => void client.close();
    opts.signal?.addEventListener('abort', abortInFlight, { once: true });
    try {
      const tokenizer = await deps.loadTokenizer(model.tokenizer);
      const salter = makeSalter(tokenizer, config.defaults.seed);
      const { settings, notes: calibrationNotes } = await requestSettings(config, target, client, tokenizer, salter);
      target.notes.push(...calibrationNotes);
      const environment = await target.environment();
      for (const { point, trial } of pending) {
        if (opts.signal?.aborted) break;
        await ensureRoom(opts.dataDir, point, store);
        if (!(await target.alive())) throw new Error(`${name} stopped answering (server died?) before ${point.scenario} ${point.label}`);
        try {
          const r = await runPoint({ opts, deps, target, client, tokenizer, salter, settings, environment, point, trial, store });
          result.points.push(r);
        } catch (err) {
          if (err instanceof DiskFullError || isDiskFull(err)) throw err instanceof DiskFullError ? err : new DiskFullError(`writing ${point.scenario} ${point.label} failed: ${(err as Error).message}`);
          reporter.pointFailed(name, point, trial, err as Error);
          if (!opts.signal?.aborted) result.failedPoints.push({ target: name, scenario: point.scenario, point: point.label, trial, error: (err as Error).message });
          if (!(await target.alive())) throw new Error(`${name} died during ${point.scenario} ${point.label}: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      if (err instanceof DiskFullError) {
        // Nothing more can be saved: stop the whole sweep at once instead of measuring points that would be lost.
        result.diskFull = `${err.message}. Every point finished before it is on disk (the one in flight is not); free space under ${opts.dataDir} and continue with --resume ${opts.sweepId}`;
        reporter.targetFailed(name, new Error(result.diskFull));
        stopAll = true;
      } else {
        reporter.targetFailed(name, err as Error);
        result.failedTargets.push({ target: name, error: (err as Error).message });
      }
    } finally {
      opts.signal?.removeEventListener('abort', abortInFlight);
      await client.close();
      await target.stop();
    }
  }
  result.interrupted = opts.signal?.aborted === true;
  return result;
}

/**
 * Request settings for a target, with two calibrations measured by tiny requests: the tokens its chat template adds
 * (one user message; system + user), and how its tokenizer counts the client's prompts. When the client tokenizer is
 * not the server's, expected lengths are scaled and the gap is noted, so a deviation is not mistaken for truncation.
 */
async function requestSettings(config: SweepConfig, target: RunningTarget, client: StreamingClient, tokenizer: CountingTokenizer, salter: Salter): Promise<{ settings: RequestSettings; notes: string[] }> {
  const d = config.defaults;
  const settings: RequestSettings = {
    protocol: target.protocol,
    model: target.modelId,
    temperature: d.temperature,
    seed: d.seed,
    ignore_eos: d.ignore_eos && target.capabilities.ignoreEos,
    include_usage: target.capabilities.includeUsage,
    continuous_usage: target.capabilities.continuousUsage,
    template_overhead: { base: 0, per_message: 0 },
    token_ratio: { en: 1, ko: 1 },
    truncation_tolerance: 0.02,
    ...(target.ollamaOptions !== undefined ? { ollama_options: target.ollamaOptions } : {}),
  };
  const notes: string[] = [];
  const serverCount = async (messages: Array<{ role: 'system' | 'user'; content: string }>): Promise<number | null> => {
    const r = await client.send(
      { protocol: settings.protocol, model: settings.model, messages, stream: true, max_tokens: 1, temperature: 0, include_usage: settings.include_usage, extra: target.requestExtras({ cachesPrefix: false, protocol: settings.protocol }), ...(settings.ollama_options ? { ollama_options: settings.ollama_options } : {}) },
      { requestId: 'calibration', tScheduled: performance.now(), isWarmup: true, timeoutMs: d.timeout_s * 1000 },
    );
    if (r.status !== 'ok' && r.status !== 'empty_output') throw new Error(`calibration request failed (${r.status}): ${r.error_message ?? ''}`);
    return r.input_tokens;
  };
  // Calibration prompts are salted like every other request, so none of them seeds a cache a measured prompt could hit.
  const hello = salter.salt('calibration/hello') + 'Hello there';
  const one = await serverCount([{ role: 'user', content: hello }]);
  const two = await serverCount([{ role: 'system', content: salter.salt('calibration/system') + 'Be brief.' }, { role: 'user', content: hello }]);
  if (one === null || two === null) {
    notes.push('the server reports no prompt token counts: prompt lengths cannot be checked');
    return { settings, notes };
  }
  // Per language, fit the ratio from a long and a short single-message prompt, so the template cancels out.
  for (const language of ['en', 'ko'] as const) {
    const filler = salter.salt(`calibration/${language}`) + exactTokenPrompt({ language, tokens: 200, tokenizer }).text;
    const long = await serverCount([{ role: 'user', content: filler }]);
    const ratio = long === null ? 1 : (long - one) / (tokenizer.count(filler) - tokenizer.count(hello));
    settings.token_ratio[language] = Number.isFinite(ratio) && ratio > 0 ? ratio : 1;
  }
  const en = settings.token_ratio.en;
  settings.template_overhead.base = one - Math.round(tokenizer.count(hello) * en);
  settings.template_overhead.per_message = two - one - Math.round(tokenizer.count(salter.salt('calibration/system') + 'Be brief.') * en);
  const off = Object.entries(settings.token_ratio).filter(([, r]) => Math.abs(r - 1) > 0.02);
  if (off.length > 0) {
    // Per-prompt ratios scatter around the calibrated one (code, punctuation), so only a large shortfall — the kind
    // num_ctx truncation causes — still counts as truncation.
    settings.truncation_tolerance = 0.35;
    notes.push(`client tokenizer ${tokenizer.name} differs from the server's (${off.map(([l, r]) => `${l}: ${r.toFixed(3)}`).join(', ')} server tokens per client token): input lengths are approximate`);
  }
  return { settings, notes };
}

/**
 * The server's own count of the point's first prompt, before it is sent, where the adapter knows a /tokenize. A count
 * without the chat template is compared with the content alone. Servers without one are skipped: the prompt tokens
 * every response reports are checked per request anyway.
 */
export async function checkWithTokenize(target: RunningTarget, prompt: PromptInstance, settings: RequestSettings): Promise<{ expected: number; server: number; templated: boolean } | null> {
  const counted = await target.tokenize(prompt.messages).catch(() => null);
  if (counted === null) return null;
  const expected = counted.templated ? expectedInputTokens(prompt, settings) : expectedInputTokens(prompt, { ...settings, template_overhead: { base: 0, per_message: 0 } });
  return { expected, server: counted.tokens, templated: counted.templated };
}

interface PointContext {
  opts: SweepOptions;
  deps: SweepDeps;
  target: RunningTarget;
  client: StreamingClient;
  tokenizer: CountingTokenizer;
  salter: Salter;
  store: NonNullable<SweepDeps['store']>;
  settings: RequestSettings;
  environment: Record<string, unknown>;
  point: ScenarioPoint;
  trial: number;
}

async function runPoint(ctx: PointContext): Promise<PointResult> {
  const { opts, deps, target, client, tokenizer, salter, point, trial } = ctx;
  const defaults = opts.config.defaults;
  const runId = runIdOf(opts.sweepId, target.name, point, trial);
  const count = point.plan.bound.count ?? null;
  const prompts = await promptInstances(point.prompts, tokenizer, count ?? 100, salter);
  // Framework-specific fields for this point (llama.cpp: no prompt cache outside the prefix-cache scenario).
  const extra = target.requestExtras({ cachesPrefix: point.prompts.kind === 'prefix', protocol: ctx.settings.protocol });
  const settings: RequestSettings = Object.keys(extra).length > 0 ? { ...ctx.settings, extra } : ctx.settings;
  const runKey = `${point.scenario}/${point.point_id}/t${trial}`;
  deps.reporter.pointStarting(target.name, point, trial, count);

  const notes = [...target.notes];
  let reset: { ok: boolean; detail: string } | null = null;
  if (point.reset_prefix_cache) {
    reset = target.capabilities.prefixCacheReset ? await target.resetPrefixCache() : { ok: false, detail: `${target.framework} has no prefix-cache reset` };
    if (!reset.ok) notes.push(`prefix cache not reset: ${reset.detail}`);
  }
  // Where ignore_eos is not sent, the target's notes already say why (the adapter's ignoreEosNote).
  const firstPrompt = saltPrompt(prompts[0]!, salter.salt(saltKey(runKey, point.prompts, point.plan.warmups, false)), salter.tokens);
  const tokenizeCheck = await checkWithTokenize(target, firstPrompt, settings);
  if (tokenizeCheck !== null && Math.abs(tokenizeCheck.server - tokenizeCheck.expected) > 0.02 * tokenizeCheck.expected) {
    notes.push(`server /tokenize counts ${tokenizeCheck.server} tokens for the first prompt, the client expected ${tokenizeCheck.expected}`);
  }

  const make = requestMaker(point, prompts, settings, warmupPrompt(prompts[0]!, tokenizer), { salter, runKey });
  const promptByIndex = new Map<number, PromptInstance>();
  const startedAt = (deps.now ?? (() => new Date()))();
  const monitors = target.startMonitors();
  const load = await runLoad(point.plan, {
    makeRequest: (i, warm) => {
      const r = make(i, warm);
      promptByIndex.set(i, r.prompt);
      return r;
    },
    send: (planned, c) =>
      client.send(planned.request, {
        requestId: c.requestId,
        tScheduled: c.tScheduled,
        isWarmup: c.isWarmup,
        timeoutMs: defaults.timeout_s * 1000,
        expectedInputTokens: planned.expectedInputTokens ?? null,
        countTokens: (t) => tokenizer.count(t),
        truncationTolerance: settings.truncation_tolerance,
      }),
    onRecord: (r) => deps.reporter.requestDone(r),
    idPrefix: runId,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const samples = await monitors.stop();
  const endedAt = (deps.now ?? (() => new Date()))();
  if (load.interrupted) throw new Error('interrupted: this point is not written and will be redone by --resume');
  const serverDied = !(await target.alive());

  // Template tokens before the first message: every request shares them, so only caching beyond them is a hit.
  const templateTokens = settings.template_overhead.base + settings.template_overhead.per_message;
  const sequential = point.plan.mode.kind === 'closed' && point.plan.mode.concurrency === 1;
  const summary = aggregateRun(load.records, { slo: defaults.slo, templateTokens, sequential });
  const invalid = invalidReason(summary, serverDied, defaults.max_failure_share);
  const cacheReset = reset === null ? null : resetOutcome(reset, load.records, templateTokens);
  if (!sharesPrompt(point.prompts) && (summary.cross_check.cache_hit_share ?? 0) > 0) {
    notes.push(`${Math.round((summary.cross_check.cache_hit_share ?? 0) * 100)}% of requests were partly served from a prefix cache although no prompt of this point shares a prefix with an earlier one`);
  }
  const framework = target.framework;
  const indexOf = (r: RequestRecord): number => Number(r.request_id.slice(runId.length + 1));
  const requests = load.records.map((r) =>
    requestRow(r, { run_id: runId, framework, scenario: point.scenario, request_index: indexOf(r), prompt: promptByIndex.get(indexOf(r)), templateTokens }),
  );
  const tag = (rows: Row[]): Row[] => rows.map((row) => ({ ...row, run_id: runId, framework }));
  const runs = runsRow({
    runId, framework, sweepId: opts.sweepId, host: opts.host, target, point, trial, profile: opts.profile, settings, extra,
    salt: { seed: defaults.seed, tokens: salter.tokens, shared_within_point: sharesPrompt(point.prompts) },
    startedAt, endedAt, calibration: load.calibration,
    environment: { ...ctx.environment, template_overhead: settings.template_overhead, token_ratio: settings.token_ratio, tokenize_check: tokenizeCheck },
    notes, invalid, cacheReset,
  });

  await ctx.store.writePoint(opts.dataDir, { host: opts.host, framework, sweep: opts.sweepId }, runId, {
    runs,
    requests,
    summary: summaryRow(summary, { run_id: runId, framework, scenario: point.scenario, point: point.label, trial }, pointResources(load.records, samples.gpu, samples.host)),
    gpu: tag(samples.gpu),
    host: tag(samples.host),
    server_metrics: tag(samples.server_metrics),
  });
  deps.reporter.pointDone(target.name, point, trial, summary, invalid);
  return { target: target.name, framework, scenario: point.scenario, point: point.label, trial, summary, client_limited: load.calibration.client_limited, invalid };
}

/** Stops the sweep before a point whose data would not fit (twice its estimate, plus a margin for everything else). */
async function ensureRoom(dataDir: string, point: ScenarioPoint, store: NonNullable<SweepDeps['store']>): Promise<void> {
  const need = 2 * pointBytes(point) + 64 * 1024 * 1024;
  const free = await store.freeBytes(dataDir).catch(() => Number.POSITIVE_INFINITY);
  if (free < need) {
    throw new DiskFullError(`only ${Math.round(free / 1048576)} MB free under ${dataDir}; ${point.scenario} ${point.label} needs about ${Math.round(need / 1048576)} MB`);
  }
}

/**
 * Whether the reset before a point took: servers answer 200 without proving it (vLLM says so in its code), so the
 * point's first measured request must have computed its whole prompt beyond the shared template.
 */
export function resetOutcome(reset: { ok: boolean; detail: string }, records: readonly RequestRecord[], templateTokens: number): string {
  if (!reset.ok) return `not reset: ${reset.detail}`;
  const first = records.filter((r) => !r.is_warmup && r.status === 'ok').sort((a, b) => a.t_sent - b.t_sent)[0];
  if (first === undefined) return 'reset (unverified: no request succeeded)';
  const cached = serverView(first, deriveRequestMetrics(first)).server_cache_n ?? first.cached_tokens;
  if (cached === null) return 'reset (unverified: the server reports no cached tokens)';
  return cached > templateTokens + 16 ? `reset answered OK but did not take: the first request reused ${cached} cached tokens` : 'reset, verified: the first request computed its whole prompt';
}

/**
 * A point is not a measurement when its server died during it, or when more of its measured requests failed than
 * the configured share: a crash must never be charted as a throughput collapse (docs/metrics.md, pitfall 14).
 */
export function invalidReason(s: RunSummary, serverDied: boolean, maxFailureShare: number): string | null {
  const failed = s.n_measured - s.n_ok;
  const reasons: string[] = [];
  if (serverDied) reasons.push('the server died during the point');
  if (s.n_measured > 0 && failed / s.n_measured > maxFailureShare) {
    reasons.push(`${failed} of ${s.n_measured} requests failed (${failureClasses(s.errors)}), above the ${Math.round(maxFailureShare * 1000) / 10}% limit`);
  }
  return reasons.length > 0 ? reasons.join('; ') : null;
}

