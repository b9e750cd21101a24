import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SQL_HELP } from '../../runner/lib/sql/repl.ts';
import { TABLE_NAMES } from '../../runner/lib/store/schema.ts';
import { writePoint, writeTable, type PointTables } from '../../runner/lib/store/writer.ts';

const run = promisify(execFile);
const keys = { host: 'h', framework: 'reference', sweep: 's' };

function point(runId: string): PointTables {
  const base = { run_id: runId, framework: 'reference' };
  return {
    runs: { ...base, sweep_id: 's', scenario: 'single' },
    requests: [{ ...base, request_index: 0, ttft_ms: 12.5, status: 'ok' }],
    summary: { ...base, scenario: 'single', point: 'c=1', ttft_p50: 12.5 },
    gpu: [{ ...base, t_ms: 1, power_w: 100 }],
    host: [],
    server_metrics: [],
  };
}

const sqlIn = (dir: string) => (...args: string[]) => run(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sql.mjs', '--data-dir', dir, ...args]);
const requestsFile = (runId: string) => join('requests', 'host=h', 'framework=reference', 'sweep=s', `${runId}.parquet`);

describe('zx runner/sql.mjs refuses to answer over unreadable files', () => {
  it('a truncated file: exit 1, stderr names it and the --quarantine command, nothing on stdout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-sqlbad-'));
    await writePoint(dir, keys, 'r1', point('r1'));
    await writePoint(dir, keys, 'r2', point('r2'));
    const sql = sqlIn(dir);
    expect(JSON.parse((await sql('--format', 'json', 'SELECT count(*) AS n FROM requests')).stdout)).toEqual([{ n: 2 }]);
    await truncate(join(dir, requestsFile('r2')), 50);
    const err = await sql('--format', 'json', 'SELECT count(*) AS n FROM requests').then(
      () => null,
      (e: unknown) => e as { code: number; stdout: string; stderr: string },
    );
    expect(err).not.toBeNull();
    expect(err!.code).toBe(1);
    expect(err!.stdout).toBe('');
    expect(err!.stderr).toContain(requestsFile('r2'));
    expect(err!.stderr).toMatch(/cannot be trusted/);
    expect(err!.stderr).toContain(`zx runner/sql.mjs --quarantine --data-dir ${dir}`);
    // Every table is refused, not only the broken one.
    await expect(sql('SELECT count(*) FROM runs')).rejects.toMatchObject({ code: 1 });
  });

  it('--quarantine moves the bad file and a dead write\'s staging file aside, says where, exits 0; then queries answer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-sqlbad-'));
    await writePoint(dir, keys, 'r1', point('r1'));
    await writePoint(dir, keys, 'r2', point('r2'));
    await writeFile(join(dir, requestsFile('r2')), 'not parquet');
    const staging = `${requestsFile('r3')}.1.ndjson`; // host "h" is not this host: judged by age
    await writeFile(join(dir, staging), '{}\n');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, staging), old, old);
    const sql = sqlIn(dir);

    const q = await sql('--quarantine');
    expect(q.stdout).toBe('');
    const stamp = (await readdir(join(dir, 'quarantine')))[0]!;
    expect(stamp).toMatch(/^\d{8}T\d{6}\.\d{3}Z$/);
    expect(q.stderr).toContain(`${requestsFile('r2')} -> quarantine/${stamp}/${requestsFile('r2')}`);
    expect(q.stderr).toContain(`${staging} -> quarantine/${stamp}/${staging}`);
    expect(await readFile(join(dir, 'quarantine', stamp, requestsFile('r2')), 'utf8')).toBe('not parquet');
    await expect(stat(join(dir, requestsFile('r2')))).rejects.toThrow();
    await expect(stat(join(dir, staging))).rejects.toThrow();

    const json = await sql('--format', 'json', 'SELECT run_id FROM requests ORDER BY 1');
    expect(JSON.parse(json.stdout)).toEqual([{ run_id: 'r1' }]);
    expect(JSON.parse((await sql('--format', 'json', 'SELECT count(*) AS n FROM runs')).stdout)).toEqual([{ n: 2 }]);
    // Nothing left to move.
    expect((await sql('--quarantine')).stderr).toMatch(/nothing to move/);
  });

  it('--quarantine followed by a query moves the file, then answers it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-sqlbad-'));
    await writePoint(dir, keys, 'r1', point('r1'));
    await writePoint(dir, keys, 'r2', point('r2'));
    await writeFile(join(dir, requestsFile('r1')), '');
    const { stdout, stderr } = await sqlIn(dir)('--format', 'csv', '--quarantine', 'SELECT run_id FROM requests');
    expect(stderr).toContain(`moved 1 file`);
    expect(stderr).toContain(requestsFile('r1'));
    expect(stdout.trim()).toBe('run_id\nr2');
  });
});

describe('zx runner/sql.mjs views', () => {
  it('rows of a point without a runs row (a killed write) are in no view', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-sqlorph-'));
    await writePoint(dir, keys, 'r1', point('r1'));
    const killed = point('r2');
    await writeTable(dir, 'requests', keys, 'r2', killed.requests);
    await writeTable(dir, 'summary', keys, 'r2', [killed.summary]);
    await writeTable(dir, 'gpu', keys, 'r2', killed.gpu);
    const counts = TABLE_NAMES.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(', ');
    const { stdout } = await sqlIn(dir)('--format', 'json', `SELECT ${counts}`);
    expect(JSON.parse(stdout)).toEqual([{ runs: 1, requests: 1, summary: 1, gpu: 1, host: 0, server_metrics: 0 }]);
  });

  it('every table is queryable in an empty data directory, with its columns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-sqlempty-'));
    const sql = sqlIn(dir);
    const counts = TABLE_NAMES.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(', ');
    expect(JSON.parse((await sql('--format', 'json', `SELECT ${counts}`)).stdout)).toEqual([{ runs: 0, requests: 0, summary: 0, gpu: 0, host: 0, server_metrics: 0 }]);
    const cols = await sql('--format', 'csv', 'SELECT run_id, ttft_ms, itl_ms, host, sweep FROM requests');
    expect(cols.stdout.trim()).toBe('run_id,ttft_ms,itl_ms,host,sweep');
  });

  it('SQL_HELP documents --quarantine', () => {
    expect(SQL_HELP).toMatch(/--quarantine\s+move unreadable Parquet files/);
  });
});
