// docs/metrics.md definitions and the metric-side pitfalls; each test fails on the naive implementation it names.
import { describe, expect, it } from 'vitest';
import { emptyRecord, type RequestRecord, type RequestStatus } from '../../runner/lib/client/record.ts';
import {
  aggregateRun, bootstrapDiff, bootstrapMedianCI, cliffsDelta, cliffsMagnitude, deriveRequestMetrics,
  describe as describeStats, languageRates, mannWhitneyU, percentile, smallSampleWarning, summariseGpu, trialInterval,
} from '../../runner/lib/metrics/index.ts';
import { exponential, seededRng } from '../../runner/lib/random.ts';

let seq = 0;
/** A request sent at `sent`, token events at `events` (ms), `tokens` per event. */
function rec(o: { sent?: number; scheduled?: number; events: number[]; tokens?: number[]; out?: number; input?: number; done?: number; status?: RequestStatus; warm?: boolean }): RequestRecord {
  const sent = o.sent ?? 0;
  const r = emptyRecord({ request_id: `r${seq++}`, protocol: 'openai-chat', stream: true, is_warmup: o.warm ?? false, t_scheduled: o.scheduled ?? sent });
  r.t_sent = sent;
  r.event_times = o.events;
  r.event_tokens = o.tokens ?? o.events.map(() => 1);
  r.t_first_token = o.events[0] ?? null;
  r.t_last_token = o.events.at(-1) ?? null;
  r.t_done = o.done ?? (o.events.at(-1) ?? sent) + 5;
  r.output_tokens = o.out ?? r.event_tokens.reduce((a, b) => a + b, 0);
  r.input_tokens = o.input ?? 10;
  r.status = o.status ?? 'ok';
  return r;
}

describe('percentiles (numpy linear)', () => {
  it.each([
    [[1, 2, 3, 4, 10], 90, 7.6],
    [[15, 20, 35, 40, 50], 40, 29],
    [[1, 2, 3, 4], 50, 2.5],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99.01],
    [[5], 99, 5],
  ])('percentile(%j, %d) = %d', (xs, p, want) => {
    expect(percentile(xs, p)).toBeCloseTo(want, 10);
  });
  it('describe uses population std and is order-independent', () => {
    const s = describeStats([4, 2, 4, 4, 5, 5, 7, 9]);
    expect(s.std).toBe(2);
    expect([s.mean, s.min, s.max, s.count]).toEqual([5, 2, 9, 8]);
    expect(describeStats([]).p50).toBeNull();
  });
  it('warns when p99 rests on too few samples', () => {
    expect(smallSampleWarning(50, 99)).toMatch(/50 samples/);
    expect(smallSampleWarning(2000, 99)).toBeNull();
  });
});

describe('per-request metrics', () => {
  it('pitfall 2: an event carrying k tokens yields k per-token ITLs, not one gap', () => {
    const m = deriveRequestMetrics(rec({ events: [100, 110, 140], tokens: [1, 1, 3] }));
    expect(m.itl_event_ms).toEqual([10, 30]);
    expect(m.itl_ms).toEqual([10, 10, 10, 10]);
  });

  it('pitfall 4: TPOT excludes the first token; ITL mean is a different number when events batch', () => {
    const m = deriveRequestMetrics(rec({ events: [100, 110, 140], tokens: [1, 1, 3] }));
    // (140 − 100) / (5 − 1); naive (e2e / out) would be 140 / 5 = 28.
    expect(m.tpot_ms).toBe(10);
    expect(m.ttft_ms).toBe(100);
    expect(deriveRequestMetrics(rec({ events: [50] })).tpot_ms).toBeNull();
  });

  it('pitfall 5: queue time is reported and kept out of TTFT', () => {
    const m = deriveRequestMetrics(rec({ scheduled: 0, sent: 40, events: [90, 95] }));
    expect(m.queue_ms).toBe(40);
    expect(m.ttft_ms).toBe(50);
  });

  it('pitfall 10: e2e ends at the last token; the close is separate', () => {
    const m = deriveRequestMetrics(rec({ events: [10, 20], done: 300 }));
    expect([m.e2e_ms, m.e2e_close_ms]).toEqual([20, 300]);
  });
});

describe('run aggregates', () => {
  it('pitfall 3: throughput counts tokens, not events', () => {
    // Two requests, 3 events each carrying 4 tokens, window 1 s.
    const s = aggregateRun([rec({ events: [100, 200, 300], tokens: [4, 4, 4], done: 1000 }), rec({ events: [100, 200, 300], tokens: [4, 4, 4], done: 500 })]);
    expect(s.window_s).toBe(1);
    expect(s.output_throughput).toBe(24);
    expect(s.request_throughput).toBe(2);
  });

  it('pitfall 6: output tokens are what the server reported, never max_tokens', () => {
    const s = aggregateRun([rec({ events: [10, 20], out: 7, done: 1000 })]);
    expect(s.output_throughput).toBe(7);
  });

  it('pitfall 7: failures are excluded from latency, counted by class, and keep their place in the window', () => {
    const s = aggregateRun([
      rec({ events: [100], done: 500 }),
      rec({ events: [5], status: 'stream_error_event', done: 2000 }),
      rec({ events: [], status: 'timeout', done: 1500 }),
    ]);
    expect(s.ttft.count).toBe(1);
    expect(s.ttft.p50).toBe(100);
    expect(s.success_rate).toBeCloseTo(1 / 3);
    expect(s.errors).toEqual({ stream_error_event: 1, timeout: 1 });
    expect(s.window_s).toBe(2);
  });

  it('warmups are stored but excluded', () => {
    const s = aggregateRun([rec({ events: [9000], warm: true, done: 9999 }), rec({ sent: 10_000, events: [10_050], done: 10_100 })]);
    expect([s.n_total, s.n_warmup, s.n_measured]).toEqual([2, 1, 1]);
    expect(s.ttft.max).toBe(50);
    expect(s.window_s).toBeCloseTo(0.1);
  });

  it('goodput counts ok requests meeting every SLO', () => {
    const s = aggregateRun(
      [rec({ events: [100, 110], done: 1000 }), rec({ events: [3000, 3010] }), rec({ events: [100, 400], out: 2 })],
      { slo: { ttft_ms: 2000, tpot_ms: 100 } },
    );
    expect(s.window_s).toBeCloseTo(3.015);
    expect(s.goodput).toBeCloseTo(1 / 3.015);
    expect(aggregateRun([rec({ events: [1] })]).goodput).toBeNull();
  });
});

describe('trials and comparisons', () => {
  it('trial mean ± sample std and the 95% t-interval of the mean (scipy.stats.t.ppf(0.975, df))', () => {
    expect(trialInterval([10, 30])).toEqual({ mean: 20, std: Math.sqrt(200), n: 2, lo: 20 - 12.706 * 10, hi: 20 + 12.706 * 10 });
    const t3 = trialInterval([1, 2, 6]);
    expect(t3.lo).toBeCloseTo(3 - (4.303 * Math.sqrt(7)) / Math.sqrt(3), 9);
    expect(trialInterval([5])).toEqual({ mean: 5, std: null, n: 1, lo: null, hi: null });
  });

  it('bootstrap CI is reproducible and covers the true median of a known distribution', () => {
    const rng = seededRng(1);
    const xs = Array.from({ length: 400 }, () => exponential(rng, 1));
    const a = bootstrapMedianCI(xs, { seed: 5 });
    expect(bootstrapMedianCI(xs, { seed: 5 })).toEqual(a);
    expect(a!.lo).toBeLessThan(Math.LN2);
    expect(a!.hi).toBeGreaterThan(Math.LN2);
    expect(a!.hi - a!.lo).toBeLessThan(0.3);
  });

  it('bootstrap difference excludes 0 for clearly shifted samples and includes it for identical ones', () => {
    const rng = seededRng(2);
    const a = Array.from({ length: 200 }, () => 100 + 10 * rng());
    const b = a.map((x) => x + 20);
    const d = bootstrapDiff(a, b, (xs) => percentile(xs, 50), { seed: 3 })!;
    expect(d.estimate).toBeCloseTo(20, 5);
    expect(d.lo).toBeGreaterThan(0);
    const same = bootstrapDiff(a, a, (xs) => percentile(xs, 50), { seed: 3 })!;
    expect(same.lo).toBeLessThan(0);
    expect(same.hi).toBeGreaterThan(0);
  });

  it('Mann–Whitney U matches the textbook value (scipy asymptotic p = 0.0809 for 1,2,3 vs 4,5,6)', () => {
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6])!;
    expect(r.u).toBe(0);
    expect(r.p).toBeCloseTo(0.0809, 3);
    expect(mannWhitneyU([1, 2, 3], [1, 2, 3])!.p).toBeCloseTo(1, 5);
  });

  it("Cliff's delta and its magnitude", () => {
    expect(cliffsDelta([1, 2, 3], [4, 5, 6])).toBe(-1);
    // more: 4>3 (1 pair); less: 4+4+3+2 = 13 pairs; ties 2 → (1 − 13) / 16
    expect(cliffsDelta([1, 2, 3, 4], [3, 4, 5, 6])).toBe(-12 / 16);
    expect(cliffsDelta([5, 5], [5, 5])).toBe(0);
    expect(cliffsMagnitude(0.1)).toBe('negligible');
    expect(cliffsMagnitude(-0.4)).toBe('medium');
    expect(cliffsMagnitude(0.8)).toBe('large');
  });
});

describe('Korean vs English (H5)', () => {
  it('characters per second over the generation, tokens per character, input token ratio', () => {
    const ko = rec({ events: [100, 1100], out: 21, input: 30 });
    ko.output_text = '가'.repeat(40);
    const en = rec({ events: [100, 1100], out: 21, input: 20 });
    en.output_text = 'a'.repeat(80);
    const rk = languageRates(ko, '질문');
    const re = languageRates(en, 'question');
    expect(rk.chars_per_s).toBe(40);
    expect(re.chars_per_s).toBe(80);
    expect(rk.tokens_per_char_out).toBeCloseTo(21 / 40);
    expect(rk.input_chars).toBe(2);
  });
});

describe('GPU', () => {
  it('energy by trapezoid, tokens per joule; no samples → no GPU', () => {
    const s = (t: number, p: number, mem = 1000) => ({ t_ms: t, gpu_index: 0, memory_used_mib: mem, memory_total_mib: 80_000, util_pct: 50, power_w: p });
    const g = summariseGpu([s(0, 100), s(500, 200, 3000), s(1000, 200), s(5000, 999)], { start_ms: 0, end_ms: 1000 }, 300);
    // (100+200)/2·0.5 + (200+200)/2·0.5 = 75 + 100
    expect(g.energy_j).toBe(175);
    expect(g.output_tokens_per_joule).toBeCloseTo(300 / 175);
    expect(g.memory_peak_mib).toBe(3000);
    expect(summariseGpu([], { start_ms: 0, end_ms: 1 }, 1).energy_j).toBeNull();
  });
});
