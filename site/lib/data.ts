// Build-time queries: the report reads the Parquet in the data directory with DuckDB and hands pages only aggregates
// (percentiles, downsampled ECDFs, a capped timeline), never raw request tables.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { pointsSql } from '../../runner/lib/store/points.ts';
import { tableSql } from '../../runner/lib/store/read.ts';
import { sqlString, type TableName } from '../../runner/lib/store/schema.ts';

export const DATA_DIR = resolve(process.env.SERVEBENCH_DATA_DIR ?? 'data');

let conn: Promise<DuckDBConnection> | null = null;
function db(): Promise<DuckDBConnection> {
  conn ??= DuckDBInstance.create(':memory:').then((i) => i.connect());
  return conn;
}

function hasFiles(table: TableName): boolean {
  const dir = join(DATA_DIR, table);
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.parquet'));
}

const cache = new Map<string, Promise<Array<Record<string, unknown>>>>();

/**
 * Runs a query once per build; `{table}` placeholders become tableSql (rows of points that have a runs row), missing
 * tables give no rows.
 */
export function query<T = Record<string, unknown>>(sql: string, tables: TableName[]): Promise<T[]> {
  if (!tables.every(hasFiles)) return Promise.resolve([]);
  let text = sql;
  for (const t of tables) text = text.replaceAll(`{${t}}`, tableSql(DATA_DIR, t));
  let p = cache.get(text);
  if (p === undefined) {
    p = db().then(async (c) => (await c.runAndReadAll(text)).getRowObjectsJson() as Array<Record<string, unknown>>);
    cache.set(text, p);
  }
  return p as Promise<T[]>;
}

/** The runs a report shows: each framework's latest sweep (sweep ids sort by time). */
// Invalid points (server died, too many failures) are never measurements: no chart or analysis reads their requests.
// The latest sweep of every framework × model × host: models and hosts are dimensions, never superseded by each other.
const SELECTED = `(SELECT r.* FROM {runs} r JOIN (SELECT framework, model, host, max(sweep_id) AS sweep_id FROM {runs} GROUP BY ALL) l USING (framework, model, host, sweep_id) WHERE r.valid IS NOT false)`;

/**
 * The selection with a `series` label for charts: the framework, or "framework · model · host" when the report covers
 * more than one model or host, so no line or distribution ever pools two models or two machines.
 */
const LABELLED = `(SELECT s.*, CASE WHEN (SELECT count(*) FROM (SELECT DISTINCT model, host FROM ${SELECTED})) > 1
  THEN s.framework || ' · ' || s.model || ' · ' || s.host ELSE s.framework END AS series FROM ${SELECTED} s)`;

/** One model on one host: the unit a verdict is computed in (never pooled across models or hosts). */
export interface Group {
  model: string;
  host: string;
}

/** SQL condition on the runs alias `r` for a group (none: every group). */
const inGroup = (g: Group | undefined): string => (g === undefined ? '' : ` AND r.model = ${sqlString(g.model)} AND r.host = ${sqlString(g.host)}`);

/** Every model × host the selected runs cover, in a stable order. */
export function analysisGroups(): Promise<Group[]> {
  return query<Group>(`SELECT DISTINCT r.model, r.host FROM ${SELECTED} r ORDER BY 1, 2`, ['runs']);
}

export interface SummaryRow {
  run_id: string;
  framework: string;
  scenario: string;
  point: string;
  point_id: string;
  concurrency: number | null;
  input_tokens_target: number | null;
  trial: number;
  n_ok: number;
  n_measured: number;
  success_rate: number | null;
  request_throughput: number | null;
  output_throughput: number | null;
  goodput: number | null;
  ttft_p50: number | null;
  ttft_p90: number | null;
  ttft_p99: number | null;
  tpot_p50: number | null;
  tpot_p99: number | null;
  itl_p50: number | null;
  itl_p99: number | null;
  e2e_p50: number | null;
  e2e_p99: number | null;
  client_limited: boolean;
  synthetic: boolean;
  /** The cross-check against the server's own timings and cache (null where the server reports none). */
  n_retried: number | null;
  cache_hit_share: number | null;
  prompt_computed_share: number | null;
  ttft_server_diff_p50: number | null;
  ttft_server_diff_p90: number | null;
  tpot_server_diff_p50: number | null;
  tpot_server_diff_p90: number | null;
  cross_check_flag: string | null;
  /** False for an invalid point: listed as such in tables, never charted or analysed. */
  valid: boolean;
  invalid_reason: string | null;
  model: string;
  host: string;
  /** GPU and host resources over the point's window (null without samples). */
  gpu_memory_peak_mib: number | null;
  gpu_memory_mean_mib: number | null;
  gpu_util_mean_pct: number | null;
  output_tokens_per_joule: number | null;
  server_rss_peak_mib: number | null;
  client_rss_peak_mib: number | null;
  params: string;
  sweep_id: string;
  latest: boolean;
}

/** Summaries of the selected (latest) runs that are measurements (invalid points left out). */
export async function summaries(): Promise<SummaryRow[]> {
  return (await summariesAllSweeps()).filter((r) => r.latest && r.valid);
}

/** Summaries of every sweep on disk, each marked with its sweep and whether it is its framework's latest. */
export function summariesAllSweeps(): Promise<SummaryRow[]> {
  return query<SummaryRow>(
    `SELECT p.run_id, p.framework, p.scenario, p.point, p.point_id, p.concurrency::INTEGER AS concurrency,
       p.input_tokens_target::INTEGER AS input_tokens_target, p.trial::INTEGER AS trial, p.n_ok::INTEGER AS n_ok,
       p.n_measured::INTEGER AS n_measured, p.success_rate, p.request_throughput, p.output_throughput, p.goodput,
       p.ttft_p50, p.ttft_p90, p.ttft_p99, p.tpot_p50, p.tpot_p99, p.itl_p50, p.itl_p99, p.e2e_p50, p.e2e_p99,
       p.n_retried::INTEGER AS n_retried, p.cache_hit_share, p.prompt_computed_share, p.ttft_server_diff_p50, p.ttft_server_diff_p90,
       p.tpot_server_diff_p50, p.tpot_server_diff_p90, p.cross_check_flag, p.gpu_memory_peak_mib, p.gpu_memory_mean_mib, p.gpu_util_mean_pct,
       p.output_tokens_per_joule, p.server_rss_peak_mib, p.client_rss_peak_mib, p.valid, p.invalid_reason,
       p.client_limited, p.synthetic, p.params, p.sweep_id, p.model, p.host, p.latest
     FROM ${pointsSql((t) => `{${t}}`)} p ORDER BY p.framework, p.scenario, p.concurrency, p.point_id, p.trial`,
    ['summary', 'runs'],
  );
}

export interface RunInfo {
  framework: string;
  sweep_id: string;
  host: string;
  framework_version: string | null;
  model: string;
  quantization: string | null;
  profile: string;
  synthetic: boolean;
  attached: boolean;
  runs: number;
  started: string;
  environment: string;
  launch_command: string | null;
  notes: string | null;
}

export function runInfo(): Promise<RunInfo[]> {
  return query<RunInfo>(
    `SELECT framework, any_value(sweep_id) AS sweep_id, any_value(host) AS host, any_value(framework_version) AS framework_version,
       any_value(model) AS model, any_value(quantization) AS quantization, any_value(profile) AS profile,
       bool_or(synthetic) AS synthetic, bool_or(attached) AS attached, count(*)::INTEGER AS runs,
       min(started_at)::VARCHAR AS started, any_value(environment) AS environment, any_value(launch_command) AS launch_command,
       string_agg(DISTINCT notes, '; ') AS notes
     FROM ${SELECTED} GROUP BY framework ORDER BY framework`,
    ['runs'],
  );
}

/** Every sweep on disk, for the appendix's run list (older runs stay queryable). */
export function allSweeps(): Promise<Array<{ framework: string; sweep_id: string; runs: number; synthetic: boolean }>> {
  return query(`SELECT framework, sweep_id, count(*)::INTEGER AS runs, bool_or(synthetic) AS synthetic FROM {runs} GROUP BY ALL ORDER BY sweep_id DESC, framework`, ['runs']);
}

export const ECDF_METRICS = ['ttft_ms', 'tpot_ms', 'e2e_ms'] as const;
export type EcdfMetric = (typeof ECDF_METRICS)[number];

/** ECDFs per framework for a scenario, downsampled to fixed quantiles (never the raw rows). */
export async function ecdf(scenario: string, metric: EcdfMetric, points = 60): Promise<Array<{ framework: string; p: number; value: number }>> {
  const probs = Array.from({ length: points + 1 }, (_, i) => i / points);
  const rows = await query<{ framework: string; qs: number[] }>(
    `SELECT r.series AS framework, quantile_cont(q.${metric}, [${probs.join(',')}]) AS qs
     FROM {requests} q JOIN ${LABELLED} r USING (run_id)
     WHERE r.scenario = '${scenario}' AND NOT q.is_warmup AND q.status = 'ok' AND q.${metric} IS NOT NULL GROUP BY r.series ORDER BY 1`,
    ['requests', 'runs'],
  );
  return rows.flatMap((r) => r.qs.map((value, i) => ({ framework: r.framework, p: probs[i]!, value: Number(value) })));
}

const SAMPLE_CAP = 2000;

/** Measured ok values of a request-level expression per framework for a scenario, for the hypothesis tests. */
export async function samples(scenario: string, expression: string, group?: Group): Promise<Map<string, number[]>> {
  const rows = await query<{ framework: string; v: number[] }>(
    `SELECT framework, list(v) AS v FROM (
       SELECT framework, v FROM (
         SELECT framework, request_id, (${expression}) AS v
         FROM (SELECT q.* FROM {requests} q JOIN ${SELECTED} r USING (run_id) WHERE r.scenario = '${scenario}' AND NOT q.is_warmup AND q.status = 'ok'${inGroup(group)}))
       WHERE v IS NOT NULL AND isfinite(v)
       -- A fixed pseudo-random subset of at most SAMPLE_CAP per framework: plenty for the tests, bounded build time.
       QUALIFY row_number() OVER (PARTITION BY framework ORDER BY hash(request_id)) <= ${SAMPLE_CAP})
     GROUP BY 1`,
    ['requests', 'runs'],
  );
  return new Map(rows.map((r) => [r.framework, r.v.map(Number)]));
}

/** Send → first token → last token of up to `limit` requests of the busiest concurrent point per framework. */
export function timeline(limit = 40): Promise<Array<{ framework: string; i: number; sent: number; first: number; last: number }>> {
  return query(
    `WITH busiest AS (SELECT series, arg_max(run_id, concurrency) AS run_id FROM ${LABELLED} WHERE scenario = 'concurrent' GROUP BY 1),
     q AS (SELECT b.series AS framework, q.request_index, q.t_sent, q.t_first_token, q.t_last_token, min(q.t_sent) OVER (PARTITION BY q.run_id) AS t0
           FROM {requests} q JOIN busiest b USING (run_id) WHERE NOT q.is_warmup AND q.status = 'ok')
     SELECT framework, request_index::INTEGER AS i, (t_sent - t0) AS sent, (t_first_token - t0) AS first, (t_last_token - t0) AS last
     FROM q QUALIFY row_number() OVER (PARTITION BY framework ORDER BY t_sent) <= ${limit} ORDER BY framework, sent`,
    ['requests', 'runs'],
  );
}

export function prefixSeries(): Promise<Array<{ framework: string; n: number; ttft_ms: number; cached_tokens: number | null }>> {
  return query(
    `SELECT r.series AS framework, (row_number() OVER (PARTITION BY q.run_id ORDER BY q.t_sent))::INTEGER AS n, q.ttft_ms, q.cached_tokens::INTEGER AS cached_tokens
     FROM {requests} q JOIN ${LABELLED} r USING (run_id) WHERE r.scenario = 'prefix_cache' AND NOT q.is_warmup AND q.status = 'ok' QUALIFY n <= 100 ORDER BY 1, 2`,
    ['requests', 'runs'],
  );
}

export interface LanguageRow {
  framework: string;
  task: string;
  language: string;
  input_tokens: number;
  output_tokens: number;
  input_chars: number;
  output_chars: number;
  chars_per_s: number | null;
  tokens_per_s: number | null;
}

/** Korean scenario medians per framework, task and language: tokens, characters and the two rates (H5). */
export function languageRows(group?: Group): Promise<LanguageRow[]> {
  return query<LanguageRow>(
    `SELECT ${group === undefined ? 'r.series' : 'q.framework'} AS framework, json_extract_string(r.params, '$.task') AS task, q.language,
       median(q.input_tokens)::DOUBLE AS input_tokens, median(q.output_tokens)::DOUBLE AS output_tokens,
       median(q.input_chars)::DOUBLE AS input_chars, median(q.output_chars)::DOUBLE AS output_chars,
       median(q.chars_per_s) AS chars_per_s, median(q.tokens_per_s) AS tokens_per_s
     FROM {requests} q JOIN ${LABELLED} r USING (run_id) WHERE r.scenario = 'korean' AND NOT q.is_warmup AND q.status = 'ok'${inGroup(group)}
     GROUP BY ALL ORDER BY 1, 2, 3`,
    ['requests', 'runs'],
  );
}

/** GPU samples over time, averaged into at most ~300 buckets per framework. */
export function gpuSeries(): Promise<Array<{ framework: string; t_s: number; memory_used_mib: number; util_pct: number; power_w: number }>> {
  return query(
    `WITH g AS (SELECT r.series AS framework, g.t_ms, g.memory_used_mib, g.util_pct, g.power_w, min(g.t_ms) OVER (PARTITION BY r.series) AS t0,
                  max(g.t_ms) OVER (PARTITION BY r.series) AS t1 FROM {gpu} g JOIN ${LABELLED} r USING (run_id))
     SELECT framework, round(min((t_ms - t0) / 1000), 1) AS t_s, avg(memory_used_mib) AS memory_used_mib, avg(util_pct) AS util_pct, avg(power_w) AS power_w
     FROM g GROUP BY framework, floor((t_ms - t0) / greatest((t1 - t0) / 300, 1)) ORDER BY 1, 2`,
    ['gpu', 'runs'],
  );
}

/** The selection of runs the report shows, as SQL over `{runs}`, for the analysis's own queries. */
export const SELECTED_RUNS = SELECTED;
export const groupCondition = inGroup;

/** For each framework × model × host with two sweeps or more: the newest and the one before it. */
export function sweepPairs(): Promise<Array<{ framework: string; model: string; host: string; before: string; after: string }>> {
  return query(
    `SELECT framework, model, host, list(sweep_id ORDER BY sweep_id DESC)[2] AS before, max(sweep_id) AS after
     FROM (SELECT DISTINCT framework, model, host, sweep_id FROM {runs} WHERE valid IS NOT false) GROUP BY ALL HAVING count(*) >= 2 ORDER BY 1, 2, 3`,
    ['runs'],
  );
}

/** Per-request values of a metric, per point (scenario · point label), of one sweep of a framework × model × host. */
export async function pointSamples(pair: { framework: string; model: string; host: string }, sweepId: string, metric: 'ttft_ms' | 'tpot_ms' | 'e2e_ms'): Promise<Map<string, number[]>> {
  const rows = await query<{ point: string; v: number[] }>(
    `SELECT r.scenario || ' · ' || r.point AS point, list(q.${metric}) AS v
     FROM {requests} q JOIN {runs} r USING (run_id)
     WHERE r.framework = ${sqlString(pair.framework)} AND r.model = ${sqlString(pair.model)} AND r.host = ${sqlString(pair.host)} AND r.sweep_id = ${sqlString(sweepId)}
       AND r.valid IS NOT false AND NOT q.is_warmup AND q.status = 'ok' AND q.${metric} IS NOT NULL
     GROUP BY 1`,
    ['requests', 'runs'],
  );
  return new Map(rows.map((r) => [r.point, r.v.map(Number)]));
}

export interface DesignAsRun {
  profiles: string[];
  concurrency: number[];
  inputs: number[];
  /** Measured requests per point (closed loop), as planned. */
  requests: number[];
  warmups: number[];
  outputs: number[];
  trials: number;
  /** prefix_cache: the shared system prompt's and each question's length, in tokens. */
  systemTokens: number[];
  questionTokens: number[];
}

/** The parameters a scenario's shown runs were actually made with (for each chapter's design line). */
export async function designOf(scenario: string): Promise<DesignAsRun | null> {
  const rows = await query<{ profiles: string[]; concurrency: number[]; inputs: number[]; requests: number[]; warmups: number[]; outputs: number[]; system_tokens: number[]; question_tokens: number[]; trials: number }>(
    `SELECT list(DISTINCT profile ORDER BY profile) AS profiles,
       list(DISTINCT concurrency::INTEGER ORDER BY concurrency::INTEGER) FILTER (concurrency IS NOT NULL) AS concurrency,
       list(DISTINCT input_tokens_target::INTEGER ORDER BY input_tokens_target::INTEGER) FILTER (input_tokens_target IS NOT NULL) AS inputs,
       list(DISTINCT json_extract(params, '$.plan.bound.count')::INTEGER ORDER BY json_extract(params, '$.plan.bound.count')::INTEGER) FILTER (json_extract(params, '$.plan.bound.count') IS NOT NULL) AS requests,
       list(DISTINCT coalesce(json_extract(params, '$.plan.warmups')::INTEGER, 0) ORDER BY coalesce(json_extract(params, '$.plan.warmups')::INTEGER, 0)) AS warmups,
       list(DISTINCT output_tokens_target::INTEGER ORDER BY output_tokens_target::INTEGER) AS outputs,
       list(DISTINCT json_extract(params, '$.system_tokens')::INTEGER) FILTER (json_extract(params, '$.system_tokens') IS NOT NULL) AS system_tokens,
       list(DISTINCT json_extract(params, '$.question_tokens')::INTEGER) FILTER (json_extract(params, '$.question_tokens') IS NOT NULL) AS question_tokens,
       max(trial)::INTEGER AS trials, count(*)::INTEGER AS n
     FROM ${SELECTED} r WHERE r.scenario = ${sqlString(scenario)}`,
    ['runs'],
  );
  const r = rows[0] as (typeof rows)[number] & { n: number } | undefined;
  if (r === undefined || r.n === 0) return null;
  const nums = (xs: unknown[] | null): number[] => (xs ?? []).map(Number);
  return { profiles: r.profiles ?? [], concurrency: nums(r.concurrency), inputs: nums(r.inputs), requests: nums(r.requests), warmups: nums(r.warmups), outputs: nums(r.outputs), trials: Number(r.trials), systemTokens: nums(r.system_tokens), questionTokens: nums(r.question_tokens) };
}
