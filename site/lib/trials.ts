// Trials of a point (the same point repeated within a sweep) combined for tables and charts: the mean of each headline
// figure, its standard deviation and its 95% t-interval across trials (runner/lib/metrics/trials.ts).
import { trialInterval } from '../../runner/lib/metrics/trials.ts';
import type { SummaryRow } from './data.ts';

/** Figures that get a mean, a spread and an interval across trials. */
export const TRIAL_FIGURES = [
  'ttft_p50', 'ttft_p90', 'ttft_p99', 'tpot_p50', 'tpot_p99', 'itl_p50', 'itl_p99', 'e2e_p50', 'e2e_p99',
  'output_throughput', 'request_throughput', 'goodput',
] as const;

export type TrialRow = SummaryRow & { trials: number } & Record<string, unknown>;

/** One row per point and sweep; with several trials each figure is their mean, with `_sd`, `_lo` and `_hi` beside it. */
export function combineTrials(rows: readonly SummaryRow[]): TrialRow[] {
  const groups = new Map<string, SummaryRow[]>();
  for (const r of rows) {
    const k = [r.framework, r.model, r.host, r.sweep_id, r.scenario, r.point_id].join('\u0000');
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: TrialRow[] = [];
  for (const trials of groups.values()) {
    const valid = trials.filter((t) => t.valid);
    // An invalid trial is never averaged in; a point whose trials are all invalid stays one invalid row.
    const base = valid[0] ?? trials[0]!;
    const row: TrialRow = { ...base, trials: valid.length > 0 ? valid.length : trials.length };
    if (valid.length > 1) {
      for (const f of TRIAL_FIGURES) {
        const s = trialInterval(valid.map((t) => t[f]).filter((v): v is number => v !== null && v !== undefined).map(Number));
        row[f] = s.mean;
        row[`${f}_sd`] = s.std;
        row[`${f}_lo`] = s.lo;
        row[`${f}_hi`] = s.hi;
      }
    }
    out.push(row);
  }
  return out;
}
