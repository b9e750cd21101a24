import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { completedRunIds, duck, sweepIdsFor, writePoint, writeTable } from '../../runner/lib/store/writer.ts';
import { readParquetSql } from '../../runner/lib/store/schema.ts';

const keys = { host: 'box', framework: 'reference', sweep: 's1' };

function point(runId: string, sweep = 's1') {
  return {
    runs: { run_id: runId, framework: 'reference', sweep_id: sweep, scenario: 'single', started_at: '2026-11-24T01:02:03.000Z', client_limited: false, schema_version: 1, params: JSON.stringify({ target: 'reference' }) },
    requests: [
      { run_id: runId, framework: 'reference', request_index: 0, ttft_ms: 12.5, itl_ms: [1.5, 2.5], event_tokens: [1, 2], status: 'ok', output_text: "it's <b>" },
      { run_id: runId, framework: 'reference', request_index: 1, ttft_ms: null, itl_ms: [], status: 'timeout' },
    ],
    summary: { run_id: runId, framework: 'reference', n_ok: 1, ttft_p50: 12.5 },
    gpu: [],
    host: [{ run_id: runId, framework: 'reference', t_ms: 1, client_rss_mib: 50 }],
    server_metrics: [],
  };
}

describe('Parquet store', () => {
  it('writes every table with schema types, lists included, and leaves no temporary files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-store-'));
    await writePoint(dir, keys, 'r1', point('r1'));
    const c = await duck();
    const rows = (await c.runAndReadAll(`SELECT request_index::INTEGER AS i, ttft_ms, itl_ms, status, output_text, framework, sweep FROM ${readParquetSql(dir, 'requests')} ORDER BY i`)).getRowObjectsJson();
    expect(rows).toEqual([
      { i: 0, ttft_ms: 12.5, itl_ms: [1.5, 2.5], status: 'ok', output_text: "it's <b>", framework: 'reference', sweep: 's1' },
      { i: 1, ttft_ms: null, itl_ms: [], status: 'timeout', output_text: null, framework: 'reference', sweep: 's1' },
    ]);
    const types = (await c.runAndReadAll(`DESCRIBE SELECT * FROM ${readParquetSql(dir, 'gpu')}`)).getRowObjectsJson();
    expect(types.find((t) => t.column_name === 'power_w')?.column_type).toBe('DOUBLE');
    const files = await readdir(dir, { recursive: true });
    expect(files.filter((f) => /\.(tmp|ndjson)$/.test(String(f)))).toEqual([]);
    expect(files.map(String)).toContain(join('runs', 'host=box', 'framework=reference', 'sweep=s1', 'r1.parquet'));
  });

  it('a point counts as complete only once its runs row is written; rewriting a run replaces it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-store-'));
    // A crash after the requests file but before the runs file: not complete.
    await writeTable(dir, 'requests', keys, 'r1', point('r1').requests);
    expect(await completedRunIds(dir, 's1')).toEqual(new Set());
    await writePoint(dir, keys, 'r1', point('r1'));
    await writePoint(dir, keys, 'r1', point('r1'));
    await writePoint(dir, { ...keys, sweep: 's2' }, 'r2', point('r2', 's2'));
    expect(await completedRunIds(dir, 's1')).toEqual(new Set(['r1']));
    const c = await duck();
    const n = (await c.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${readParquetSql(dir, 'requests')} WHERE run_id = 'r1'`)).getRowObjectsJson();
    expect(n).toEqual([{ n: 2 }]);
    expect(await sweepIdsFor(dir, ['reference'])).toEqual(['s2', 's1']);
    expect(await sweepIdsFor(dir, ['vllm'])).toEqual([]);
  });

  it('an empty data directory has no sweeps', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-store-'));
    expect(await sweepIdsFor(dir, ['reference'])).toEqual([]);
    expect(await completedRunIds(dir, 'x')).toEqual(new Set());
  });
});

describe('schema documentation', () => {
  it('data/README.md is generated from schema.ts (regenerate: node runner/lib/store/doc.ts > data/README.md)', async () => {
    const { readFile } = await import('node:fs/promises');
    const { schemaMarkdown } = await import('../../runner/lib/store/doc.ts');
    expect(await readFile('data/README.md', 'utf8')).toBe(schemaMarkdown());
  });
});

describe('rows and the schema', () => {
  it('a row with a key the schema does not define is an error naming the key, never silently dropped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-store-'));
    const p = point('r9');
    // It does not compile either (RowOf<'runs'> derives from the schema); at run time the writer refuses it too.
    // @ts-expect-error ttft_p50_typo is not a column of runs
    await expect(writePoint(dir, keys, 'r9', { ...p, runs: { ...p.runs, ttft_p50_typo: 1 } })).rejects.toThrow(/runs row has key\(s\) the schema does not define: ttft_p50_typo/);
    expect(await completedRunIds(dir, 's1')).toEqual(new Set());
    // Checked before anything is written: not even the request rows of that point are on disk.
    expect((await readdir(dir, { recursive: true })).filter((f) => String(f).endsWith('.parquet'))).toEqual([]);
  });
});
