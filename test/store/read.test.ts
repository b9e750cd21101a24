import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkParquet, CorruptDataError, openReadConnection, quarantine, tableColumns, tableSql } from '../../runner/lib/store/read.ts';
import { readParquetSql, safeKey, TABLE_NAMES, type TableName } from '../../runner/lib/store/schema.ts';
import { writePoint, writeTable, type PointTables } from '../../runner/lib/store/writer.ts';

const here = safeKey(hostname());
const keys = { host: here, framework: 'reference', sweep: 's1' };

function point(runId: string): PointTables {
  const base = { run_id: runId, framework: 'reference' };
  return {
    runs: { ...base, sweep_id: 's1', scenario: 'single', started_at: '2026-11-24T01:02:03.000Z' },
    requests: [
      { ...base, request_index: 0, ttft_ms: 12.5, itl_ms: [1.5, 2.5], status: 'ok' },
      { ...base, request_index: 1, ttft_ms: 13.5, itl_ms: [1.5], status: 'ok' },
    ],
    summary: { ...base, n_ok: 2, ttft_p50: 13 },
    gpu: [{ ...base, t_ms: 1, gpu_index: 0, power_w: 100 }],
    host: [{ ...base, t_ms: 1, client_rss_mib: 50 }],
    server_metrics: [{ ...base, t_ms: 1, name: 'm', labels: '{}', value: 1 }],
  };
}

async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const c = await openReadConnection();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    c.closeSync();
  }
}

const counts = async (dir: string): Promise<Record<string, number>> =>
  Object.fromEntries(await Promise.all(TABLE_NAMES.map(async (t) => [t, Number((await query(`SELECT count(*) AS n FROM ${tableSql(dir, t)}`))[0]!.n)])));

const describeSql = async (sql: string) => (await query(`DESCRIBE SELECT * FROM ${sql}`)).map((r) => `${String(r.column_name)} ${String(r.column_type)}`);

const fileOf = (table: TableName, runId: string, k = keys) => join(table, `host=${k.host}`, `framework=${k.framework}`, `sweep=${k.sweep}`, `${runId}.parquet`);

/** A pid that is certainly not running: a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('tableSql', () => {
  it('hides every row of a point without a runs row (killed mid-write); runs is the plain read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-read-'));
    await writePoint(dir, keys, 'r1', point('r1'));
    // r2 was killed after every table but runs was written.
    const p2 = point('r2');
    for (const t of ['requests', 'summary', 'gpu', 'host', 'server_metrics'] as const) await writeTable(dir, t, keys, 'r2', t === 'summary' ? [p2.summary] : p2[t]);
    expect(await counts(dir)).toEqual({ runs: 1, requests: 2, summary: 1, gpu: 1, host: 1, server_metrics: 1 });
    expect(await query(`SELECT DISTINCT run_id FROM ${tableSql(dir, 'requests')}`)).toEqual([{ run_id: 'r1' }]);
    // The plain read still sees them: the filter is what hides them.
    expect(await query(`SELECT count(*)::INTEGER AS n FROM ${readParquetSql(dir, 'requests')}`)).toEqual([{ n: 4 }]);
    expect(await query(`SELECT run_id FROM ${tableSql(dir, 'runs')}`)).toEqual(await query(`SELECT run_id FROM ${readParquetSql(dir, 'runs')}`));
    // Columns and hive keys are those of the plain read.
    expect(await describeSql(tableSql(dir, 'requests'))).toEqual(await describeSql(readParquetSql(dir, 'requests')));
  });

  it('files of an older schema (without the newer columns) read with every column of today, NULL where absent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-read-'));
    const file = join(dir, 'runs', 'host=h', 'framework=vllm', 'sweep=s1', 'old.parquet');
    await mkdir(dirname(file), { recursive: true });
    await query(`COPY (SELECT 'old' AS run_id, 'vllm' AS framework, 's1' AS sweep_id, 1 AS schema_version) TO '${file}' (FORMAT parquet)`);
    expect(await query(`SELECT run_id, schema_version::INTEGER AS v, valid, invalid_reason FROM ${tableSql(dir, 'runs')}`)).toEqual([{ run_id: 'old', v: 1, valid: null, invalid_reason: null }]);
  });

  it('a table with no files, or no runs at all, is a typed empty select with the columns of a read', async () => {
    const full = await mkdtemp(join(tmpdir(), 'sb-read-'));
    await writePoint(full, keys, 'r1', point('r1'));
    const empty = await mkdtemp(join(tmpdir(), 'sb-read-'));
    const orphansOnly = await mkdtemp(join(tmpdir(), 'sb-read-'));
    await writeTable(orphansOnly, 'requests', keys, 'r1', point('r1').requests);
    for (const table of TABLE_NAMES) {
      const read = await describeSql(readParquetSql(full, table));
      expect(await describeSql(tableSql(empty, table)), table).toEqual(read);
      expect(read.map((c) => c.split(' ')[0])).toEqual(tableColumns(table).map((c) => c.name));
    }
    expect(await describeSql(tableSql(orphansOnly, 'requests'))).toEqual(await describeSql(readParquetSql(full, 'requests')));
    expect(await counts(empty)).toEqual({ runs: 0, requests: 0, summary: 0, gpu: 0, host: 0, server_metrics: 0 });
    expect((await counts(orphansOnly)).requests).toBe(0);
    // Joins and EXCLUDE of hive keys work on empty tables too.
    expect(await query(`SELECT count(*)::INTEGER AS n FROM ${tableSql(empty, 'summary')} s JOIN ${tableSql(empty, 'runs')} r USING (run_id)`)).toEqual([{ n: 0 }]);
    expect(await query(`SELECT * EXCLUDE (host, sweep) FROM ${tableSql(empty, 'requests')}`)).toEqual([]);
  });
});

/** Zeroes every byte between the magic and the footer: the footer still parses, the pages do not. */
async function corruptPages(file: string): Promise<void> {
  const buf = await readFile(file);
  const footer = buf.readUInt32LE(buf.length - 8);
  buf.fill(0, 4, buf.length - footer - 8);
  await writeFile(file, buf);
}

describe('readers built on tableSql', () => {
  it('site/lib/data.ts expands {table} to tableSql; sweep exports still cover exactly the complete points', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-readers-'));
    await writePoint(dir, keys, 'r1', point('r1'));
    await writeTable(dir, 'requests', keys, 'r2', point('r2').requests); // killed before its runs row
    const before = process.env.SERVEBENCH_DATA_DIR;
    process.env.SERVEBENCH_DATA_DIR = dir; // read once, when data.ts is imported
    const { query: siteQuery } = await import('../../site/lib/data.ts');
    if (before === undefined) delete process.env.SERVEBENCH_DATA_DIR;
    else process.env.SERVEBENCH_DATA_DIR = before;
    expect(await siteQuery('SELECT run_id, count(*)::INTEGER AS n FROM {requests} GROUP BY 1', ['requests'])).toEqual([{ run_id: 'r1', n: 2 }]);
    const { writeExports } = await import('../../runner/lib/sweep/exports.ts');
    const out = await writeExports(dir, 's1');
    expect(await readdir(join(out, 'raw'))).toEqual(['r1.jsonl']);
    expect((await readFile(join(out, 'summary.csv'), 'utf8')).trim().split('\n')).toHaveLength(2);
  });
});

describe('checkParquet', () => {
  it('finds truncated, zero-byte and garbage files and pages corrupted behind an intact footer; lists leftovers apart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-check-'));
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) await writePoint(dir, keys, id, point(id));
    const clean = await checkParquet(dir);
    expect(clean).toMatchObject({ files: 30, bad: [], leftovers: [] });

    const truncated = fileOf('requests', 'r1');
    await truncate(join(dir, truncated), Math.floor((await stat(join(dir, truncated))).size / 2));
    const zero = fileOf('summary', 'r2');
    await writeFile(join(dir, zero), '');
    const garbage = fileOf('gpu', 'r3');
    await writeFile(join(dir, garbage), 'PAR1 this is not parquet at all PAR1');
    const pages = fileOf('requests', 'r4');
    await corruptPages(join(dir, pages));
    // Staging files of writes that did not finish: one of a dead writer, one of a live one (this process).
    const dead = `${fileOf('requests', 'r9')}.${deadPid()}.ndjson`;
    const live = `${fileOf('runs', 'r9')}.${process.pid}.tmp`;
    await writeFile(join(dir, dead), '{}\n');
    await writeFile(join(dir, live), 'x');

    const check = await checkParquet(dir);
    expect(check.files).toBe(30);
    expect(check.bad.map((b) => b.path).sort()).toEqual([garbage, pages, zero, truncated].sort());
    for (const b of check.bad) expect(b.error).toMatch(/\w/);
    expect(check.bad.find((b) => b.path === truncated)?.error).toMatch(/magic bytes/i);
    expect(check.leftovers).toEqual([
      { path: dead, pid: expect.any(Number), active: false },
      { path: live, pid: process.pid, active: true },
    ]);
  });

  it('finds every bad file among many (halving a failing batch), with no false alarms', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-check-'));
    const ids = Array.from({ length: 40 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    for (const id of ids) await writeTable(dir, 'requests', keys, id, point(id).requests);
    const bad = [ids[0]!, ids[7]!, ids[8]!, ids[23]!, ids[39]!].map((id) => fileOf('requests', id));
    for (const f of bad) await truncate(join(dir, f), 100);
    const check = await checkParquet(dir);
    expect(check.files).toBe(40);
    expect(check.bad.map((b) => b.path)).toEqual(bad);
  });

  it('an empty or missing data directory is clean', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-check-'));
    expect(await checkParquet(dir)).toMatchObject({ files: 0, bad: [], leftovers: [] });
    expect(await checkParquet(join(dir, 'nope'))).toMatchObject({ files: 0, bad: [], leftovers: [] });
  });
});

describe('quarantine', () => {
  it('moves files to quarantine/<ISO time>/<same path> and says where; the data then checks clean', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-quar-'));
    await writePoint(dir, keys, 'r1', point('r1'));
    await writePoint(dir, keys, 'r2', point('r2'));
    const bad = fileOf('requests', 'r1');
    await writeFile(join(dir, bad), 'garbage');
    const leftover = `${fileOf('summary', 'r3')}.${deadPid()}.tmp`;
    await writeFile(join(dir, leftover), 'half');
    const moved = await quarantine(dir, [bad, join(dir, leftover)], new Date('2026-11-24T01:02:03.456Z'));
    expect(moved).toEqual([
      { from: bad, to: `quarantine/20261124T010203.456Z/${bad}` },
      { from: leftover, to: `quarantine/20261124T010203.456Z/${leftover}` },
    ]);
    expect(await readFile(join(dir, moved[0]!.to), 'utf8')).toBe('garbage');
    expect(await readFile(join(dir, moved[1]!.to), 'utf8')).toBe('half');
    await expect(stat(join(dir, bad))).rejects.toThrow();
    await expect(stat(join(dir, leftover))).rejects.toThrow();
    expect(await checkParquet(dir)).toMatchObject({ files: 11, bad: [], leftovers: [] });
    // The quarantine folder is not a table: nothing reads it.
    expect(await counts(dir)).toEqual({ runs: 2, requests: 2, summary: 2, gpu: 2, host: 2, server_metrics: 2 });
  });

  it('never touches anything outside the data directory, and moves nothing when one path is refused', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'sb-outside-'));
    await writeFile(join(outside, 'precious.parquet'), 'keep me');
    const dir = await mkdtemp(join(tmpdir(), 'sb-quar-'));
    await writePoint(dir, keys, 'r1', point('r1'));
    const good = fileOf('requests', 'r1');
    // A folder inside the data directory that is a symlink leading out of it.
    await mkdir(join(dir, 'gpu'), { recursive: true });
    await symlink(outside, join(dir, 'gpu', 'link'));
    const refused = [
      `../${join(outside.split('/').pop()!, 'precious.parquet')}`,
      join(outside, 'precious.parquet'),
      'gpu/link/precious.parquet',
      'requests/../../etc/passwd',
      '.',
      'quarantine/x.parquet',
    ];
    for (const f of refused) await expect(quarantine(dir, [good, f]), f).rejects.toThrow(/quarantine: /);
    expect(await readFile(join(outside, 'precious.parquet'), 'utf8')).toBe('keep me');
    expect(await readdir(outside)).toEqual(['precious.parquet']);
    expect((await stat(join(dir, good))).isFile()).toBe(true);
    await expect(stat(join(dir, 'quarantine'))).rejects.toThrow();
  });
});

describe('CorruptDataError', () => {
  it('names each bad file (10 at most, then how many more), says results cannot be trusted and gives the command', () => {
    const bad = Array.from({ length: 13 }, (_, i) => ({ path: `requests/host=h/framework=f/sweep=s/r${i}.parquet`, error: `Invalid Input Error: broken ${i}` }));
    const err = new CorruptDataError('my data', bad);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('CorruptDataError');
    for (let i = 0; i < 10; i++) expect(err.message).toContain(`r${i}.parquet`);
    for (let i = 10; i < 13; i++) expect(err.message).not.toContain(`r${i}.parquet`);
    expect(err.message).toContain('and 3 more');
    expect(err.message).toContain('broken 0');
    expect(err.message).toMatch(/cannot be trusted until .* moved aside/);
    expect(err.message).toContain(`zx runner/sql.mjs --quarantine --data-dir 'my data'`);

    const one = new CorruptDataError('data', bad.slice(0, 1));
    expect(one.message).toContain('1 Parquet file under data cannot be read');
    expect(one.message).not.toContain('more');
    expect(one.message).toContain('zx runner/sql.mjs --quarantine --data-dir data');
  });
});
