// The one way read-only code reads the tables. A point exists exactly when its `runs` file does (writer.ts writes it
// last), so every other table is filtered to run ids that have a runs row: rows of a point killed mid-write stay
// invisible. checkParquet finds files DuckDB cannot read (truncated, empty, garbage) before anyone trusts an answer,
// and quarantine moves them aside, never touching anything outside the data directory.
import { lstatSync, readdirSync, type Dirent } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, realpath, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { pidAlive } from './lock.ts';
import { PARTITION_KEYS, readParquetSql, safeKey, SCHEMA, sqlString, TABLE_NAMES, type TableName } from './schema.ts';

let instance: Promise<DuckDBInstance> | null = null;

/** A new connection on this module's own in-memory DuckDB (never the writer's): reading only. */
export async function openReadConnection(): Promise<DuckDBConnection> {
  instance ??= DuckDBInstance.create(':memory:');
  return (await instance).connect();
}

/** Whether a table folder holds at least one Parquet file; stops at the first one found. */
function hasParquetSync(dir: string): boolean {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) if (e.isFile() && e.name.endsWith('.parquet')) return true;
  for (const e of entries) if (e.isDirectory() && hasParquetSync(join(dir, e.name))) return true;
  return false;
}

/** Columns a read of the table yields: the schema's, then the hive keys the schema does not already have. */
export function tableColumns(table: TableName): Array<{ name: string; type: string }> {
  const own = SCHEMA[table].map((c) => ({ name: c.name, type: c.type as string }));
  const hive = PARTITION_KEYS.filter((k) => !own.some((c) => c.name === k)).map((name) => ({ name, type: 'VARCHAR' }));
  return [...own, ...hive];
}

/** A typed, empty subquery with the columns a read of the table would have. */
export function emptyTableSql(table: TableName): string {
  return `(SELECT ${tableColumns(table).map((c) => `NULL::${c.type} AS "${c.name}"`).join(', ')} LIMIT 0)`;
}

/**
 * A parenthesised subquery for one table under a data directory. `runs` is read as it is; every other table keeps only
 * rows whose run_id has a runs row. A table with no files (or, for the others, no runs files) is a typed empty select,
 * so every table is always queryable with its columns.
 */
export function tableSql(dataDir: string, table: TableName): string {
  const dir = dataDir.replace(/\/$/, '');
  if (!hasParquetSync(join(dir, 'runs'))) return emptyTableSql(table);
  if (table !== 'runs' && !hasParquetSync(join(dir, table))) return emptyTableSql(table);
  // Files written by an older schema lack the newer columns; by-name union with the typed empty select gives every
  // read all of today's columns (NULL where a file has none), so queries never depend on which files exist.
  const all = (t: TableName): string => `(SELECT * FROM ${emptyTableSql(t)} UNION ALL BY NAME SELECT * FROM ${readParquetSql(dir, t)})`;
  if (table === 'runs') return all('runs');
  return `(SELECT * FROM ${all(table)} WHERE run_id IN (SELECT run_id FROM ${readParquetSql(dir, 'runs')}))`;
}

export interface BadFile {
  /** Relative to the data directory. */
  path: string;
  /** DuckDB's error (first line). */
  error: string;
}

export interface Leftover {
  /** Relative to the data directory. */
  path: string;
  /** The writer's pid from the staging name (`<run>.parquet.<pid>.tmp|ndjson`), when it has one. */
  pid: number | null;
  /** Possibly still being written: its writer is alive on this host, or (pid unknown / other host) it is recent. */
  active: boolean;
}

export interface ParquetCheck {
  /** Parquet files checked. */
  files: number;
  bad: BadFile[];
  leftovers: Leftover[];
  ms: number;
}

/** Staging files written by a process that is gone: not read by anyone, safe to move aside. */
const LEFTOVER = /\.(tmp|ndjson)$/;
const LEFTOVER_PID = /\.parquet\.(\d+)\.(?:tmp|ndjson)$/;
/** A staging file lives for the seconds one COPY takes; one this old from an unknown writer is not in progress. */
const LEFTOVER_GRACE_MS = 10 * 60_000;

function leftoverOf(dataDir: string, rel: string): Leftover {
  const m = LEFTOVER_PID.exec(rel);
  const pid = m ? Number(m[1]) : null;
  const host = /(?:^|\/)host=([^/]+)\//.exec(rel)?.[1];
  let here = false;
  try {
    here = host === safeKey(hostname());
  } catch {
    // A host name with no usable characters: treat the file as another host's.
  }
  let active: boolean;
  if (pid !== null && here) active = pidAlive(pid);
  else {
    try {
      active = Date.now() - lstatSync(join(dataDir, rel)).mtimeMs < LEFTOVER_GRACE_MS;
    } catch {
      active = false;
    }
  }
  return { path: rel, pid, active };
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();

/**
 * Files whose footer and data DuckDB can read. One read of every column of every file per table (fast); when that
 * fails, the files are halved until each failing file is alone, so a bad file costs a few reads, not one per file.
 */
async function findUnreadable(c: DuckDBConnection, files: string[]): Promise<Array<{ file: string; error: string }>> {
  if (files.length === 0) return [];
  // count(col) of every column makes DuckDB decode every page; count(*) alone would be answered from the footer.
  const list = files.length === 1 ? sqlString(files[0]!) : `[${files.map(sqlString).join(', ')}]`;
  try {
    await c.run(`SELECT count(COLUMNS(*)) FROM read_parquet(${list}, union_by_name = true)`);
    return [];
  } catch (err) {
    if (files.length === 1) return [{ file: files[0]!, error: firstLine(err) }];
  }
  const half = Math.ceil(files.length / 2);
  return [...(await findUnreadable(c, files.slice(0, half))), ...(await findUnreadable(c, files.slice(half)))];
}

/** Every file under the table folders, relative to the data directory, sorted. */
async function tableFiles(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const table of TABLE_NAMES) {
    let entries: Dirent[];
    try {
      entries = await readdir(join(dataDir, table), { recursive: true, withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) if (e.isFile()) out.push(relative(dataDir, join(e.parentPath, e.name)).split(sep).join('/'));
  }
  return out.sort();
}

/**
 * Checks every `*.parquet` under the data directory's table folders for readability (footer and data). Staging files
 * (`*.tmp`, `*.ndjson`) are not read by anyone; they are listed as leftovers.
 */
export async function checkParquet(dataDir: string): Promise<ParquetCheck> {
  const t0 = performance.now();
  const root = resolve(dataDir);
  const all = await tableFiles(root);
  const parquet = all.filter((f) => f.endsWith('.parquet'));
  const leftovers = all.filter((f) => LEFTOVER.test(f)).map((f) => leftoverOf(root, f));
  const c = await openReadConnection();
  const bad: BadFile[] = [];
  try {
    for (const table of TABLE_NAMES) {
      const files = parquet.filter((f) => f.startsWith(`${table}/`)).map((f) => join(root, f));
      for (const { file, error } of await findUnreadable(c, files)) bad.push({ path: relative(root, file).split(sep).join('/'), error });
    }
  } finally {
    c.closeSync();
  }
  return { files: parquet.length, bad, leftovers, ms: performance.now() - t0 };
}

const shellWord = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** Some Parquet files cannot be read: any answer over them may silently leave points out. */
export class CorruptDataError extends Error {
  readonly dataDir: string;
  readonly bad: BadFile[];

  constructor(dataDir: string, bad: BadFile[]) {
    const shown = bad.slice(0, 10).map((b) => `  ${b.path}  (${b.error.length > 200 ? `${b.error.slice(0, 200)}…` : b.error})`);
    if (bad.length > 10) shown.push(`  … and ${bad.length - 10} more`);
    super(
      [
        `${bad.length} Parquet file${bad.length === 1 ? '' : 's'} under ${dataDir} cannot be read:`,
        ...shown,
        'Results cannot be trusted until these files are moved aside: a query could leave out the points they hold.',
        `Move them to ${join(dataDir, 'quarantine')}/ with:`,
        `  zx runner/sql.mjs --quarantine --data-dir ${shellWord(dataDir)}`,
      ].join('\n'),
    );
    this.name = 'CorruptDataError';
    this.dataDir = dataDir;
    this.bad = bad;
  }
}

export interface Moved {
  /** Relative to the data directory. */
  from: string;
  /** Relative to the data directory: `quarantine/<time>/<from>`. */
  to: string;
}

const inside = (root: string, p: string): boolean => p !== root && p.startsWith(root + sep);

/** ISO 8601 (basic format, so no colons in a directory name), e.g. 20261124T010203.456Z. */
const isoStamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '');

/**
 * Moves files (paths relative to the data directory, or absolute inside it) to `<dataDir>/quarantine/<time>/<same
 * relative path>`. A path that resolves outside the data directory (`..`, absolute elsewhere, a symlinked folder
 * leading out), into the quarantine folder itself, or to something that is not a file is rejected before anything moves.
 */
export async function quarantine(dataDir: string, files: readonly string[], now: Date = new Date()): Promise<Moved[]> {
  const root = await realpath(resolve(dataDir));
  const plan: Array<{ abs: string; rel: string }> = [];
  for (const f of files) {
    const lexical = resolve(root, f);
    if (!inside(root, lexical)) throw new Error(`quarantine: ${f} is outside the data directory ${dataDir}`);
    // The folder's real path: a symlinked folder must not lead the move out of the data directory.
    const parent = await realpath(dirname(lexical)).catch(() => null);
    const abs = parent === null ? lexical : join(parent, lexical.slice(dirname(lexical).length + 1));
    if (!inside(root, abs)) throw new Error(`quarantine: ${f} leads outside the data directory ${dataDir}`);
    const rel = relative(root, abs);
    if (rel.split(sep)[0] === 'quarantine') throw new Error(`quarantine: ${f} is already in quarantine`);
    const st = await lstat(abs).catch(() => null);
    if (st === null) throw new Error(`quarantine: ${f} does not exist`);
    if (!st.isFile()) throw new Error(`quarantine: ${f} is not a file`);
    if (isAbsolute(rel)) throw new Error(`quarantine: ${f} is outside the data directory ${dataDir}`);
    plan.push({ abs, rel });
  }
  const base = join('quarantine', isoStamp(now));
  const moved: Moved[] = [];
  for (const { abs, rel } of plan) {
    const to = join(root, base, rel);
    await mkdir(dirname(to), { recursive: true });
    if (await lstat(to).then(() => true, () => false)) throw new Error(`quarantine: ${join(base, rel)} already exists`);
    try {
      await rename(abs, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // A table folder on another file system: copy, then remove.
      await copyFile(abs, to);
      await rm(abs);
    }
    moved.push({ from: rel.split(sep).join('/'), to: join(base, rel).split(sep).join('/') });
  }
  return moved;
}
