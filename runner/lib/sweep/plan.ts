// What a sweep will do, before it does it: which targets can run here (a launcher found, or an attached server
// answering) and why the others cannot, how many points, and a rough time. Printed before every sweep on a GPU box
// and alone with --dry-run. Pure: the executable lookup and the probe are injected.
import { delimiter } from 'node:path';
import { adapterFor } from '../adapters/index.ts';
import type { ScenarioName, SweepConfig } from '../config/config.ts';
import { expandScenarios, type ScenarioPoint } from '../scenarios/points.ts';
import { resolveModel } from './sweep.ts';

export interface PlannedTarget {
  name: string;
  framework: string;
  model: string;
  how: string;
}

export interface SweepPlan {
  runnable: PlannedTarget[];
  skipped: Array<{ name: string; framework: string; why: string }>;
  pointsPerTarget: number;
  requestsPerTarget: number;
  /** A rough wall-clock estimate for every runnable target, seconds (stated as rough wherever shown). */
  estimateS: number;
}

export interface PlanDeps {
  findExecutable(command: string, path: string): string | null;
  /** True when an attached server answers at this base URL. */
  reachable(baseUrl: string): Promise<boolean>;
  path: string;
}

/** Seconds one point takes at an assumed 30 ms per output token and 150 ms to the first (a GPU-class server). */
function pointSeconds(p: ScenarioPoint): number {
  const count = p.plan.bound.count;
  if (count === undefined) return (p.plan.bound.durationMs ?? 0) / 1000;
  const concurrency = p.plan.mode.kind === 'closed' ? p.plan.mode.concurrency : (p.plan.mode.maxConcurrency ?? 1);
  const perRequest = 0.15 + 0.03 * p.max_tokens;
  return ((count + p.plan.warmups) / Math.max(1, concurrency)) * perRequest;
}

export async function planSweep(config: SweepConfig, targets: readonly string[], scenarios: readonly ScenarioName[], trials: number, deps: PlanDeps): Promise<SweepPlan> {
  const points = expandScenarios(config, scenarios);
  const plan: SweepPlan = {
    runnable: [],
    skipped: [],
    pointsPerTarget: points.length * trials,
    requestsPerTarget: points.reduce((a, p) => a + (p.plan.bound.count ?? 0), 0) * trials,
    estimateS: 0,
  };
  const perTarget = points.reduce((a, p) => a + pointSeconds(p), 0) * trials;
  for (const name of targets) {
    const t = config.targets[name]!;
    const adapter = adapterFor(t.framework);
    const model = resolveModel(config, t);
    if (t.base_url !== undefined) {
      if (await deps.reachable(String(t.base_url))) plan.runnable.push({ name, framework: t.framework, model: t.model, how: `attach to ${String(t.base_url)}` });
      else plan.skipped.push({ name, framework: t.framework, why: `nothing answers at ${String(t.base_url)}` });
      continue;
    }
    const spec = adapter.launch(t, model, t.model);
    if (spec === null) {
      plan.skipped.push({ name, framework: t.framework, why: 'attach-only: give its base_url' });
      continue;
    }
    const path = [...spec.pathPrefix, deps.path].join(delimiter);
    const exe = deps.findExecutable(spec.command, path);
    if (exe === null) plan.skipped.push({ name, framework: t.framework, why: `"${spec.command}" not found${spec.pathPrefix.length > 0 ? ` in ${spec.pathPrefix.join(', ')} or` : ''} on PATH` });
    else plan.runnable.push({ name, framework: t.framework, model: t.model, how: `start ${exe}` });
  }
  // Each launch also loads a model: a couple of minutes on a GPU box.
  plan.estimateS = plan.runnable.length * (perTarget + 120);
  return plan;
}

const duration = (s: number): string => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

export function formatPlan(plan: SweepPlan, profile: string): string {
  const lines = [`plan (profile ${profile}): ${plan.pointsPerTarget} points and ${plan.requestsPerTarget} measured requests per target`];
  for (const t of plan.runnable) lines.push(`  ✔ ${t.name} (${t.framework}, ${t.model}): ${t.how}`);
  for (const t of plan.skipped) lines.push(`  ✖ ${t.name} (${t.framework}): not run — ${t.why}`);
  lines.push(`  about ${duration(plan.estimateS)} in all (rough: assumes 30 ms per output token and 2 min to load each model)`);
  return lines.join('\n');
}
