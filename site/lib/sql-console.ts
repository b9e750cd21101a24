// Browser side of the SQL console. Results are written with textContent only: data may hold model output.
import type { AsyncDuckDBConnection } from '@duckdb/duckdb-wasm';

let connection: Promise<AsyncDuckDBConnection> | null = null;

/**
 * Opens DuckDB-WASM with the published Parquet loaded as tables. The files are parsed in JavaScript (hyparquet) and
 * handed over as Arrow, because DuckDB-WASM's own Parquet reader is an extension it would download from the internet,
 * and the report must work offline.
 */
async function open(base: string, tables: string[]): Promise<AsyncDuckDBConnection> {
  const duckdb = await import('@duckdb/duckdb-wasm');
  const { parquetReadObjects } = await import('hyparquet');
  const { tableFromJSON } = await import('apache-arrow');
  const wasmUrl = (await import('@duckdb/duckdb-wasm/dist/duckdb-mvp.wasm?url')).default;
  const workerUrl = (await import('@duckdb/duckdb-wasm/dist/duckdb-browser-mvp.worker.js?url')).default;
  const db = new duckdb.AsyncDuckDB(new duckdb.ConsoleLogger(duckdb.LogLevel.WARNING), new Worker(workerUrl));
  await db.instantiate(wasmUrl);
  const c = await db.connect();
  const files: string[] = await (await fetch(`${base}data/files.json`)).json();
  for (const table of tables) {
    const rows: Array<Record<string, unknown>> = [];
    for (const f of files.filter((x) => x.startsWith(`${table}/`))) {
      const file = await (await fetch(`${base}data/${f}`)).arrayBuffer();
      const sweep = /sweep=([^/]+)/.exec(f)?.[1] ?? null;
      for (const row of await parquetReadObjects({ file })) {
        const plain: Record<string, unknown> = { sweep };
        for (const [k, v] of Object.entries(row)) plain[k] = typeof v === 'bigint' ? Number(v) : v;
        rows.push(plain);
      }
    }
    if (rows.length > 0) await c.insertArrowTable(tableFromJSON(rows), { name: table, create: true });
  }
  return c;
}

function format(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '(0 rows)';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (typeof v === 'bigint' ? v.toString() : v === null ? '' : typeof v === 'object' ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) : String(v));
  const body = rows.map((r) => cols.map((c) => cell(r[c])));
  const widths = cols.map((c, i) => Math.min(40, Math.max(c.length, ...body.map((b) => b[i]!.length))));
  const line = (cells: string[]) => cells.map((s, i) => s.slice(0, 40).padEnd(widths[i]!)).join(' │ ');
  return [line(cols), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...body.map(line), `(${rows.length} rows)`].join('\n');
}

export function setupSqlConsole(el: HTMLElement): void {
  const input = el.querySelector('textarea')!;
  const out = el.querySelector<HTMLElement>('.result')!;
  el.querySelector('button')!.addEventListener('click', async () => {
    out.textContent = el.dataset.loading ?? '…';
    try {
      connection ??= open(el.dataset.base ?? '/', (el.dataset.tables ?? '').split(','));
      const c = await connection;
      const result = await c.query(input.value);
      out.textContent = format(result.toArray().map((r) => r.toJSON() as Record<string, unknown>));
      el.dataset.answered = 'true';
    } catch (err) {
      out.textContent = `error: ${(err as Error).message}`;
      el.dataset.answered = 'error';
    }
  });
}
