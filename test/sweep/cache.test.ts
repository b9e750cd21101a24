// Reproduces the cache bug the issue found on a real llama.cpp server, on the reference server: a server whose prefix
// cache is never reset between points (attached as a plain OpenAI server, so servebench cannot reset it). Before
// salting, prompt i of the in=128 point began with prompt i of the in=64 point and the server computed half of it.
// The reference server reports llama.cpp-shaped `timings`, so the same run checks the client against the server's clock.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceServer, type ReferenceServer } from '../../runner/lib/reference/server/index.ts';
import { readParquetSql } from '../../runner/lib/store/schema.ts';
import { duck } from '../../runner/lib/store/writer.ts';

const exec = promisify(execFile);
let server: ReferenceServer;
let data: string;

beforeAll(async () => {
  server = await startReferenceServer({ preset: 'tiny', parallel: 1, prefixCache: true, threads: 1 });
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${server.url}/health`).catch(() => null);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const root = await mkdtemp(join(tmpdir(), 'sb-cache-'));
  const config = join(root, 'config.yaml');
  await writeFile(
    config,
    `defaults: { max_tokens: 8, warmups: 1 }
models:
  ref: { served_name: ${server.modelName}, tokenizer: reference-tiny }
targets:
  kept-cache: { framework: openai, model: ref, base_url: ${server.url} }
scenarios:
  single: { concurrency: [1], input_tokens: [64, 128], repetitions: 3 }
  prefix_cache: { system_tokens: 128, question_tokens: 16, questions: 4 }
`,
  );
  data = join(root, 'data');
  await exec(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sweep.mjs', '--config', config, '--output-dir', data, '-f', 'kept-cache', '-s', 'single,prefix_cache', '--profile', 'full'], { maxBuffer: 1 << 24 });
}, 300_000);
afterAll(async () => {
  await server?.close();
});

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await (await duck()).runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
}

describe('a server that keeps its prefix cache between points', () => {
  it('computes every prompt of a scenario that is not about caching in full (beyond the chat template)', async () => {
    const reqs = await rows(
      `SELECT request_id, input_tokens::INTEGER AS input, server_cache_n::INTEGER AS cache_n, server_prompt_n::INTEGER AS prompt_n, prompt_computed_share AS share, cache_hit
       FROM ${readParquetSql(data, 'requests')} WHERE scenario = 'single'`,
    );
    expect(reqs.length).toBe(2 * (1 + 3));
    for (const r of reqs) {
      expect(Number(r.prompt_n) + Number(r.cache_n)).toBe(Number(r.input));
      // The ChatML opening and, at most, the leading digits two salts happen to share.
      expect(Number(r.cache_n)).toBeLessThan(12);
      expect(r.cache_hit).toBe(false);
    }
    const summary = await rows(`SELECT point, cache_hit_share, prompt_computed_share FROM ${readParquetSql(data, 'summary')} WHERE scenario = 'single'`);
    for (const s of summary) {
      expect(s.cache_hit_share).toBe(0);
      expect(Number(s.prompt_computed_share)).toBeGreaterThan(0.9);
    }
  });

  it('the prefix-cache scenario still shares its system prompt, and the share of cache hits says so', async () => {
    const [s] = await rows(`SELECT cache_hit_share, prompt_computed_share FROM ${readParquetSql(data, 'summary')} WHERE scenario = 'prefix_cache'`);
    // The first question pays the prefill; the three after it reuse the system prompt.
    expect(Number(s!.cache_hit_share)).toBeCloseTo(0.75, 5);
    expect(Number(s!.prompt_computed_share)).toBeLessThan(0.6);
  });

  it('the reset before each point is verified by the first request computing its whole prompt', async () => {
    // Attached as a plain OpenAI server there is no reset; the outcome says so rather than staying silent.
    const runs = await rows(`SELECT DISTINCT prefix_cache_reset FROM ${readParquetSql(data, 'runs')}`);
    expect(runs).toEqual([{ prefix_cache_reset: 'not reset: openai has no prefix-cache reset' }]);
  });

  it('the client agrees with the server\'s own clock', async () => {
    const [s] = await rows(
      `SELECT median(ttft_server_diff_ms) AS ttft_diff, median(tpot_server_diff_ms) AS tpot_diff, count(tpot_server_diff_ms)::INTEGER AS n
       FROM ${readParquetSql(data, 'requests')} WHERE status = 'ok'`,
    );
    expect(Number(s!.n)).toBeGreaterThan(8);
    // Loopback HTTP and SSE framing between the server's clock and the client's: milliseconds, not tens.
    expect(Number(s!.ttft_diff)).toBeGreaterThanOrEqual(0);
    expect(Number(s!.ttft_diff)).toBeLessThan(25);
    expect(Math.abs(Number(s!.tpot_diff))).toBeLessThan(2);
    const flagged = await rows(`SELECT count(*)::INTEGER AS n FROM ${readParquetSql(data, 'summary')} WHERE cross_check_flag IS NOT NULL`);
    expect(flagged[0]!.n).toBe(0);
  });
});
