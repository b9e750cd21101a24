// The README's main job, smaller: a real sweep of every design scenario on the reference server with the tiny model,
// then the report built from that reference-only data.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readParquetSql } from '../../runner/lib/store/schema.ts';
import { duck } from '../../runner/lib/store/writer.ts';
import { buildReport } from '../site/helpers.ts';

const exec = promisify(execFile);

describe('main job on the reference server (tiny model)', () => {
  it('sweeps every design scenario into valid Parquet and builds a report that says what it lacks', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sb-e2e-'));
    const config = join(root, 'tiny.yaml');
    // The quick profile's structure with the tiny model and fewer requests, so CI stays fast.
    await writeFile(
      config,
      `targets:\n  reference: { framework: reference, model: reference-tiny, parallel: 2, prefix_caching: true, threads: 1 }
profiles:
  quick:
    defaults: { max_tokens: 16, warmups: 1 }
    scenarios:
      single: { repetitions: 2 }
      concurrent: { concurrency: [1, 4], requests: 8 }
      long_context: { input_tokens: [512, 1024], repetitions: 1 }
      prefix_cache: { system_tokens: 512, question_tokens: 32, questions: 4 }
      korean: { repetitions: 1 }
`,
    );
    const data = join(root, 'data');
    const { stdout } = await exec(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sweep.mjs', '--config', config, '--output-dir', data], { maxBuffer: 1 << 24 });
    expect(stdout).toMatch(/results: .*Parquet/);
    const c = await duck();
    const runs = (await c.runAndReadAll(`SELECT scenario, count(*)::INTEGER AS n, bool_or(synthetic) AS synthetic FROM ${readParquetSql(data, 'runs')} GROUP BY 1 ORDER BY 1`)).getRowObjectsJson();
    expect(runs).toEqual([
      { scenario: 'concurrent', n: 2, synthetic: false },
      { scenario: 'korean', n: 16, synthetic: false },
      { scenario: 'long_context', n: 4, synthetic: false },
      { scenario: 'prefix_cache', n: 1, synthetic: false },
      { scenario: 'single', n: 3, synthetic: false },
    ]);
    const reqs = (await c.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, count(*) FILTER (status = 'ok')::INTEGER AS ok, count(*) FILTER (tokens_source = 'server_usage')::INTEGER AS server_counted,
         count(*) FILTER (prompt_deviation_flag)::INTEGER AS deviating FROM ${readParquetSql(data, 'requests')} WHERE NOT is_warmup`,
    )).getRowObjectsJson();
    // single 3 inputs × 2 + concurrent 2 levels × 8 + long (2 inputs × 1 at c=1, 2 × 8 at c=8) + prefix 4
    // + korean 8 pairs × (1 at c=1, 8 at c=8)
    expect(reqs[0]!.n).toBe(6 + 16 + (2 + 16) + 4 + (8 + 64));
    expect(reqs[0]!.ok).toBe(reqs[0]!.n);
    expect(reqs[0]!.server_counted).toBe(reqs[0]!.n);
    // The client cuts prompts with the reference model's own tokenizer: the server counts what was built.
    expect(reqs[0]!.deviating).toBe(0);
    // Before each point, the server's /tokenize agreed with the length the client built.
    const checks = (await c.runAndReadAll(`SELECT environment, notes FROM ${readParquetSql(data, 'runs')}`)).getRowObjectsJson();
    for (const r of checks) {
      const check = JSON.parse(String(r.environment)).tokenize_check as { expected: number; server: number };
      expect(Math.abs(check.server - check.expected)).toBeLessThanOrEqual(0.02 * check.expected);
      expect(String(r.notes ?? '')).not.toMatch(/tokenize/);
    }
    const prefix = (await c.runAndReadAll(`SELECT max(cached_tokens)::INTEGER AS cached FROM ${readParquetSql(data, 'requests')} q JOIN ${readParquetSql(data, 'runs')} r USING (run_id) WHERE r.scenario = 'prefix_cache'`)).getRowObjectsJson();
    expect(prefix[0]!.cached).toBeGreaterThan(400);

    const out = join(root, 'blog');
    await buildReport(data, out);
    const overview = await readFile(join(out, 'en', 'overview', 'index.html'), 'utf8');
    expect(overview).toContain('Measured on a machine without a GPU, against the built-in reference server');
    expect(overview).not.toContain('Synthetic data');
    // Says what was measured, and each chapter states the parameters that were run, never the full design's.
    expect(overview).toContain('This report compares what was measured here, under identical conditions: reference servebench-reference.');
    expect(overview).not.toMatch(/compares vLLM, SGLang, Ollama/);
    const single = await readFile(join(out, 'en', 'single', 'index.html'), 'utf8');
    expect(single).toMatch(/As run \(profile quick\): concurrency 1; inputs of 128, 512 and 1024 tokens; 2 measured requests per point after 1 warmup\(s\); at most 16 output tokens\./);
    expect(single).not.toMatch(/10 repetitions/);
    const prefixKo = await readFile(join(out, 'ko', 'prefix-cache', 'index.html'), 'utf8');
    expect(prefixKo).toMatch(/실제 실행 \(프로필 quick\): 동시 요청 수 1, 시스템 프롬프트 512 토큰과 질문 32 토큰, 지점마다 워밍업 0회 뒤 측정 요청 4개, 출력 최대 16 토큰\./);
    const hyp = await readFile(join(out, 'en', 'hypotheses', 'index.html'), 'utf8');
    expect(hyp.match(/data-verdict="not_enough_data"/g)?.length).toBe(5);
    expect(hyp).toContain('sglang');
  }, 600_000);
});
