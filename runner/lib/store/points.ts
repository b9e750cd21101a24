// The per-point figures every reader uses, defined once: each point's summary row (the aggregates written with the
// point, runner/lib/metrics/run.ts) next to the facts of its run that readers group and filter by. The report
// (site/lib/data.ts), the exports (sweep/exports.ts) and runner/sql.mjs (its `points` view) all read this one query,
// so a figure cannot mean one thing on a page and another in a CSV or a query.
import type { TableName } from './schema.ts';

/** Run facts beside each summary row; `latest` marks the newest sweep of its framework × model × host. */
const RUN_FACTS = [
  'point_id', 'concurrency', 'input_tokens_target', 'output_tokens_target', 'sweep_id', 'model', 'host', 'profile', 'params',
  'client_limited', 'synthetic', 'invalid_reason', 'prefix_cache_reset', 'ignore_eos', 'stream', 'protocol', 'framework_version',
] as const;

/** `table` gives the FROM-able SQL of a table (a reader's tableSql, or the site's placeholders). */
export function pointsSql(table: (t: TableName) => string): string {
  return `(SELECT s.* EXCLUDE (host, sweep), ${RUN_FACTS.map((c) => `r.${c}`).join(', ')}, r.valid IS NOT false AS valid,
     r.sweep_id = max(r.sweep_id) OVER (PARTITION BY r.framework, r.model, r.host) AS latest
   FROM ${table('summary')} s JOIN ${table('runs')} r USING (run_id))`;
}
