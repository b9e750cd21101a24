import { describe, expect, it } from 'vitest';
import { arrivalOffsets, interArrivalGaps } from '../../runner/lib/load/arrivals.ts';

function take(spec: Parameters<typeof interArrivalGaps>[0], n: number): number[] {
  const g = interArrivalGaps(spec);
  return Array.from({ length: n }, () => g.next().value);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cv = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2))) / m;
};

/** Kolmogorov–Smirnov statistic of the sample against a CDF. */
function ks(xs: number[], cdf: (x: number) => number): number {
  const s = [...xs].sort((a, b) => a - b);
  let d = 0;
  s.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs((i + 1) / s.length - f), Math.abs(f - i / s.length));
  });
  return d;
}

describe('open-loop arrivals (fixed seed)', () => {
  const n = 20_000;

  it('constant: every gap is 1/rate', () => {
    expect(new Set(take({ kind: 'constant', rate: 20, seed: 1 }, 100))).toEqual(new Set([50]));
  });

  it('poisson: mean gap 1/rate and exponentially distributed (KS at 1%)', () => {
    const gaps = take({ kind: 'poisson', rate: 10, seed: 7 }, n);
    // Three standard errors of the mean (100 / sqrt(n) ≈ 0.71 ms).
    expect(Math.abs(mean(gaps) - 100)).toBeLessThan(2.2);
    // Critical value at alpha = 0.01: 1.63 / sqrt(n).
    expect(ks(gaps, (x) => 1 - Math.exp(-x / 100))).toBeLessThan(1.63 / Math.sqrt(n));
    // A constant schedule would fail this: exponential gaps have CV 1.
    expect(cv(gaps)).toBeGreaterThan(0.97);
    expect(cv(gaps)).toBeLessThan(1.03);
  });

  it('gamma: same mean rate for every burstiness, CV = 1/sqrt(burstiness)', () => {
    for (const b of [0.25, 1, 4]) {
      const gaps = take({ kind: 'gamma', rate: 50, burstiness: b, seed: 3 }, n);
      expect(Math.abs(mean(gaps) - 20) / 20).toBeLessThan(0.03);
      expect(Math.abs(cv(gaps) - 1 / Math.sqrt(b))).toBeLessThan(0.05 / Math.sqrt(b));
    }
  });

  it('is reproducible from the seed and differs across seeds', () => {
    expect(take({ kind: 'poisson', rate: 5, seed: 42 }, 10)).toEqual(take({ kind: 'poisson', rate: 5, seed: 42 }, 10));
    expect(take({ kind: 'poisson', rate: 5, seed: 42 }, 10)).not.toEqual(take({ kind: 'poisson', rate: 5, seed: 43 }, 10));
  });

  it('bounds by count, by duration, or whichever ends first', () => {
    expect(arrivalOffsets({ kind: 'constant', rate: 10, seed: 0 }, { count: 3 })).toEqual([0, 100, 200]);
    expect(arrivalOffsets({ kind: 'constant', rate: 10, seed: 0 }, { durationMs: 350 })).toEqual([0, 100, 200, 300]);
    expect(arrivalOffsets({ kind: 'constant', rate: 10, seed: 0 }, { count: 2, durationMs: 1000 })).toHaveLength(2);
    const offs = arrivalOffsets({ kind: 'poisson', rate: 100, seed: 9 }, { durationMs: 60_000 });
    expect(Math.abs(offs.length - 6000) / 6000).toBeLessThan(0.05);
  });

  it('rejects bad specs with the field named', () => {
    expect(() => arrivalOffsets({ kind: 'poisson', rate: 0, seed: 0 }, { count: 1 })).toThrow(/rate/);
    expect(() => arrivalOffsets({ kind: 'gamma', rate: 1, burstiness: -1, seed: 0 }, { count: 1 })).toThrow(/burstiness/);
    expect(() => arrivalOffsets({ kind: 'poisson', rate: 1, seed: 0 }, {})).toThrow(/count or a duration/);
  });
});
