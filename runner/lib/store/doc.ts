// The schema as Markdown: data/README.md is generated from schema.ts, and a test keeps the two equal.
import { PARTITION_KEYS, SCHEMA, SCHEMA_VERSION, TABLE_NAMES } from './schema.ts';

export function schemaMarkdown(): string {
  const lines = [
    '# data/ — servebench results',
    '',
    `Parquet written by \`zx runner/sweep.mjs\`, schema version ${SCHEMA_VERSION} (generated from runner/lib/store/schema.ts;`,
    'regenerate with `node runner/lib/store/doc.ts > data/README.md`).',
    '',
    `Layout: \`data/<table>/${PARTITION_KEYS.map((k) => `${k}=…`).join('/')}/<run_id>.parquet\` — hive-style keys, so`,
    'many hosts, frameworks and sweeps sit side by side. Query with `zx runner/sql.mjs` (views of the same names), or',
    "from DuckDB: `SELECT * FROM read_parquet('data/requests/**/*.parquet', hive_partitioning = true, union_by_name = true)`.",
    '',
    'Times `t_*` are milliseconds on the measuring process\'s monotonic clock; add `runs.clock_origin_epoch_ms` for epoch time.',
    'A run is one scenario point × trial; its `runs` row is written last, so a run without one is incomplete.',
    '',
  ];
  for (const table of TABLE_NAMES) {
    lines.push(`## ${table}`, '', '| column | type | meaning |', '|---|---|---|');
    for (const c of SCHEMA[table]) lines.push(`| \`${c.name}\` | ${c.type} | ${c.doc.replaceAll('|', '\\|')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

if (import.meta.main) process.stdout.write(schemaMarkdown());
