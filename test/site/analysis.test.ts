// H1–H5 on synthetic Parquet where the right verdict is known, and the pure rules on hand-made samples.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { h1, h2, h3, h4, h5 } from '../../site/analysis/hypotheses.ts';
import { DEFAULT_SPEEDS, writeSyntheticSweep } from '../fixtures/synthetic/generate.ts';

async function verdictsFor(frameworks: typeof DEFAULT_SPEEDS) {
  const dir = await mkdtemp(join(tmpdir(), 'sb-synth-'));
  await writeSyntheticSweep({ dataDir: dir, frameworks, requestsPerPoint: 30 });
  vi.resetModules();
  process.env.SERVEBENCH_DATA_DIR = dir;
  const { computeHypotheses } = await import('../../site/analysis/compute.ts');
  const groups = await computeHypotheses();
  expect(groups).toHaveLength(1);
  return Object.fromEntries(groups[0]!.verdicts.map((v) => [v.id, v]));
}

describe('hypotheses on synthetic sweeps', () => {
  it('a sweep built to support every hypothesis is judged so', async () => {
    const v = await verdictsFor(DEFAULT_SPEEDS);
    expect(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x.verdict]))).toEqual({ H1: 'supported', H2: 'supported', H3: 'supported', H4: 'supported', H5: 'supported' });
    expect(v.H1!.test?.ci?.[0]).toBeGreaterThan(0);
    expect(v.H1!.effect?.magnitude).toBe('large');
    // Every verdict cites its sample sizes.
    for (const id of ['H1', 'H2', 'H3', 'H4', 'H5']) expect(v[id]!.evidence.map((e) => e.value.en).join(' '), id).toMatch(/n = \d+/);
  });

  it('reversed speeds refute them', async () => {
    const s = DEFAULT_SPEEDS;
    const v = await verdictsFor({
      vllm: { ...s.vllm!, prefixFactor: 0.6 },
      sglang: { ...s.sglang!, prefixFactor: 1 },
      ollama: { ...s.ollama!, tpotMs: 4, slope: 0.12, ttftMs: 120, koTokenRatio: 1.4 },
      reference: { ...s.reference!, slope: 0.13, koTokenRatio: 1.4 },
    });
    expect(v.H1!.verdict).toBe('refuted');
    expect(v.H2!.verdict).toBe('refuted');
    expect(v.H3!.verdict).toBe('refuted');
  });

  it('a reference-only sweep has not enough data and names what is missing', async () => {
    const v = await verdictsFor({ reference: DEFAULT_SPEEDS.reference! });
    for (const id of ['H1', 'H2', 'H3', 'H4', 'H5']) expect(v[id]!.verdict).toBe('not_enough_data');
    expect(v.H1!.missing.map((m) => m.en).join(' ')).toMatch(/sglang.*vllm|vllm.*sglang/);
    expect(v.H2!.missing.map((m) => m.en).join(' ')).toMatch(/ollama/);
    expect(v.H4!.missing.map((m) => m.en).join(' ')).toMatch(/have: reference/);
  });
});

describe('H1 tests the design\'s quantity: throughput with the prefill, where a prefix cache acts', () => {
  const s = DEFAULT_SPEEDS;
  // Decode speed identical in the prefix_cache scenario; only the cache's effect on the prefill differs.
  const same = { prefixFactor: 1 };
  it('flips with the prefill-inclusive throughput even when decode speed does not', async () => {
    const sglangCaches = await verdictsFor({ vllm: { ...s.vllm!, ...same, prefixTtftFactor: 1 }, sglang: { ...s.sglang!, ...same, ttftMs: 40, tpotMs: 8, prefixTtftFactor: 0.1 } });
    expect(sglangCaches.H1!.verdict).toBe('supported');
    const vllmCaches = await verdictsFor({ vllm: { ...s.vllm!, ...same, prefixTtftFactor: 0.1 }, sglang: { ...s.sglang!, ...same, ttftMs: 40, tpotMs: 8, prefixTtftFactor: 1 } });
    expect(vllmCaches.H1!.verdict).toBe('refuted');
    expect(vllmCaches.H1!.evidence.map((e) => e.label.en)).toContain('vllm: TTFT of later requests ÷ the first');
  });

  it('is inconclusive, saying why, when a server\'s cache was not reset before the scenario', async () => {
    const v = await verdictsFor({ vllm: { ...s.vllm!, prefixReset: 'not reset: POST /reset_prefix_cache answered HTTP 404' }, sglang: s.sglang! });
    expect(v.H1!.verdict).toBe('inconclusive');
    expect(v.H1!.missing.map((m) => m.en).join(' ')).toMatch(/vllm: prefix cache not reset before the scenario \(not reset: POST \/reset_prefix_cache answered HTTP 404\)/);
    expect(v.H1!.test?.ci?.[0]).toBeGreaterThan(0);
  });
});

describe('hypothesis rules', () => {
  const fill = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
  it('H1 is inconclusive when the samples overlap', () => {
    const v = h1(new Map([['vllm', fill(30, (i) => 100 + (i % 7))], ['sglang', fill(30, (i) => 100 + ((i + 3) % 7))]]));
    expect(v.verdict).toBe('inconclusive');
  });
  it('H2 compares only common levels ≥ 8', () => {
    const v = h2(new Map([['ollama', new Map([[1, 100], [8, 100]])], ['vllm', new Map([[1, 100], [8, 150]])]]));
    expect(v.verdict).toBe('inconclusive');
    expect(v.effect?.value).toBe(1.5);
  });
  it('H3 needs Ollama and a rival', () => {
    expect(h3(new Map([['ollama', fill(10, () => 1)]])).missing.map((m) => m.en).join(' ')).toMatch(/vllm or sglang/);
  });
  it('H3 judges end-to-end latency too: a fast first token with a slow answer is not competitive', () => {
    const near = (m: number) => fill(40, (i) => m * (1 + ((i % 5) - 2) * 0.01));
    const ttft = new Map([['ollama', near(100)], ['vllm', near(100)]]);
    expect(h3(ttft, new Map([['ollama', near(1000)], ['vllm', near(1000)]])).verdict).toBe('supported');
    expect(h3(ttft, new Map([['ollama', near(2000)], ['vllm', near(1000)]])).verdict).toBe('refuted');
    expect(h3(ttft, new Map([['ollama', near(1150)], ['vllm', near(1000)]])).verdict).toBe('supported');
    expect(h3(ttft, new Map([['ollama', near(1250)], ['vllm', near(1000)]])).verdict).toBe('refuted');
  });
  it('H4 compares every framework at the highest level all of them reached, never each at its own', () => {
    // a degrades ×3 by c=64 but only ×1.1 by c=8, the highest level b reached: alike at c=8.
    const v = h4(new Map([['a', new Map([[1, 10], [8, 11], [64, 30]])], ['b', new Map([[1, 10], [8, 11.2]])]]));
    expect(v.verdict).toBe('refuted');
    expect(v.evidence.map((e) => e.value.en).join(' ')).toMatch(/to c=8/);
    expect(h4(new Map([['a', new Map([[1, 10], [8, 20]])], ['b', new Map([[1, 10], [8, 11]])]])).verdict).toBe('supported');
  });
  it('H5 needs intervals apart, not only medians apart', () => {
    const wide = h5([{ framework: 'a', inputTokenRatios: [1.2, 1.6, 1.4], charsPerSecondRatios: [0.8, 0.8, 0.8] }, { framework: 'b', inputTokenRatios: [1.3, 1.7, 1.5], charsPerSecondRatios: [0.8, 0.8, 0.8] }]);
    expect(wide.verdict).toBe('inconclusive');
    const apart = h5([{ framework: 'a', inputTokenRatios: [1.4, 1.41, 1.39], charsPerSecondRatios: [0.8, 0.8, 0.8] }, { framework: 'b', inputTokenRatios: [1.9, 1.91, 1.89], charsPerSecondRatios: [0.8, 0.8, 0.8] }]);
    expect(apart.verdict).toBe('supported');
    expect(apart.evidence[0]!.value.en).toMatch(/95% CI .* n = 3 task pairs/);
  });
  it('H4 and H5 refute when frameworks behave alike', () => {
    expect(h4(new Map([['a', new Map([[1, 10], [64, 20]])], ['b', new Map([[1, 10], [64, 21]])]])).verdict).toBe('refuted');
    expect(h5([{ framework: 'a', inputTokenRatios: [1.4, 1.41, 1.39], charsPerSecondRatios: [0.8, 0.81, 0.8] }, { framework: 'b', inputTokenRatios: [1.41, 1.4, 1.4], charsPerSecondRatios: [0.8, 0.8, 0.79] }]).verdict).toBe('refuted');
  });
});

describe('verdicts in both languages', () => {
  it('every text of every verdict has a Korean version that is not the English one, numbers aside', async () => {
    const v = await verdictsFor({ reference: DEFAULT_SPEEDS.reference! });
    const all = await verdictsFor(DEFAULT_SPEEDS);
    for (const verdict of [...Object.values(v), ...Object.values(all)]) {
      const texts = [verdict.rule, ...verdict.missing, ...verdict.evidence.map((e) => e.value), ...(verdict.effect ? [verdict.effect.name] : []), ...(verdict.test ? [verdict.test.name] : [])];
      for (const t of texts) {
        expect(t.ko, t.en).toBeTruthy();
        // Texts with words (not just names and numbers) must carry Hangul in Korean.
        if (/[a-z]{4,}/.test(t.en.replace(/\b(prefix_cache|concurrent|single|korean|sglang|vllm|ollama|reference|bootstrap|Mann–Whitney|Cliff's|delta|tok|none)\b/gi, ''))) expect(t.ko, t.en).toMatch(/[\uAC00-\uD7A3]/);
      }
    }
  });
});

describe('models and hosts are never pooled', () => {
  it('two models on two hosts give four sets of verdicts, each from its own data only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-synth-'));
    const s = DEFAULT_SPEEDS;
    const sglangWins = { vllm: { ...s.vllm!, prefixTtftFactor: 1 }, sglang: { ...s.sglang!, prefixTtftFactor: 0.1 } };
    const vllmWins = { vllm: { ...s.vllm!, prefixFactor: 0.5, prefixTtftFactor: 0.1 }, sglang: { ...s.sglang!, prefixFactor: 1, prefixTtftFactor: 1 } };
    for (const host of ['a100', 'rtx5090']) {
      // Each host swept at another time: the newer host's sweep must not hide the older one's.
      const sweepId = host === 'a100' ? '20260101T000000Z-a100' : '20260102T000000Z-5090';
      await writeSyntheticSweep({ dataDir: dir, frameworks: sglangWins, requestsPerPoint: 30, model: 'gpt-oss-20b', host, seed: 1, sweepId });
      await writeSyntheticSweep({ dataDir: dir, frameworks: vllmWins, requestsPerPoint: 30, model: 'llama3.1-8b', host, seed: 2, sweepId });
    }
    vi.resetModules();
    process.env.SERVEBENCH_DATA_DIR = dir;
    const { computeHypotheses } = await import('../../site/analysis/compute.ts');
    const groups = await computeHypotheses();
    const h1 = Object.fromEntries(groups.map((g) => [`${g.group.model}@${g.group.host}`, g.verdicts.find((v) => v.id === 'H1')!]));
    expect(Object.keys(h1).sort()).toEqual(['gpt-oss-20b@a100', 'gpt-oss-20b@rtx5090', 'llama3.1-8b@a100', 'llama3.1-8b@rtx5090']);
    expect(h1['gpt-oss-20b@a100']!.verdict).toBe('supported');
    expect(h1['llama3.1-8b@rtx5090']!.verdict).toBe('refuted');
    // Each verdict counts only its own group's requests (30 per point, prefix_cache one point per framework).
    for (const v of Object.values(h1)) expect(v.evidence.find((e) => e.label.en === 'vllm')!.value.en).toMatch(/n = 30\)/);
    // Charts: every distribution is one framework × model × host, never two models in one line.
    const { ecdf, summaries } = await import('../../site/lib/data.ts');
    const series = [...new Set((await ecdf('single', 'ttft_ms')).map((r) => r.framework))].sort();
    expect(series).toEqual(['sglang · gpt-oss-20b · a100', 'sglang · gpt-oss-20b · rtx5090', 'sglang · llama3.1-8b · a100', 'sglang · llama3.1-8b · rtx5090', 'vllm · gpt-oss-20b · a100', 'vllm · gpt-oss-20b · rtx5090', 'vllm · llama3.1-8b · a100', 'vllm · llama3.1-8b · rtx5090']);
    // The latest sweep of each framework × model × host is shown: one host's sweep does not hide the other's.
    expect(new Set((await summaries()).map((r) => `${r.model}@${r.host}`)).size).toBe(4);
  });
});

describe('regression view', () => {
  it('flags a planted 20% change and not a 1% one, point by point', async () => {
    const { comparePoints } = await import('../../site/analysis/regression.ts');
    const rng = (await import('../../runner/lib/random.ts')).seededRng(3);
    const draw = (m: number) => Array.from({ length: 60 }, () => m * Math.exp(0.1 * (rng() + rng() + rng() - 1.5)));
    const before = new Map([['single · c=1', draw(100)], ['concurrent · c=8', draw(200)]]);
    const after = new Map([['single · c=1', draw(120)], ['concurrent · c=8', draw(202)]]);
    const changes = comparePoints('tpot_ms', before, after);
    const by = Object.fromEntries(changes.map((c) => [c.point, c]));
    expect(by['single · c=1']!.significant).toBe(true);
    expect(by['single · c=1']!.change).toBeCloseTo(0.2, 1);
    expect(by['concurrent · c=8']!.significant).toBe(false);
  });

  it('compares the two newest sweeps of a framework × model × host in the built data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-synth-'));
    const s = DEFAULT_SPEEDS;
    await writeSyntheticSweep({ dataDir: dir, frameworks: { vllm: s.vllm! }, requestsPerPoint: 30, sweepId: '20260101T000000Z-old', seed: 1 });
    await writeSyntheticSweep({ dataDir: dir, frameworks: { vllm: { ...s.vllm!, tpotMs: s.vllm!.tpotMs * 1.2 } }, requestsPerPoint: 30, sweepId: '20260102T000000Z-new', seed: 2 });
    vi.resetModules();
    process.env.SERVEBENCH_DATA_DIR = dir;
    const { pointSamples, sweepPairs } = await import('../../site/lib/data.ts');
    const { comparePoints } = await import('../../site/analysis/regression.ts');
    const [pair] = await sweepPairs();
    expect(pair).toMatchObject({ framework: 'vllm', before: '20260101T000000Z-old', after: '20260102T000000Z-new' });
    const changes = comparePoints('tpot_ms', await pointSamples(pair!, pair!.before, 'tpot_ms'), await pointSamples(pair!, pair!.after, 'tpot_ms'));
    const single = changes.find((c) => c.point === 'single · c=1 in=128')!;
    expect(single.significant).toBe(true);
    expect(single.change).toBeGreaterThan(0.1);
  });
});

describe('trials', () => {
  it('trials of a point become one row: the mean, its standard deviation and a 95% interval that contains it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-synth-'));
    await writeSyntheticSweep({ dataDir: dir, frameworks: { vllm: DEFAULT_SPEEDS.vllm! }, requestsPerPoint: 20, trials: 3 });
    vi.resetModules();
    process.env.SERVEBENCH_DATA_DIR = dir;
    const { summariesAllSweeps } = await import('../../site/lib/data.ts');
    const { combineTrials } = await import('../../site/lib/trials.ts');
    const raw = (await summariesAllSweeps()).filter((r) => r.scenario === 'single' && r.point_id === 'c1-in128');
    expect(raw.map((r) => r.trial).sort()).toEqual([1, 2, 3]);
    const [row] = combineTrials(raw);
    expect(row!.trials).toBe(3);
    const values = raw.map((r) => r.ttft_p50!);
    const mean = values.reduce((a, b) => a + b, 0) / 3;
    expect(row!.ttft_p50).toBeCloseTo(mean, 9);
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
    expect(row!.ttft_p50_sd).toBeCloseTo(sd, 9);
    // t(0.975, 2) = 4.303: the interval is mean ± 4.303 · sd / √3.
    expect(row!.ttft_p50_lo).toBeCloseTo(mean - (4.303 * sd) / Math.sqrt(3), 9);
    expect(row!.ttft_p50_hi).toBeCloseTo(mean + (4.303 * sd) / Math.sqrt(3), 9);
  });
});
