// The built report with two models on two hosts: tables carry model and host, charts draw each framework × model ×
// host as its own series, and the verdicts are per model and host.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SPEEDS, writeSyntheticSweep } from '../fixtures/synthetic/generate.ts';
import { buildReport } from './helpers.ts';

let out: string;
beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'sb-dims-'));
  const data = join(root, 'data');
  const frameworks = { vllm: DEFAULT_SPEEDS.vllm!, sglang: DEFAULT_SPEEDS.sglang! };
  for (const host of ['a100', 'rtx5090']) {
    for (const model of ['gpt-oss-20b', 'llama3.1-8b']) await writeSyntheticSweep({ dataDir: data, frameworks, requestsPerPoint: 8, trials: 2, model, host, sweepId: `20260101T00000${host === 'a100' ? 1 : 2}Z-${model}` });
  }
  out = join(root, 'blog');
  await buildReport(data, out);
}, 240_000);

describe('two models on two hosts', () => {
  it('the point table has model and host columns, and no chart series pools two of them', async () => {
    const page = await readFile(join(out, 'en', 'concurrent', 'index.html'), 'utf8');
    expect(page).toMatch(/<th>Model<\/th><th>Host<\/th>/);
    expect(page).toMatch(/<td>vllm<\/td><td>llama3\.1-8b<\/td><td>rtx5090<\/td>/);
    // Two trials per point: one row each, mean ± sd; GPU memory peak / mean and utilisation from the samples.
    expect(page).toMatch(/c=8 \(2 trials\)/);
    expect(page).toMatch(/<th>GPU memory peak \/ mean \(MiB\) · utilisation<\/th>/);
    expect(page).toMatch(/<td>6\d{4} \/ 6\d{4} · [89]\d%<\/td>/);
    const payloads = [...page.matchAll(/<script type="application\/json"[^>]*>([\s\S]*?)<\/script>/g)].map((m) => JSON.parse(m[1]!.replaceAll('<\\/', '</')) as { name: string; rows: Array<Record<string, unknown>> });
    const ecdf = payloads.find((p) => p.name === 'ecdf')!;
    expect(new Set(ecdf.rows.map((r) => r.framework)).size).toBe(8);
    expect(ecdf.rows.some((r) => r.framework === 'sglang · gpt-oss-20b · a100')).toBe(true);
  });

  it('the hypotheses page has one set of verdicts per model and host', async () => {
    const page = await readFile(join(out, 'ko', 'hypotheses', 'index.html'), 'utf8');
    expect(page.match(/class="verdict-group"/g)?.length).toBe(4);
    expect(page).toContain('<h2>llama3.1-8b · rtx5090</h2>');
  });
});
