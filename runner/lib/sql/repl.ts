// Ad-hoc SQL over the results: views runs, requests, summary, gpu, host, server_metrics over the Parquet files.
import { createInterface } from 'node:readline/promises';
import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import Table from 'cli-table3';
import { readParquetSql, TABLE_NAMES } from '../store/schema.ts';
import { duck } from '../store/writer.ts';

export type OutputFormat = 'table' | 'csv' | 'json';

export const SQL_HELP = `servebench sql — query the results with DuckDB

usage: zx runner/sql.mjs [options] ["SELECT …"]        (no query: an interactive prompt)

  --data-dir DIR            where the Parquet lives                  [data]
  --format table|csv|json   output format                            [table]
  --help                    this text

Views: ${TABLE_NAMES.join(', ')}. Example:
  zx runner/sql.mjs "SELECT framework, scenario, point, round(ttft_p50, 1) AS ttft_p50 FROM summary ORDER BY 1, 2"`;

/** Creates one view per table that has files; a table with none gets an empty view of the right shape. */
export async function openResults(dataDir: string): Promise<DuckDBConnection> {
  const c = await duck();
  for (const table of TABLE_NAMES) {
    try {
      await c.run(`CREATE OR REPLACE VIEW ${table} AS SELECT * FROM ${readParquetSql(resolve(dataDir), table)}`);
    } catch {
      const { createTableSql } = await import('../store/schema.ts');
      await c.run(`DROP VIEW IF EXISTS ${table}`);
      await c.run(createTableSql(table).replace('CREATE TABLE', 'CREATE OR REPLACE TEMP TABLE'));
    }
  }
  return c;
}

export async function runQuery(c: DuckDBConnection, sql: string, format: OutputFormat): Promise<string> {
  const reader = await c.runAndReadAll(sql);
  const columns = reader.columnNames();
  const rows = reader.getRowObjectsJson() as Array<Record<string, unknown>>;
  // The JSON reader writes 64-bit integers as strings; counts and ids fit in a double, so give them back as numbers.
  const integer = new Set(columns.filter((_, i) => /INT/.test(String(reader.columnTypes()[i]))));
  const plain = (k: string, v: unknown): unknown => (integer.has(k) && typeof v === 'string' && Number.isSafeInteger(Number(v)) ? Number(v) : v);
  if (format === 'json') return JSON.stringify(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(k, v)]))), null, 2);
  const text = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  if (format === 'csv') {
    const esc = (s: string): string => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    return [columns.map(esc).join(','), ...rows.map((r) => columns.map((k) => esc(text(r[k]))).join(','))].join('\n');
  }
  const table = new Table({ head: columns, style: { head: [], border: [] } });
  for (const r of rows) table.push(columns.map((k) => text(r[k])));
  return `${table.toString()}\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
}

export async function repl(c: DuckDBConnection, format: OutputFormat): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'servebench> ' });
  process.stdout.write(`views: ${TABLE_NAMES.join(', ')} — end statements with ; — .quit to leave\n`);
  // Piped input ends before its last answer is printed: never prompt on a closed interface.
  let closed = false;
  rl.on('close', () => (closed = true));
  const prompt = (): void => {
    if (!closed) rl.prompt();
  };
  prompt();
  let buffer = '';
  for await (const line of rl) {
    if (buffer === '' && (line.trim() === '.quit' || line.trim() === '.exit')) break;
    buffer += line + '\n';
    if (!line.trim().endsWith(';')) continue;
    try {
      process.stdout.write((await runQuery(c, buffer, format)) + '\n');
    } catch (err) {
      process.stdout.write(`error: ${(err as Error).message}\n`);
    }
    buffer = '';
    prompt();
  }
  rl.close();
}

export async function sqlMain(argv: Record<string, unknown>): Promise<number> {
  if (argv.help === true || argv.h === true) {
    process.stdout.write(SQL_HELP + '\n');
    return 0;
  }
  const format = String(argv.format ?? 'table');
  if (!['table', 'csv', 'json'].includes(format)) {
    process.stderr.write(`error: --format must be table, csv or json, got ${format}\n`);
    return 2;
  }
  const c = await openResults(String(argv['data-dir'] ?? 'data'));
  const query = (Array.isArray(argv._) ? argv._ : []).join(' ').trim();
  if (query === '') {
    await repl(c, format as OutputFormat);
    return 0;
  }
  try {
    process.stdout.write((await runQuery(c, query, format as OutputFormat)) + '\n');
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
}
