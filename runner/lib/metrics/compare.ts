// Comparing two samples (framework A vs B): a bootstrap CI on the difference, a rank test, and an effect size.
import { errorFunction } from 'simple-statistics';
import { seededRng } from '../random.ts';
import { percentile } from './percentile.ts';
import type { BootstrapOptions, Interval } from './trials.ts';

/** statistic(b) − statistic(a), with a percentile bootstrap CI resampling each group independently. */
export function bootstrapDiff(a: readonly number[], b: readonly number[], statistic: (xs: number[]) => number, opts: BootstrapOptions): Interval | null {
  if (a.length === 0 || b.length === 0) return null;
  const rng = seededRng(opts.seed);
  const reps = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  const resample = (xs: readonly number[]): number[] => Array.from({ length: xs.length }, () => xs[Math.floor(rng() * xs.length)]!);
  const diffs: number[] = new Array(reps);
  for (let i = 0; i < reps; i++) diffs[i] = statistic(resample(b)) - statistic(resample(a));
  const alpha = (1 - level) / 2;
  return { estimate: statistic([...b]) - statistic([...a]), lo: percentile(diffs, alpha * 100), hi: percentile(diffs, (1 - alpha) * 100) };
}

export interface MannWhitney {
  /** U of sample a. */
  u: number;
  z: number;
  /** Two-sided, normal approximation with tie correction and continuity correction. */
  p: number;
}

export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitney | null {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return null;
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const n = n1 + n2;
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j + 2) / 2;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k]!.g === 0) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, z: 0, p: 1 };
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  const p = Math.min(1, 1 - errorFunction(Math.max(z, 0) / Math.SQRT2));
  return { u, z: Math.sign(u - mu) * Math.max(z, 0), p };
}

/** P(a > b) − P(a < b): the probability-of-superiority effect size, robust to outliers and skew. */
export function cliffsDelta(a: readonly number[], b: readonly number[]): number | null {
  if (a.length === 0 || b.length === 0) return null;
  const sb = [...b].sort((x, y) => x - y);
  const below = (v: number): number => {
    let lo = 0;
    let hi = sb.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sb[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const above = (v: number): number => {
    let lo = 0;
    let hi = sb.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sb[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    return sb.length - lo;
  };
  let more = 0;
  let less = 0;
  for (const v of a) {
    more += below(v);
    less += above(v);
  }
  return (more - less) / (a.length * b.length);
}

export type Magnitude = 'negligible' | 'small' | 'medium' | 'large';

/** Romano et al. (2006) thresholds. */
export function cliffsMagnitude(d: number): Magnitude {
  const x = Math.abs(d);
  if (x < 0.147) return 'negligible';
  if (x < 0.33) return 'small';
  if (x < 0.474) return 'medium';
  return 'large';
}
