// Faults: a point during which the server died, or most of whose requests failed, is not a measurement. It is kept on
// disk as invalid, shown as invalid, never charted, redone by --resume, and the sweep exits non-zero.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readParquetSql } from '../../runner/lib/store/schema.ts';
import { duck } from '../../runner/lib/store/writer.ts';
import { startTestServer, type Behaviour } from '../../runner/lib/testserver/index.ts';
import { buildReport } from '../site/helpers.ts';

const exec = promisify(execFile);
const ZX = 'node_modules/zx/build/cli.js';

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await (await duck()).runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
}

/** Calibration sends 4 requests; each single point 1 warmup + 4 measured. */
async function setup(url: string): Promise<{ config: string; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-fault-'));
  const config = join(dir, 'c.yaml');
  await writeFile(config, `defaults: { max_tokens: 4, warmups: 1 }\ntargets:\n  t: { framework: vllm, model: openai/gpt-oss-20b, base_url: ${url} }\nscenarios:\n  single: { concurrency: [1], input_tokens: [16, 24], repetitions: 4 }\n`);
  return { config, out: join(dir, 'data') };
}

function sweep(config: string, out: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, [ZX, 'runner/sweep.mjs', '--config', config, '--output-dir', out, '--profile', 'full', '-f', 't', '-s', 'single', ...args], { maxBuffer: 1 << 24 })
    .then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }))
    .catch((e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));
}

describe('invalid points', () => {
  it('a point whose requests mostly fail is written as invalid, shown by class, exits 1, and --resume redoes only it', { timeout: 180_000 }, async () => {
    // Healthy for calibration and the first point (4 + 5 requests), then 503 "busy" for everything.
    const behaviour: Partial<Behaviour> = { failStatus: 503, failAfterRequests: 9 };
    const sick = await startTestServer({ profile: 'vllm', behaviour });
    const { config, out } = await setup(sick.url);
    const first = await sweep(config, out);
    await sick.close();
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/✔ t · single · c=1 in=16/);
    expect(first.stderr).toMatch(/✖ t · single · c=1 in=24 · INVALID: 4 of 4 requests failed \(http_503_busy × 4\)/);
    expect(first.stdout).toMatch(/INVALID/);
    const runs = await rows(`SELECT point_id, valid, invalid_reason, sweep_id FROM ${readParquetSql(out, 'runs')} ORDER BY point_id`);
    expect(runs.map((r) => [r.point_id, r.valid])).toEqual([['c1-in16', true], ['c1-in24', false]]);
    // Nothing measured is thrown away: the failed requests are on disk with their class.
    const failed = await rows(`SELECT count(*)::INTEGER AS n FROM ${readParquetSql(out, 'requests')} WHERE status = 'http_503_busy'`);
    expect(failed[0]!.n).toBe(5);
    // The Markdown export says it too, and lists the failures by class.
    const [sweepDir] = await readdir(join(out, 'exports'));
    const md = await readFile(join(out, 'exports', sweepDir!, 'report.md'), 'utf8');
    expect(md).toMatch(/\| t?.*c=1 in=24 .*INVALID: 4 of 4 requests failed \(http_503_busy × 4\)/);
    expect(md).toMatch(/## Failed requests by class[\s\S]*c=1 in=24: http_503_busy × 4/);
    // The report lists the point as invalid and charts nothing of it: no value of it reaches a chart's data.
    // A staging file of a write that died must never be published with the report.
    const staging = join(out, 'requests', 'host=x', 'framework=vllm', 'sweep=s', 'dead.parquet.123.ndjson');
    await mkdir(join(staging, '..'), { recursive: true });
    await writeFile(staging, '{"secret":"half a point"}\n');
    const blog = join(out, '..', 'blog');
    await buildReport(out, blog);
    expect((await readdir(join(blog, 'data'), { recursive: true })).filter((f) => /\.(ndjson|tmp)$/.test(String(f)))).toEqual([]);
    await rm(staging);
    const page = await readFile(join(blog, 'en', 'single', 'index.html'), 'utf8');
    expect(page).toMatch(/Invalid point \(not a measurement, left out of every chart\)<\/strong>: 4 of 4 requests failed/);
    const payloads = [...page.matchAll(/<script type="application\/json"[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(payloads.length).toBeGreaterThan(0);
    for (const p of payloads) {
      const rows = (JSON.parse(p.replaceAll('<\\/', '</')) as { rows: Array<Record<string, unknown>> }).rows;
      const drawn = rows.filter((r) => r.valid !== false);
      expect(drawn.some((r) => r.point === 'c=1 in=24' || String(r.run_id ?? '').includes('c1-in24'))).toBe(false);
    }

    // The same server, healthy again, on the same port: --resume redoes the invalid point and nothing else.
    const healthy = await startTestServer({ profile: 'vllm', port: sick.port });
    try {
      const second = await sweep(config, out, '--resume', String(runs[0]!.sweep_id));
      expect(second.code).toBe(0);
      expect(second.stderr).toMatch(/↷ t · single · c=1 in=16 \(already on disk\)/);
      expect(second.stderr).toMatch(/✔ t · single · c=1 in=24/);
    } finally {
      await healthy.close();
    }
    const after = await rows(`SELECT point_id, valid FROM ${readParquetSql(out, 'runs')} ORDER BY point_id`);
    expect(after.map((r) => [r.point_id, r.valid])).toEqual([['c1-in16', true], ['c1-in24', true]]);
  });

  it('a server that dies during a point makes it invalid, and the target stops there', async () => {
    // Dies when the 8th generation request arrives: in the first point, after its warmup and two measured requests.
    const dying = await startTestServer({ profile: 'vllm', behaviour: { dieAfterRequests: 7 } });
    const { config, out } = await setup(dying.url);
    const r = await sweep(config, out);
    await dying.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/INVALID: the server died during the point; 2 of 4 requests failed/);
    const runs = await rows(`SELECT point_id, valid FROM ${readParquetSql(out, 'runs')}`);
    expect(runs).toEqual([{ point_id: 'c1-in16', valid: false }]);
    expect(r.stdout).toMatch(/target t failed/);
  });
});
