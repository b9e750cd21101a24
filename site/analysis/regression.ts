// The regression view: two sweeps of the same framework, model and host, point by point. A change counts only when it
// is outside run-to-run noise: the bootstrap 95% CI of the difference of per-request medians excludes zero, and the
// change is at least MIN_CHANGE of the older value (a real but tiny shift is not a regression worth a headline).
import { bootstrapDiff } from '../../runner/lib/metrics/compare.ts';
import { percentile } from '../../runner/lib/metrics/percentile.ts';

export const MIN_CHANGE = 0.05;
const SEED = 20261124;
const med = (xs: readonly number[]): number => percentile(xs, 50);

export interface PointChange {
  point: string;
  metric: string;
  before: number;
  after: number;
  /** (after − before) / before. */
  change: number;
  /** 95% CI of the change, relative to `before`. */
  ci: [number, number];
  n: [number, number];
  /** Outside run-to-run noise (CI excludes 0 and |change| ≥ MIN_CHANGE). */
  significant: boolean;
}

/** Per-request samples of one metric for each point of the older and the newer sweep. */
export function comparePoints(metric: string, before: Map<string, number[]>, after: Map<string, number[]>): PointChange[] {
  const out: PointChange[] = [];
  for (const [point, a] of before) {
    const b = after.get(point);
    if (b === undefined || a.length < 5 || b.length < 5) continue;
    const d = bootstrapDiff(a, b, med, { seed: SEED, resamples: 1000 })!;
    const base = med(a);
    if (!(base > 0)) continue;
    const change = d.estimate / base;
    const ci: [number, number] = [d.lo / base, d.hi / base];
    out.push({ point, metric, before: base, after: med(b), change, ci, n: [a.length, b.length], significant: (ci[0] > 0 || ci[1] < 0) && Math.abs(change) >= MIN_CHANGE });
  }
  return out.sort((x, y) => x.point.localeCompare(y.point));
}
