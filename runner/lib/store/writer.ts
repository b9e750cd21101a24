// Writes one finished scenario point to Parquet through DuckDB, crash-safely: every table goes to a temporary file
// that is renamed into place, and the `runs` row goes last — a point exists for readers and for --resume exactly when
// its runs file does. A run id is deterministic, so redoing a half-written point overwrites instead of duplicating.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tableSql } from './read.ts';
import { partitionPath, SCHEMA, sqlString, type PartitionKeys, type RowOf, type TableName } from './schema.ts';

export type Row = Record<string, unknown>;

/** One point's rows, each typed by its table's schema (a key the schema does not define does not compile). */
export interface PointTables {
  runs: RowOf<'runs'>;
  requests: Array<RowOf<'requests'>>;
  summary: RowOf<'summary'>;
  gpu: Array<RowOf<'gpu'>>;
  host: Array<RowOf<'host'>>;
  server_metrics: Array<RowOf<'server_metrics'>>;
}

let connection: Promise<DuckDBConnection> | null = null;

/** One in-process DuckDB for the whole sweep; it only stages rows, the data lives in the Parquet files. */
export function duck(): Promise<DuckDBConnection> {
  connection ??= DuckDBInstance.create(':memory:').then((db) => db.connect());
  return connection;
}

function columnsStruct(table: TableName): string {
  return `{${SCHEMA[table].map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ')}}`;
}

const COLUMN_SETS = Object.fromEntries(Object.entries(SCHEMA).map(([t, cols]) => [t, new Set(cols.map((c) => c.name))])) as Record<TableName, Set<string>>;

/**
 * Schema columns in schema order. A key the schema does not have is an error, not silently dropped: a misspelt column
 * would otherwise vanish from every file while the code that wrote it looks fine.
 */
function project(table: TableName, row: Row): Row {
  const unknown = Object.keys(row).filter((k) => !COLUMN_SETS[table].has(k));
  if (unknown.length > 0) throw new Error(`${table} row has key(s) the schema does not define: ${unknown.join(', ')} (runner/lib/store/schema.ts)`);
  const out: Row = {};
  for (const c of SCHEMA[table]) {
    const v = row[c.name];
    out[c.name] = v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? null : v;
  }
  return out;
}

export async function writeTable(dataDir: string, table: TableName, keys: PartitionKeys, runId: string, rows: readonly Row[]): Promise<string> {
  const final = join(dataDir, partitionPath(table, keys, runId));
  await mkdir(dirname(final), { recursive: true });
  const staging = `${final}.${process.pid}.ndjson`;
  const tmp = `${final}.${process.pid}.tmp`;
  await writeFile(staging, rows.map((r) => JSON.stringify(project(table, r))).join('\n') + '\n');
  try {
    const c = await duck();
    const cols = SCHEMA[table].map((col) => `"${col.name}"`).join(', ');
    // Explicit column types: an all-null column still gets its schema type, and every file of a table agrees.
    const source =
      rows.length === 0
        ? `(SELECT ${SCHEMA[table].map((col) => `NULL::${col.type} AS "${col.name}"`).join(', ')} LIMIT 0)`
        : `(SELECT ${cols} FROM read_json(${sqlString(staging)}, format = 'newline_delimited', columns = ${columnsStruct(table)}))`;
    await c.run(`COPY ${source} TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION snappy)`);
    await rename(tmp, final);
  } finally {
    await rm(staging, { force: true });
    await rm(tmp, { force: true });
  }
  return final;
}

export async function writePoint(dataDir: string, keys: PartitionKeys, runId: string, tables: PointTables): Promise<void> {
  // Every row is checked against the schema before any file is written: a bad row leaves nothing half-written.
  for (const table of ['requests', 'gpu', 'host', 'server_metrics'] as const) for (const r of tables[table]) project(table, r);
  project('summary', tables.summary);
  project('runs', tables.runs);
  for (const table of ['requests', 'summary', 'gpu', 'host', 'server_metrics'] as const) {
    const rows = table === 'summary' ? [tables.summary] : tables[table];
    await writeTable(dataDir, table, keys, runId, rows);
  }
  await writeTable(dataDir, 'runs', keys, runId, [tables.runs]);
}

/** Run ids already complete in a sweep (their runs row exists and is valid), for --resume: invalid points are redone. */
export async function completedRunIds(dataDir: string, sweepId: string): Promise<Set<string>> {
  const c = await duck();
  const reader = await c.runAndReadAll(`SELECT run_id FROM ${tableSql(dataDir, 'runs')} WHERE sweep_id = ${sqlString(sweepId)} AND valid IS NOT false`);
  return new Set(reader.getRowObjectsJson().map((r) => String(r.run_id)));
}

/** Sweeps that ran any of these targets, newest first (for --resume without an id). */
export async function sweepIdsFor(dataDir: string, targets: readonly string[]): Promise<string[]> {
  const c = await duck();
  const reader = await c.runAndReadAll(
    `SELECT DISTINCT sweep_id FROM ${tableSql(dataDir, 'runs')} WHERE json_extract_string(params, '$.target') IN (${targets.map(sqlString).join(', ')}) ORDER BY sweep_id DESC`,
  );
  return reader.getRowObjectsJson().map((r) => String(r.sweep_id));
}
