// Ad-hoc SQL over the results: views runs, requests, summary, gpu, host, server_metrics over the Parquet files.
import { createInterface } from 'node:readline/promises';
import { resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import Table from 'cli-table3';
import { checkParquet, CorruptDataError, quarantine, tableSql, type ParquetCheck } from '../store/read.ts';
import { pointsSql } from '../store/points.ts';
import { TABLE_NAMES } from '../store/schema.ts';

export type OutputFormat = 'table' | 'csv' | 'json';

export const SQL_HELP = `servebench sql — query the results with DuckDB

usage: zx runner/sql.mjs [options] ["SELECT …"]        (no query: an interactive prompt)

  --data-dir DIR            where the Parquet lives                  [data]
  --format table|csv|json   output format                            [table]
  --quarantine              move unreadable Parquet files (and staging files left by a killed
                            write) to DIR/quarantine/<time>/, print what moved where, then
                            answer the query if one is given
  --help                    this text

Every file is checked first: if any cannot be read, nothing is answered (exit 1) until it is
moved aside with --quarantine. Rows of a point without a runs row (a write that was killed)
are not shown.

Views: ${TABLE_NAMES.join(', ')}, and points (each point's summary with its run facts, exactly as the report and
the exports read it). Example:
  zx runner/sql.mjs "SELECT framework, scenario, point, round(ttft_p50, 1) AS ttft_p50 FROM summary ORDER BY 1, 2"`;

/**
 * Checks every file, then creates one view per table (tableSql: only rows of points that have a runs row; a table with
 * no files is an empty view of the right shape). Throws CorruptDataError when a file cannot be read: an answer that
 * silently left points out would look like a result.
 */
export async function openResults(dataDir: string, checked?: ParquetCheck): Promise<DuckDBConnection> {
  const check = checked ?? (await checkParquet(dataDir));
  if (check.bad.length > 0) throw new CorruptDataError(dataDir, check.bad);
  const c = await (await DuckDBInstance.create(':memory:')).connect();
  for (const table of TABLE_NAMES) await c.run(`CREATE OR REPLACE VIEW ${table} AS SELECT * FROM ${tableSql(resolve(dataDir), table)}`);
  // The per-point figures exactly as the report and the exports read them (store/points.ts).
  await c.run(`CREATE OR REPLACE VIEW points AS SELECT * FROM ${pointsSql((t: string) => t)}`);
  return c;
}

/** --quarantine: moves unreadable files and dead writers' staging files aside; returns the lines to print. */
export async function quarantineBad(dataDir: string, check: ParquetCheck): Promise<string[]> {
  const files = [...check.bad.map((b) => b.path), ...check.leftovers.filter((l) => !l.active).map((l) => l.path)];
  const busy = check.leftovers.filter((l) => l.active);
  const lines: string[] = [];
  if (files.length === 0) lines.push(`quarantine: nothing to move (${check.files} Parquet file${check.files === 1 ? '' : 's'} readable)`);
  else {
    const moved = await quarantine(dataDir, files);
    const why = new Map(check.bad.map((b) => [b.path, b.error]));
    lines.push(`quarantine: moved ${moved.length} file${moved.length === 1 ? '' : 's'} under ${dataDir}:`);
    for (const m of moved) lines.push(`  ${m.from} -> ${m.to}  (${why.get(m.from) ?? 'staging file left by a write that did not finish'})`);
  }
  for (const l of busy) lines.push(`  left in place (a write may be in progress): ${l.path}`);
  return lines;
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
  process.stdout.write(`views: ${TABLE_NAMES.join(', ')}, points — end statements with ; — .quit to leave\n`);
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
  const dataDir = String(argv['data-dir'] ?? 'data');
  // Without declared booleans the argument parser takes the word after --quarantine as its value: the query.
  const words = (Array.isArray(argv._) ? argv._ : []).map(String);
  if (typeof argv.quarantine === 'string') words.unshift(argv.quarantine);
  const query = words.join(' ').trim();
  let check: ParquetCheck;
  try {
    check = await checkParquet(dataDir);
    if (argv.quarantine !== undefined && argv.quarantine !== false) {
      process.stderr.write((await quarantineBad(dataDir, check)).join('\n') + '\n');
      if (query === '') return 0;
      check = await checkParquet(dataDir);
    }
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
  const leftovers = check.leftovers.filter((l) => !l.active).length;
  if (leftovers > 0 && check.bad.length === 0) {
    process.stderr.write(`note: ${leftovers} staging file${leftovers === 1 ? '' : 's'} left by a write that did not finish (not read; zx runner/sql.mjs --quarantine moves them aside)\n`);
  }
  let c: DuckDBConnection;
  try {
    c = await openResults(dataDir, check);
  } catch (err) {
    if (!(err instanceof CorruptDataError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
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
