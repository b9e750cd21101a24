import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { writePoint } from '../../runner/lib/store/writer.ts';

const run = promisify(execFile);

describe('zx runner/sql.mjs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-sql-'));
  await writePoint(dir, { host: 'h', framework: 'reference', sweep: 's' }, 'r1', {
    runs: { run_id: 'r1', framework: 'reference', sweep_id: 's', scenario: 'single' },
    requests: [{ run_id: 'r1', framework: 'reference', request_index: 0, ttft_ms: 12.5, status: 'ok', output_text: 'a, "b"' }],
    summary: { run_id: 'r1', framework: 'reference', scenario: 'single', point: 'c=1', ttft_p50: 12.5 },
    gpu: [],
    host: [],
    server_metrics: [],
  });
  const sql = (...args: string[]) => run(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sql.mjs', '--data-dir', dir, ...args]);

  it('answers a query over the views, as a table, CSV or JSON', async () => {
    const table = await sql('SELECT framework, ttft_p50 FROM summary');
    expect(table.stdout).toMatch(/reference.*12\.5/);
    expect(table.stdout).toContain('(1 row)');
    const csv = await sql('--format', 'csv', 'SELECT output_text, ttft_ms FROM requests');
    expect(csv.stdout.trim()).toBe('output_text,ttft_ms\n"a, ""b""",12.5');
    const json = await sql('--format', 'json', 'SELECT count(*) AS n FROM runs JOIN requests USING (run_id)');
    expect(JSON.parse(json.stdout)).toEqual([{ n: 1 }]);
  });

  it('with no query it opens a prompt that answers statements ended by ;', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sql.mjs', '--data-dir', dir, '--format', 'csv'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.write('SELECT framework\nFROM runs;\n.quit\n');
    child.stdin.end();
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    expect(out).toContain('views: runs');
    expect(out).toContain('framework\nreference');
  });

  it('empty tables still have their views; bad SQL and formats give clear errors', async () => {
    const gpu = await sql('--format', 'json', 'SELECT count(*) AS n FROM gpu');
    expect(JSON.parse(gpu.stdout)).toEqual([{ n: 0 }]);
    await expect(sql('SELECT nope FROM runs')).rejects.toMatchObject({ stderr: expect.stringMatching(/error: .*nope/) });
    await expect(sql('--format', 'xml', 'SELECT 1')).rejects.toMatchObject({ stderr: expect.stringMatching(/--format must be/) });
  });
});

describe('one definition of the per-point figures', () => {
  it('the points view, the report\'s summaries and the exported CSV give the same figures for the same point', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeSyntheticSweep } = await import('../fixtures/synthetic/generate.ts');
    const { openResults } = await import('../../runner/lib/sql/repl.ts');
    const { writeExports } = await import('../../runner/lib/sweep/exports.ts');
    const { duck } = await import('../../runner/lib/store/writer.ts');
    const { vi } = await import('vitest');
    const dir = await mkdtemp(join(tmpdir(), 'sb-points-'));
    await writeSyntheticSweep({ dataDir: dir, frameworks: { vllm: { ttftMs: 40, tpotMs: 8, slope: 0.15, prefixFactor: 1, koTokenRatio: 1.4 } }, requestsPerPoint: 10 });
    const c = await openResults(dir);
    const fromView = (await c.runAndReadAll(`SELECT point, round(ttft_p50, 2) AS t, round(output_throughput, 2) AS o FROM points WHERE scenario = 'single' ORDER BY point`)).getRowObjectsJson();
    vi.resetModules();
    process.env.SERVEBENCH_DATA_DIR = dir;
    const { summaries } = await import('../../site/lib/data.ts');
    const fromSite = (await summaries()).filter((r) => r.scenario === 'single').sort((a, b) => a.point.localeCompare(b.point)).map((r) => ({ point: r.point, t: Math.round(r.ttft_p50! * 100) / 100, o: Math.round(r.output_throughput! * 100) / 100 }));
    expect(fromView.map((r) => ({ point: r.point, t: Number(r.t), o: Number(r.o) }))).toEqual(fromSite);
    const out = await writeExports(dir, '20260101T000000Z-synt');
    const csv = (await (await duck()).runAndReadAll(`SELECT point, ttft_p50_ms AS t, output_tok_s AS o FROM read_csv('${out}/summary.csv') WHERE scenario = 'single' ORDER BY point`)).getRowObjectsJson();
    expect(csv.map((r) => ({ point: r.point, t: Number(r.t), o: Number(r.o) }))).toEqual(fromSite);
  });
});
