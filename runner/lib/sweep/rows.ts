// Request records and run summaries → rows of the store's tables (runner/lib/store/schema.ts).
import type { RequestRecord } from '../client/record.ts';
import { languageRates } from '../metrics/language.ts';
import { deriveRequestMetrics } from '../metrics/request.ts';
import type { RunSummary } from '../metrics/run.ts';
import { cachedBeyondTemplate, serverView } from '../metrics/server.ts';
import { summariseGpu, summariseHost, type GpuSample, type GpuSummary } from '../metrics/gpu.ts';
import type { Row } from '../store/writer.ts';
import type { ClientCalibration } from '../load/calibration.ts';
import type { ScenarioPoint } from '../scenarios/points.ts';
import { SCHEMA_VERSION, type RowOf } from '../store/schema.ts';
import type { PromptInstance, RequestSettings } from './materialize.ts';
import type { RunningTarget } from './target.ts';

const OUTPUT_TEXT_LIMIT = 2000;
const ERROR_LIMIT = 500;
const DEVIATION_LIMIT = 0.02;

export function requestRow(
  r: RequestRecord,
  ctx: { run_id: string; framework: string; scenario: string; request_index: number; prompt: PromptInstance | undefined; templateTokens?: number },
): RowOf<'requests'> {
  const m = deriveRequestMetrics(r);
  const server = serverView(r, m);
  const rates = languageRates(r, '');
  const expected = r.expected_input_tokens;
  const deviation = expected !== null && expected > 0 && r.input_tokens !== null ? (r.input_tokens - expected) / expected : null;
  return {
    run_id: ctx.run_id,
    framework: ctx.framework,
    scenario: ctx.scenario,
    request_index: ctx.request_index,
    request_id: r.request_id,
    prompt_id: ctx.prompt?.prompt_id ?? null,
    language: ctx.prompt?.language ?? null,
    is_warmup: r.is_warmup,
    protocol: r.protocol,
    stream: r.stream,
    t_scheduled: r.t_scheduled,
    t_sent: r.t_sent,
    t_first_token: r.t_first_token,
    t_last_token: r.t_last_token,
    t_done: r.t_done,
    queue_ms: m.queue_ms,
    ttft_ms: m.ttft_ms,
    e2e_ms: m.e2e_ms,
    e2e_close_ms: m.e2e_close_ms,
    tpot_ms: m.tpot_ms,
    itl_ms: m.itl_ms,
    itl_event_ms: m.itl_event_ms,
    event_times: r.event_times,
    event_tokens: r.event_tokens,
    event_tokens_known: r.event_tokens_known,
    multi_event_reads: r.multi_event_reads,
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    cached_tokens: r.cached_tokens,
    tokens_source: r.tokens_source,
    expected_input_tokens: expected,
    prompt_deviation: deviation,
    prompt_deviation_flag: deviation !== null && Math.abs(deviation) > DEVIATION_LIMIT,
    client_output_tokens: r.client_output_tokens,
    token_count_mismatch: r.token_count_mismatch,
    input_chars: ctx.prompt?.input_chars ?? null,
    output_chars: [...r.output_text].length + [...r.reasoning_text].length,
    chars_per_s: rates.chars_per_s,
    tokens_per_s: rates.tokens_per_s,
    status: r.status,
    http_status: r.http_status,
    error_message: r.error_message?.slice(0, ERROR_LIMIT) ?? null,
    finish_reason: r.finish_reason,
    output_text: r.output_text.slice(0, OUTPUT_TEXT_LIMIT),
    retries: r.retries,
    retry_reason: r.retry_reason?.slice(0, ERROR_LIMIT) ?? null,
    ...server,
    cache_hit: cachedBeyondTemplate(r, server, ctx.templateTokens ?? 0),
  };
}

const STAT_KEYS = ['mean', 'p50', 'p90', 'p95', 'p99', 'std', 'min', 'max'] as const;

/** GPU and host figures of a point's window (metrics/gpu.ts). */
export type PointResources = GpuSummary & ReturnType<typeof summariseHost>;

/** The GPU and host figures of a point from its monitor samples, over the window of its measured requests. */
export function pointResources(records: readonly RequestRecord[], gpu: readonly Row[], host: readonly Row[]): PointResources {
  const measured = records.filter((r) => !r.is_warmup);
  const window = measured.length > 0 ? { start_ms: Math.min(...measured.map((r) => r.t_sent)), end_ms: Math.max(...measured.map((r) => r.t_done)) } : { start_ms: 0, end_ms: -1 };
  const tokens = measured.filter((r) => r.status === 'ok').reduce((a, r) => a + (r.output_tokens ?? 0), 0);
  return { ...summariseGpu(gpu as unknown as GpuSample[], window, tokens), ...summariseHost(host) };
}

export function summaryRow(s: RunSummary, ctx: { run_id: string; framework: string; scenario: string; point: string; trial: number }, resources?: PointResources): Row {
  const row: Row = {
    ...ctx,
    n_measured: s.n_measured,
    n_ok: s.n_ok,
    success_rate: s.success_rate,
    window_s: s.window_s,
    request_throughput: s.request_throughput,
    output_throughput: s.output_throughput,
    total_token_throughput: s.total_token_throughput,
    goodput: s.goodput,
    n_retried: s.cross_check.n_retried,
    prompt_computed_share: s.cross_check.prompt_computed_share,
    cache_hit_share: s.cross_check.cache_hit_share,
    ttft_server_diff_p50: s.cross_check.ttft_server_diff.p50,
    ttft_server_diff_p90: s.cross_check.ttft_server_diff.p90,
    tpot_server_diff_p50: s.cross_check.tpot_server_diff.p50,
    tpot_server_diff_p90: s.cross_check.tpot_server_diff.p90,
    cross_check_flag: s.cross_check.flag,
    gpu_memory_peak_mib: resources?.memory_peak_mib ?? null,
    gpu_memory_mean_mib: resources?.memory_mean_mib ?? null,
    gpu_util_mean_pct: resources?.util_mean_pct ?? null,
    gpu_power_mean_w: resources?.power_mean_w ?? null,
    gpu_energy_j: resources?.energy_j ?? null,
    output_tokens_per_joule: resources?.output_tokens_per_joule ?? null,
    server_rss_peak_mib: resources?.server_rss_peak_mib ?? null,
    client_rss_peak_mib: resources?.client_rss_peak_mib ?? null,
    errors: JSON.stringify(s.errors),
    warnings: JSON.stringify(s.warnings),
  };
  for (const metric of ['ttft', 'tpot', 'itl', 'e2e', 'queue'] as const) {
    const stats = s[metric];
    for (const k of STAT_KEYS) row[`${metric}_${k}`] = stats[k];
  }
  return row;
}

export interface RunsRowInput {
  runId: string;
  framework: string;
  sweepId: string;
  host: string;
  target: Pick<RunningTarget, 'name' | 'version' | 'modelId' | 'quantization' | 'attached' | 'launchCommand' | 'serverLogPath'>;
  point: ScenarioPoint;
  trial: number;
  profile: string;
  settings: Pick<RequestSettings, 'ignore_eos' | 'protocol'>;
  extra: Record<string, unknown>;
  salt: { seed: number; tokens: number; shared_within_point: boolean };
  startedAt: Date;
  endedAt: Date;
  calibration: ClientCalibration;
  environment: Record<string, unknown>;
  notes: string[];
  invalid: string | null;
  cacheReset: string | null;
}

/** The one place a runs row is built: every column named, nothing spread in (the writer refuses unknown keys). */
export function runsRow(i: RunsRowInput): RowOf<'runs'> {
  const { point } = i;
  const openLoop = point.plan.mode.kind === 'open' ? point.plan.mode : null;
  return {
    run_id: i.runId,
    framework: i.framework,
    schema_version: SCHEMA_VERSION,
    sweep_id: i.sweepId,
    host: i.host,
    framework_version: i.target.version,
    model: i.target.modelId,
    model_id: i.target.modelId,
    quantization: i.target.quantization,
    scenario: point.scenario,
    point: point.label,
    point_id: point.point_id,
    trial: i.trial,
    profile: i.profile,
    params: JSON.stringify({ ...point.params, target: i.target.name, max_tokens: point.max_tokens, stream: point.stream, plan: point.plan, prompt_salt: i.salt, request_extra: i.extra }),
    concurrency: point.plan.mode.kind === 'closed' ? point.plan.mode.concurrency : (openLoop?.maxConcurrency ?? null),
    rate: openLoop?.arrival.rate ?? null,
    arrival: openLoop?.arrival.kind ?? 'closed',
    input_tokens_target: point.prompts.kind === 'filler' ? point.prompts.input_tokens : null,
    output_tokens_target: point.max_tokens,
    ignore_eos: i.settings.ignore_eos,
    stream: point.stream,
    protocol: i.settings.protocol,
    started_at: i.startedAt.toISOString(),
    ended_at: i.endedAt.toISOString(),
    clock_origin_epoch_ms: performance.timeOrigin,
    loop_lag_p50_ms: i.calibration.loop_lag_p50_ms,
    loop_lag_p99_ms: i.calibration.loop_lag_p99_ms,
    schedule_lag_p50_ms: i.calibration.schedule_lag_p50_ms,
    schedule_lag_p99_ms: i.calibration.schedule_lag_p99_ms,
    client_limited: i.calibration.client_limited,
    attached: i.target.attached,
    synthetic: false,
    launch_command: i.target.launchCommand,
    environment: JSON.stringify(i.environment),
    server_log: i.target.serverLogPath,
    notes: [...i.notes, ...i.calibration.reasons].join('; ') || null,
    valid: i.invalid === null,
    invalid_reason: i.invalid,
    prefix_cache_reset: i.cacheReset,
  };
}
