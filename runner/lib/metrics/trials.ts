// Trials (a point repeated N times) and bootstrap confidence intervals.
import { seededRng } from '../random.ts';
import { percentile } from './percentile.ts';

export interface TrialStat {
  mean: number | null;
  /** Sample standard deviation across trials (ddof = 1); null with fewer than two trials. */
  std: number | null;
  n: number;
}


export function meanStd(values: readonly number[]): TrialStat {
  const n = values.length;
  if (n === 0) return { mean: null, std: null, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? null : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, std, n };
}


export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

export interface BootstrapOptions {
  seed: number;
  resamples?: number;
  level?: number;
}

/** Percentile-method bootstrap CI of a statistic, reproducible from the seed. */
export function bootstrapCI(values: readonly number[], statistic: (xs: number[]) => number, opts: BootstrapOptions): Interval | null {
  if (values.length === 0) return null;
  const rng = seededRng(opts.seed);
  const b = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  const n = values.length;
  const stats: number[] = new Array(b);
  const sample: number[] = new Array(n);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < n; j++) sample[j] = values[Math.floor(rng() * n)]!;
    stats[i] = statistic(sample);
  }
  const alpha = (1 - level) / 2;
  return { estimate: statistic([...values]), lo: percentile(stats, alpha * 100), hi: percentile(stats, (1 - alpha) * 100) };
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);
export const p99 = (xs: readonly number[]): number => percentile(xs, 99);
export const bootstrapMedianCI = (values: readonly number[], opts: BootstrapOptions) => bootstrapCI(values, median, opts);
export const bootstrapP99CI = (values: readonly number[], opts: BootstrapOptions) => bootstrapCI(values, p99, opts);

/** Two-sided 95% Student t critical values for 1–30 degrees of freedom; beyond, the normal 1.96 is within 2%. */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/**
 * Mean ± sample standard deviation across trials, with the 95% t-interval of the mean: the run-to-run spread a reader
 * needs to judge a difference between frameworks. Fewer than two trials: no spread, no interval.
 */
export function trialInterval(values: readonly number[]): TrialStat & { lo: number | null; hi: number | null } {
  const s = meanStd(values);
  if (s.mean === null || s.std === null) return { ...s, lo: null, hi: null };
  const half = (T95[s.n - 2] ?? 1.96) * (s.std / Math.sqrt(s.n));
  return { ...s, lo: s.mean - half, hi: s.mean + half };
}
