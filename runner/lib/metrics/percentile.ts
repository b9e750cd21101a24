// Percentiles exactly as numpy's default (linear interpolation between closest ranks), the convention of vLLM's and
// SGLang's benchmarks, so numbers here compare with theirs.

export interface Stats {
  count: number;
  mean: number | null;
  /** Population standard deviation (ddof = 0), as numpy.std and vLLM report it. */
  std: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

/** Percentile `p` (0–100) of values already sorted ascending. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const rank = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

export function percentile(values: readonly number[], p: number): number {
  return percentileSorted([...values].sort((a, b) => a - b), p);
}

export function describe(values: readonly number[]): Stats {
  const n = values.length;
  if (n === 0) return { count: 0, mean: null, std: null, min: null, max: null, p50: null, p90: null, p95: null, p99: null };
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / n;
  let sq = 0;
  for (const v of sorted) sq += (v - mean) ** 2;
  return {
    count: n,
    mean,
    std: Math.sqrt(sq / n),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
  };
}

/**
 * A percentile from too few samples is just the extreme value (p99 of 50 requests is one request). Warns when fewer
 * than 10 samples lie beyond the quoted percentile.
 */
export function smallSampleWarning(count: number, p: number, metric = 'value'): string | null {
  const beyond = (count * (100 - p)) / 100;
  if (count === 0 || beyond >= 10) return null;
  return `${metric} p${p} rests on ${count} samples (${beyond < 1 ? 'less than one' : `about ${Math.round(beyond)}`} beyond it): treat it as indicative`;
}
