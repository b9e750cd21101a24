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
  return Object.fromEntries((await computeHypotheses()).map((v) => [v.id, v]));
}

describe('hypotheses on synthetic sweeps', () => {
  it('a sweep built to support every hypothesis is judged so', async () => {
    const v = await verdictsFor(DEFAULT_SPEEDS);
    expect(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x.verdict]))).toEqual({ H1: 'supported', H2: 'supported', H3: 'supported', H4: 'supported', H5: 'supported' });
    expect(v.H1!.test?.ci?.[0]).toBeGreaterThan(0);
    expect(v.H1!.effect?.magnitude).toBe('large');
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
    expect(v.H1!.missing.join(' ')).toMatch(/sglang.*vllm|vllm.*sglang/);
    expect(v.H2!.missing.join(' ')).toMatch(/ollama/);
    expect(v.H4!.missing.join(' ')).toMatch(/have: reference/);
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
    expect(h3(new Map([['ollama', fill(10, () => 1)]])).missing[0]).toMatch(/vllm or sglang/);
  });
  it('H4 and H5 refute when frameworks behave alike', () => {
    expect(h4(new Map([['a', new Map([[1, 10], [64, 20]])], ['b', new Map([[1, 10], [64, 21]])]])).verdict).toBe('refuted');
    expect(h5([{ framework: 'a', inputTokenRatio: 1.4, charsPerSecondRatio: 0.8 }, { framework: 'b', inputTokenRatio: 1.41, charsPerSecondRatio: 0.8 }]).verdict).toBe('refuted');
  });
});
