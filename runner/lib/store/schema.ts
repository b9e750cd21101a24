// The Parquet schema: the one contract between the runner (writer), the report (reader) and users' ad-hoc SQL.
// Bump SCHEMA_VERSION on any change that would break a reader; every row carries the version it was written with.

export const SCHEMA_VERSION = 2;

export type ColumnType =
  | 'VARCHAR'
  | 'BOOLEAN'
  | 'INTEGER'
  | 'BIGINT'
  | 'DOUBLE'
  | 'TIMESTAMP'
  | 'DOUBLE[]'
  | 'INTEGER[]';

export interface Column<N extends string = string, T extends ColumnType = ColumnType> {
  name: N;
  type: T;
  doc: string;
}

export const TABLE_NAMES = ['runs', 'requests', 'summary', 'gpu', 'host', 'server_metrics'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

// Helpers keep each column's name and type as literal types, so row types derive from this file (RowOf below).
const key = <N extends string>(name: N, doc: string): Column<N, 'VARCHAR'> => ({ name, type: 'VARCHAR', doc });
const ms = <N extends string>(name: N, doc: string): Column<N, 'DOUBLE'> => ({ name, type: 'DOUBLE', doc: `${doc} (milliseconds)` });
const int = <N extends string>(name: N, doc: string): Column<N, 'INTEGER'> => ({ name, type: 'INTEGER', doc });
const num = <N extends string>(name: N, doc: string): Column<N, 'DOUBLE'> => ({ name, type: 'DOUBLE', doc });
const bool = <N extends string>(name: N, doc: string): Column<N, 'BOOLEAN'> => ({ name, type: 'BOOLEAN', doc });
const col = <N extends string, T extends ColumnType>(name: N, type: T, doc: string): Column<N, T> => ({ name, type, doc });

/** Columns every table starts with, so any table joins to `runs` and filters by framework without a join. */
const RUN_KEYS = [
  key('run_id', 'One execution of one scenario point (one trial); joins every table to `runs`'),
  key('framework', 'Adapter name: vllm, sglang, ollama, openai, llamacpp, reference'),
] as const;

const STATS = ['mean', 'p50', 'p90', 'p95', 'p99'] as const;
type Stat = (typeof STATS)[number] | 'std' | 'min' | 'max';
const statColumns = <M extends string>(metric: M, what: string): Array<Column<`${M}_${Stat}`, 'DOUBLE'>> => [
  ...STATS.map((s) => ms(`${metric}_${s}`, `${what}, ${s} over ok measured requests`)),
  ms(`${metric}_std`, `${what}, population standard deviation`),
  ms(`${metric}_min`, `${what}, minimum`),
  ms(`${metric}_max`, `${what}, maximum`),
];

export const SCHEMA = {
  runs: [
    ...RUN_KEYS,
    int('schema_version', 'Schema version the row was written with'),
    key('sweep_id', 'One invocation of runner/sweep.mjs'),
    key('host', 'Host name of the machine that ran the client'),
    key('framework_version', 'Version the server reported, or null'),
    key('model', 'Model preset or custom name as configured'),
    key('model_id', 'Model name the server was asked for'),
    key('quantization', 'Weights format, e.g. BF16, MXFP4, Q4_K_M (Ollama GGUF), F16 (reference)'),
    key('scenario', 'single, concurrent, long_context, prefix_cache, korean, workload, task'),
    key('point', 'Human label of the scenario point, e.g. "c=8 in=512"'),
    key('point_id', 'Stable id of the point inside its scenario (used by --resume)'),
    int('trial', 'Trial number, 1-based'),
    key('profile', 'Sweep profile: quick or full'),
    key('params', 'Every parameter of the point as JSON'),
    int('concurrency', 'Closed-loop concurrency, or the open-loop concurrency cap'),
    num('rate', 'Open-loop target rate in requests/s; null for closed loop'),
    key('arrival', 'closed, constant, poisson or gamma'),
    int('input_tokens_target', 'Target prompt length in tokens'),
    int('output_tokens_target', 'max_tokens sent'),
    bool('ignore_eos', 'Whether ignore_eos was sent (false where the server has none, e.g. Ollama)'),
    bool('stream', 'Streaming (true) or sync (false) requests'),
    key('protocol', 'openai-chat, openai-completions, ollama-chat, ollama-generate'),
    col('started_at', 'TIMESTAMP', 'Wall-clock start (UTC)'),
    col('ended_at', 'TIMESTAMP', 'Wall-clock end (UTC)'),
    num('clock_origin_epoch_ms', 'performance.timeOrigin of the measuring process: t_* + this = epoch ms'),
    ms('loop_lag_p50_ms', 'Client event-loop lag p50'),
    ms('loop_lag_p99_ms', 'Client event-loop lag p99'),
    ms('schedule_lag_p50_ms', 'Open-loop schedule lag p50 (t_sent - t_scheduled when on time)'),
    ms('schedule_lag_p99_ms', 'Open-loop schedule lag p99'),
    bool('client_limited', 'The client could not keep up: results may understate the server'),
    bool('attached', 'Benchmarked an already running server (not started by servebench)'),
    bool('synthetic', 'Generated test data, not a measurement; the report labels it'),
    key('launch_command', 'Full launch command and flags, secrets redacted'),
    key('environment', 'Environment record as JSON: GPU, driver, CUDA, CPU, RAM, OS, versions, commit'),
    key('server_log', 'Path of the server log kept with the run'),
    key('notes', 'Free-form warnings, e.g. "ignore_eos unsupported"'),
    bool('valid', 'False when the server died during the point or too many requests failed: kept, never charted, redone by --resume'),
    key('invalid_reason', 'Why the point is invalid (server died; failure share and classes), or null'),
    key('prefix_cache_reset', 'Outcome of the prefix-cache reset before the point (verified, unverified, did not take, not reset: why), or null when none was asked'),
  ],
  requests: [
    ...RUN_KEYS,
    key('scenario', 'Copied from runs for convenience'),
    int('request_index', 'Order of scheduling inside the run'),
    key('request_id', 'Client-side id (never the server id)'),
    key('prompt_id', 'Which prompt was sent'),
    key('language', 'Prompt language: en, ko'),
    bool('is_warmup', 'Warmup request: stored, excluded from every aggregate'),
    key('protocol', 'Wire protocol'),
    bool('stream', 'Streamed or sync'),
    ms('t_scheduled', 'When the generator meant to send'),
    ms('t_sent', 'Just before the request was written to the socket'),
    ms('t_first_token', 'Arrival of the first event carrying generated text'),
    ms('t_last_token', 'Arrival of the last event carrying generated text'),
    ms('t_done', 'End of response'),
    ms('queue_ms', 't_sent - t_scheduled'),
    ms('ttft_ms', 't_first_token - t_sent'),
    ms('e2e_ms', 't_last_token - t_sent'),
    ms('e2e_close_ms', 't_done - t_sent'),
    ms('tpot_ms', '(t_last_token - t_first_token) / (output_tokens - 1)'),
    col('itl_ms', 'DOUBLE[]', 'Inter-token latencies, per token (multi-token events split evenly)'),
    col('itl_event_ms', 'DOUBLE[]', 'Gaps between token-carrying events'),
    col('event_times', 'DOUBLE[]', 'Arrival stamp of every token-carrying event'),
    col('event_tokens', 'INTEGER[]', 'Tokens carried by each event'),
    bool('event_tokens_known', 'event_tokens came from the server (continuous usage)'),
    int('multi_event_reads', 'Network reads that delivered more than one token event'),
    int('input_tokens', 'Prompt tokens as the server reported them'),
    int('output_tokens', 'Generated tokens including reasoning'),
    int('cached_tokens', 'Prompt tokens served from the prefix cache, when reported'),
    key('tokens_source', 'server_usage, server_native, client_tokenizer or none'),
    int('expected_input_tokens', 'Prompt length the client built (its tokenizer)'),
    num('prompt_deviation', '(input_tokens - expected) / expected'),
    bool('prompt_deviation_flag', '|prompt_deviation| > 2%'),
    int('client_output_tokens', 'Output tokens counted on the client'),
    bool('token_count_mismatch', 'Server and client counts differ by more than 2%'),
    int('input_chars', 'Characters of the prompt'),
    int('output_chars', 'Characters of generated text (answer + reasoning)'),
    num('chars_per_s', 'Output characters per second of generation, first to last token (the information rate of H5)'),
    num('tokens_per_s', 'Output tokens after the first per second of generation: (output_tokens - 1) / (t_last_token - t_first_token)'),
    key('status', 'ok or an error class (docs/metrics.md)'),
    int('http_status', 'HTTP status'),
    key('error_message', 'Error text, truncated'),
    key('finish_reason', 'As the server sent it'),
    key('output_text', 'Generated answer text, truncated to 2000 characters (untrusted: escape when shown)'),
    int('retries', '1 when the request was sent again on a fresh connection after dying unanswered on a reused one'),
    key('retry_reason', 'The transport error of the first attempt, when retried'),
    int('server_prompt_n', 'Prompt tokens the server computed, cached ones excluded (llama.cpp timings.prompt_n)'),
    int('server_cache_n', 'Prompt tokens the server reused from its cache (llama.cpp timings.cache_n)'),
    ms('server_prompt_ms', "Server's prompt time to the first token (llama.cpp prompt_ms; Ollama load + prompt_eval)"),
    int('server_predicted_n', 'Tokens the server says it generated (llama.cpp predicted_n; Ollama eval_count)'),
    ms('server_predicted_ms', "Server's time from first to last generated token (llama.cpp predicted_ms; Ollama eval)"),
    ms('server_load_ms', "Ollama's model load time for this request"),
    num('prompt_computed_share', 'Share of the prompt the server computed (1 = nothing from a cache)'),
    bool('cache_hit', 'Prompt tokens came from a cache beyond the chat template shared by every request'),
    ms('ttft_server_diff_ms', "ttft_ms - server_prompt_ms: network, HTTP and the server's own queue"),
    ms('tpot_server_ms', "The server's time per output token after the first: server_predicted_ms / (server_predicted_n - 1)"),
    ms('tpot_server_diff_ms', 'tpot_ms - tpot_server_ms: what the client or the network adds per token'),
  ],
  summary: [
    ...RUN_KEYS,
    key('scenario', 'Scenario'),
    key('point', 'Point label'),
    int('trial', 'Trial number'),
    int('n_measured', 'Non-warmup requests'),
    int('n_ok', 'Non-warmup requests with status ok'),
    num('success_rate', 'n_ok / n_measured'),
    num('window_s', 'First measured t_sent to last measured t_done, seconds'),
    num('request_throughput', 'ok requests / window_s'),
    num('output_throughput', 'Σ output tokens of ok requests / window_s'),
    num('total_token_throughput', 'Σ input + output tokens of ok requests / window_s'),
    num('goodput', 'ok requests meeting every SLO / window_s; null without SLOs'),
    ...statColumns('ttft', 'Time to first token'),
    ...statColumns('tpot', 'Time per output token'),
    ...statColumns('itl', 'Inter-token latency (per token)'),
    ...statColumns('e2e', 'End-to-end latency to the last token'),
    ...statColumns('queue', 'Client-side queue time'),
    int('n_retried', 'Measured requests retried after dying unanswered on a reused connection'),
    num('prompt_computed_share', 'Mean share of the prompt the server computed (1 = nothing cached); null when not reported'),
    num('cache_hit_share', 'Share of ok requests served partly from a cache beyond the chat template'),
    ms('ttft_server_diff_p50', 'Client TTFT minus server prompt time, p50'),
    ms('ttft_server_diff_p90', 'Client TTFT minus server prompt time, p90'),
    ms('tpot_server_diff_p50', 'Client TPOT minus server TPOT, p50'),
    ms('tpot_server_diff_p90', 'Client TPOT minus server TPOT, p90'),
    key('cross_check_flag', "Why the client's numbers may not be the server's (client-limited, network-bound), or null"),
    num('gpu_memory_peak_mib', 'GPU memory used, peak over the measurement window (all GPUs together), MiB'),
    num('gpu_memory_mean_mib', 'GPU memory used, mean over the window, MiB'),
    num('gpu_util_mean_pct', 'GPU utilisation, mean over the window, %'),
    num('gpu_power_mean_w', 'GPU power draw, mean over the window, W'),
    num('gpu_energy_j', 'GPU energy over the window (power integrated over time, all GPUs), J'),
    num('output_tokens_per_joule', 'Output tokens of ok requests per joule of GPU energy; null without power samples'),
    num('server_rss_peak_mib', 'Peak RSS of the server process tree, MiB (null when attached)'),
    num('client_rss_peak_mib', 'Peak RSS of the benchmark client, MiB'),
    key('errors', 'Error counts by class, JSON'),
    key('warnings', 'Warnings (small samples, client-side token counts, …) as JSON array'),
  ],
  gpu: [
    ...RUN_KEYS,
    ms('t_ms', 'Sample time on the request clock'),
    int('gpu_index', 'GPU index'),
    key('name', 'GPU model'),
    num('memory_used_mib', 'Memory used, MiB'),
    num('memory_total_mib', 'Memory total, MiB'),
    num('util_pct', 'Utilisation, %'),
    num('power_w', 'Power draw, W'),
    num('temperature_c', 'Temperature, °C'),
    num('sm_clock_mhz', 'SM clock, MHz'),
  ],
  host: [
    ...RUN_KEYS,
    ms('t_ms', 'Sample time on the request clock'),
    num('server_rss_mib', 'RSS of the server process tree, MiB (null when attached)'),
    num('client_rss_mib', 'RSS of the benchmark client, MiB'),
    num('system_used_mib', 'System memory used, MiB'),
    num('system_total_mib', 'System memory total, MiB'),
  ],
  server_metrics: [
    ...RUN_KEYS,
    ms('t_ms', 'Scrape time on the request clock'),
    key('name', 'Prometheus metric name (histograms as _bucket/_sum/_count)'),
    key('labels', 'Labels as JSON'),
    num('value', 'Sample value'),
  ],
} satisfies Record<TableName, readonly Column[]>;

type TsOf<T extends ColumnType> = T extends 'VARCHAR' | 'TIMESTAMP' ? string : T extends 'BOOLEAN' ? boolean : T extends 'DOUBLE[]' | 'INTEGER[]' ? readonly number[] : number;

/** A row of a table as its columns say: every key optional (absent = NULL), no key the schema does not define. */
export type RowOf<T extends TableName> = { [C in (typeof SCHEMA)[T][number] as C['name']]?: TsOf<C['type']> | null };

/** Hive-style partition keys, outermost first: many hosts, frameworks and sweeps side by side. */
export const PARTITION_KEYS = ['host', 'framework', 'sweep'] as const;
export type PartitionKeys = Record<(typeof PARTITION_KEYS)[number], string>;

/** `data/<table>/host=…/framework=…/sweep=…/<run_id>.parquet`, relative to the data directory. */
export function partitionPath(table: TableName, keys: PartitionKeys, runId: string): string {
  const parts = PARTITION_KEYS.map((k) => `${k}=${safeKey(keys[k])}`);
  return [table, ...parts, `${safeKey(runId)}.parquet`].join('/');
}

/** Partition values become directory names; keep them portable and free of path tricks. */
export function safeKey(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  if (cleaned === '') throw new Error(`partition value ${JSON.stringify(value)} has no usable characters`);
  return cleaned;
}

/** DuckDB `CREATE TABLE` for one table, used to stage rows before COPY … TO parquet. */
export function createTableSql(table: TableName, name: string = table): string {
  const cols = SCHEMA[table].map((c) => `"${c.name}" ${c.type}`).join(', ');
  return `CREATE TABLE "${name}" (${cols})`;
}

/** A SQL string literal (DuckDB): the one quoting every module that builds SQL text uses. */
export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** The glob a reader uses for one table under a data directory, with hive keys exposed as columns. */
export function readParquetSql(dataDir: string, table: TableName): string {
  const glob = `${dataDir.replace(/\/$/, '')}/${table}/**/*.parquet`.replaceAll("'", "''");
  return `read_parquet('${glob}', hive_partitioning = true, union_by_name = true)`;
}
