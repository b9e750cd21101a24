// The sweep end to end, attached to the faithful test server: Parquet out, resume after a kill, clear errors, and a
// failing target that does not stop the others.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetSql } from '../../runner/lib/store/schema.ts';
import { duck } from '../../runner/lib/store/writer.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

const exec = promisify(execFile);
const ZX = 'node_modules/zx/build/cli.js';
let server: TestServer;
let dir: string;
let config: string;

beforeAll(async () => {
  server = await startTestServer({ profile: 'vllm', behaviour: { tokenDelayMs: 1 } });
  dir = await mkdtemp(join(tmpdir(), 'sb-sweep-'));
  config = join(dir, 'config.yaml');
  await writeFile(
    config,
    `defaults: { max_tokens: 8, warmups: 1 }
targets:
  fake-vllm: { framework: vllm, model: openai/gpt-oss-20b, base_url: ${server.url} }
  broken: { framework: vllm, model: openai/gpt-oss-20b, base_url: http://127.0.0.1:1 }
scenarios:
  single: { input_tokens: [32, 64], repetitions: 2 }
  concurrent: { concurrency: [1, 4], input_tokens: [32], requests: 8 }
  long_context: { concurrency: [1, 2], input_tokens: [256], repetitions: 1 }
  prefix_cache: { system_tokens: 128, question_tokens: 16, questions: 4 }
  korean: { concurrency: [1], repetitions: 1 }
  workload: { profiles: [low-load, medium-load], duration_s: 1 }
  task: { prompts: 3 }
`,
  );
});
afterAll(async () => {
  await server.close();
});

const sweep = (out: string, ...args: string[]) => exec(process.execPath, [ZX, 'runner/sweep.mjs', '--config', config, '--output-dir', out, '--profile', 'full', ...args], { maxBuffer: 1 << 24 });
async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const c = await duck();
  return (await c.runAndReadAll(sql)).getRowObjectsJson() as T[];
}

describe('zx runner/sweep.mjs', () => {
  it('runs every design scenario against an attached server and leaves valid Parquet', async () => {
    const out = join(dir, 'full');
    const { stdout } = await sweep(out, '-f', 'fake-vllm');
    expect(stdout).toMatch(/prefix_cache/);
    const runs = await query<{ scenario: string; n: number }>(`SELECT scenario, count(*)::INTEGER AS n FROM ${readParquetSql(out, 'runs')} GROUP BY 1 ORDER BY 1`);
    expect(runs).toEqual([
      { scenario: 'concurrent', n: 2 },
      { scenario: 'korean', n: 8 },
      { scenario: 'long_context', n: 2 },
      { scenario: 'prefix_cache', n: 1 },
      { scenario: 'single', n: 2 },
    ]);
    const reqs = await query<{ warm: boolean; n: number; ok: number }>(
      `SELECT is_warmup AS warm, count(*)::INTEGER AS n, count(*) FILTER (status = 'ok')::INTEGER AS ok FROM ${readParquetSql(out, 'requests')} GROUP BY 1 ORDER BY 1`,
    );
    // Measured: single 2×2 + concurrent 2×8 + long 1+2 + prefix 4 + korean 8×1 = 35; warmups: one per point but prefix_cache.
    expect(reqs).toEqual([
      { warm: false, n: 35, ok: 35 },
      { warm: true, n: 14, ok: 14 },
    ]);
    const [s] = await query<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${readParquetSql(out, 'summary')} WHERE ttft_p50 > 0 AND output_throughput > 0`);
    expect(s!.n).toBe(15);
    const csv = await query<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM read_csv('${out}/exports/*/summary.csv')`);
    expect(csv[0]!.n).toBe(15);
  });

  it('a killed sweep resumes without duplicates or loss', async () => {
    const out = join(dir, 'resume');
    const child = spawn(process.execPath, [ZX, 'runner/sweep.mjs', '--config', config, '--output-dir', out, '--profile', 'full', '-f', 'fake-vllm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        log += d.toString();
        // Kill hard once a few points are on disk, mid-way through the next.
        if ((log.match(/✔/g) ?? []).length >= 4) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    const before = await query<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${readParquetSql(out, 'runs')}`);
    expect(before[0]!.n).toBeGreaterThanOrEqual(4);
    expect(before[0]!.n).toBeLessThan(15);
    const { stderr } = await sweep(out, '-f', 'fake-vllm', '--resume');
    expect(stderr).toMatch(/already on disk/);
    const runs = await query<{ n: number; distinct_ids: number; sweeps: number }>(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT run_id)::INTEGER AS distinct_ids, count(DISTINCT sweep_id)::INTEGER AS sweeps FROM ${readParquetSql(out, 'runs')}`,
    );
    expect(runs).toEqual([{ n: 15, distinct_ids: 15, sweeps: 1 }]);
    const reqs = await query<{ n: number; ids: number }>(`SELECT count(*)::INTEGER AS n, count(DISTINCT request_id)::INTEGER AS ids FROM ${readParquetSql(out, 'requests')} WHERE NOT is_warmup`);
    expect(reqs).toEqual([{ n: 35, ids: 35 }]);
  });

  it('a target that cannot start is reported and skipped; the others are written', async () => {
    const out = join(dir, 'mixed');
    const err = await sweep(out, '-f', 'broken,fake-vllm', '-s', 'single').catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stderr: string }).stderr).toMatch(/broken: cannot reach http:\/\/127\.0\.0\.1:1/);
    const runs = await query<{ framework: string; n: number }>(`SELECT framework, count(*)::INTEGER AS n FROM ${readParquetSql(out, 'runs')} GROUP BY 1`);
    expect(runs).toEqual([{ framework: 'vllm', n: 2 }]);
  });

  it.each([
    [['-f', 'tgi'], /unknown framework\/target "tgi"/],
    [['-s', 'single,poetry'], /unknown scenario "poetry"/],
    [['-m', 'gpt5'], /unknown model "gpt5"/],
    [['--trials', '0'], /--trials must be an integer ≥ 1/],
    [['--bogus'], /unknown option --bogus/],
    [['--profile', 'turbo'], /unknown profile "turbo"/],
  ])('%j is refused before anything starts', async (args, message) => {
    const out = join(dir, 'never');
    const err = await sweep(out, ...args).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(message);
  });

  it('workload profiles (open loop, Poisson) and task sets in stream and sync modes', async () => {
    const out = join(dir, 'workloads');
    await sweep(out, '-f', 'fake-vllm', '-s', 'workload,task');
    const runs = await query<{ scenario: string; point_id: string; arrival: string; stream: boolean; rate: number | null }>(
      `SELECT scenario, point_id, arrival, stream, rate FROM ${readParquetSql(out, 'runs')} ORDER BY scenario, point_id`,
    );
    expect(runs.filter((r) => r.scenario === 'workload').map((r) => [r.point_id, r.arrival, r.rate])).toEqual([
      ['low-load', 'poisson', 1],
      ['medium-load', 'poisson', 5],
    ]);
    expect(runs.filter((r) => r.scenario === 'task').map((r) => `${r.point_id}:${r.stream}`)).toEqual([
      'chat-stream:true', 'chat-sync:false', 'code-stream:true', 'code-sync:false', 'qa-stream:true', 'qa-sync:false', 'summarization-stream:true', 'summarization-sync:false',
    ]);
    const sync = await query<{ n: number; ok: number }>(
      `SELECT count(*)::INTEGER AS n, count(*) FILTER (status = 'ok' AND ttft_ms IS NULL AND tpot_ms IS NULL AND e2e_ms > 0)::INTEGER AS ok FROM ${readParquetSql(out, 'requests')} WHERE NOT stream AND NOT is_warmup`,
    );
    expect(sync[0]).toEqual({ n: 12, ok: 12 });
  });

  it('--interactive asks for target, model and workload; Enter takes the default', async () => {
    const out = join(dir, 'interactive');
    const child = spawn(process.execPath, [ZX, 'runner/sweep.mjs', '--config', config, '--output-dir', out, '--profile', 'full', '-s', 'single', '-i'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.write('fake-vllm\n\nfull\n');
    child.stdin.end();
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(err).toMatch(/target \[.*fake-vllm.*\]/);
    expect(err).toMatch(/model \[/);
    expect(err).toMatch(/workload profile \[full\/quick\]/);
    expect(code).toBe(0);
    const runs = await query<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${readParquetSql(out, 'runs')} WHERE framework = 'vllm'`);
    expect(runs[0]!.n).toBe(2);
  });

  it('--help lists every flag', async () => {
    const { stdout } = await exec(process.execPath, [ZX, 'runner/sweep.mjs', '--help']);
    for (const flag of ['--framework', '--scenario', '--model', '--trials', '--profile', '--config', '--base-url', '--output-dir', '--resume', '--interactive']) expect(stdout).toContain(flag);
  });
});
