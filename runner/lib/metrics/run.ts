// Per-run aggregates over the measurement window (docs/metrics.md, "Per-point aggregates").
import type { RequestRecord, RequestStatus } from '../client/record.ts';
import { describe, smallSampleWarning, type Stats } from './percentile.ts';
import { deriveRequestMetrics, isMeasured, isOk, type RequestMetrics } from './request.ts';
import { cachedBeyondTemplate, serverView } from './server.ts';

/** When the client's numbers drift from the server's own enough to flag a point (docs/metrics.md). */
export interface CrossCheckLimits {
  /** Median client-minus-server TTFT above this flags a point sent one request at a time (no server queue). */
  ttft_diff_ms: number;
  /** Median client-minus-server time per output token above this flags a point. */
  tpot_diff_ms: number;
}

export const DEFAULT_CROSS_CHECK: CrossCheckLimits = { ttft_diff_ms: 50, tpot_diff_ms: 1 };

export interface CrossCheck {
  /** Requests sent again after dying unanswered on a reused connection. */
  n_retried: number;
  /** Mean share of the prompt the server computed (1 = nothing cached), where the server tells. */
  prompt_computed_share: number | null;
  /** Share of measured ok requests served partly from a cache beyond the shared chat template. */
  cache_hit_share: number | null;
  ttft_server_diff: Stats;
  tpot_server_diff: Stats;
  /** Why the client's numbers may not be the server's (null when they agree or the server reports no timings). */
  flag: string | null;
}

export interface Slo {
  ttft_ms?: number;
  tpot_ms?: number;
  e2e_ms?: number;
}

export interface RunSummary {
  n_total: number;
  n_warmup: number;
  n_measured: number;
  n_ok: number;
  success_rate: number | null;
  errors: Partial<Record<RequestStatus, number>>;
  /** First measured t_sent to last measured t_done, failures included (they occupied the server too). */
  window_s: number | null;
  request_throughput: number | null;
  output_throughput: number | null;
  total_token_throughput: number | null;
  goodput: number | null;
  ttft: Stats;
  tpot: Stats;
  itl: Stats;
  itl_event: Stats;
  e2e: Stats;
  e2e_close: Stats;
  queue: Stats;
  tokens_sources: Record<string, number>;
  cross_check: CrossCheck;
  warnings: string[];
}

export interface AggregateOptions {
  slo?: Slo;
  /** Chat-template tokens every request shares; cached tokens beyond them count as a cache hit. */
  templateTokens?: number;
  /** Requests were sent one at a time, so a TTFT gap cannot be the server's own queue. */
  sequential?: boolean;
  crossCheck?: CrossCheckLimits;
}

export function meetsSlo(m: RequestMetrics, slo: Slo): boolean {
  if (slo.ttft_ms !== undefined && !(m.ttft_ms !== null && m.ttft_ms <= slo.ttft_ms)) return false;
  // A one-token answer has no TPOT; it cannot violate a TPOT objective.
  if (slo.tpot_ms !== undefined && m.tpot_ms !== null && m.tpot_ms > slo.tpot_ms) return false;
  if (slo.e2e_ms !== undefined && !(m.e2e_ms !== null && m.e2e_ms <= slo.e2e_ms)) return false;
  return true;
}

export function aggregateRun(records: readonly RequestRecord[], opts: AggregateOptions = {}): RunSummary {
  const measured = records.filter(isMeasured);
  const ok = measured.filter(isOk);
  const metrics = ok.map(deriveRequestMetrics);
  const errors: Partial<Record<RequestStatus, number>> = {};
  for (const r of measured) if (r.status !== 'ok') errors[r.status] = (errors[r.status] ?? 0) + 1;
  const tokens_sources: Record<string, number> = {};
  for (const r of ok) tokens_sources[r.tokens_source] = (tokens_sources[r.tokens_source] ?? 0) + 1;

  let window_s: number | null = null;
  if (measured.length > 0) {
    const start = Math.min(...measured.map((r) => r.t_sent));
    const end = Math.max(...measured.map((r) => r.t_done));
    window_s = (end - start) / 1000;
  }
  const per = (x: number): number | null => (window_s !== null && window_s > 0 ? x / window_s : null);
  const outTokens = ok.reduce((a, r) => a + (r.output_tokens ?? 0), 0);
  const inTokens = ok.reduce((a, r) => a + (r.input_tokens ?? 0), 0);
  const slo = opts.slo ?? {};
  const hasSlo = Object.values(slo).some((v) => v !== undefined);

  const pick = (f: (m: RequestMetrics) => number | null): number[] => metrics.map(f).filter((v): v is number => v !== null);
  const summary: RunSummary = {
    n_total: records.length,
    n_warmup: records.length - measured.length,
    n_measured: measured.length,
    n_ok: ok.length,
    success_rate: measured.length > 0 ? ok.length / measured.length : null,
    errors,
    window_s,
    request_throughput: per(ok.length),
    output_throughput: per(outTokens),
    total_token_throughput: per(outTokens + inTokens),
    goodput: hasSlo ? per(metrics.filter((m) => meetsSlo(m, slo)).length) : null,
    ttft: describe(pick((m) => m.ttft_ms)),
    tpot: describe(pick((m) => m.tpot_ms)),
    itl: describe(metrics.flatMap((m) => m.itl_ms)),
    itl_event: describe(metrics.flatMap((m) => m.itl_event_ms)),
    e2e: describe(pick((m) => m.e2e_ms)),
    e2e_close: describe(metrics.map((m) => m.e2e_close_ms)),
    queue: describe(metrics.map((m) => m.queue_ms)),
    tokens_sources,
    cross_check: crossCheck(measured, ok, metrics, opts),
    warnings: [],
  };
  const w = smallSampleWarning(summary.ttft.count, 99, 'TTFT');
  if (w !== null && summary.ttft.count > 0) summary.warnings.push(w);
  const client = tokens_sources.client_tokenizer ?? 0;
  if (client > 0) summary.warnings.push(`${client} request(s) counted output tokens with the client tokenizer: the server reported none`);
  // A client re-tokenisation that disagrees with the server's exact count is a per-request fact (token_count_mismatch),
  // not a warning: the metrics use the server's count. Only counts the metrics took from the client are warned above.
  if (summary.cross_check.flag !== null) summary.warnings.push(summary.cross_check.flag);
  return summary;
}

function crossCheck(measured: readonly RequestRecord[], ok: readonly RequestRecord[], metrics: readonly RequestMetrics[], opts: AggregateOptions): CrossCheck {
  const views = ok.map((r, i) => serverView(r, metrics[i]!));
  const shares = views.map((v) => v.prompt_computed_share).filter((v): v is number => v !== null);
  const told = ok.filter((r, i) => views[i]!.server_cache_n !== null || r.cached_tokens !== null);
  const hits = ok.filter((r, i) => cachedBeyondTemplate(r, views[i]!, opts.templateTokens ?? 0)).length;
  const ttft = describe(views.map((v) => v.ttft_server_diff_ms).filter((v): v is number => v !== null));
  const tpot = describe(views.map((v) => v.tpot_server_diff_ms).filter((v): v is number => v !== null));
  const limits = opts.crossCheck ?? DEFAULT_CROSS_CHECK;
  const reasons: string[] = [];
  if (tpot.p50 !== null && tpot.p50 > limits.tpot_diff_ms) {
    reasons.push(`client TPOT exceeds the server's own by ${tpot.p50.toFixed(2)} ms per token (median; limit ${limits.tpot_diff_ms} ms): client-limited or network-bound`);
  }
  if (opts.sequential === true && ttft.p50 !== null && ttft.p50 > limits.ttft_diff_ms) {
    reasons.push(`client TTFT exceeds the server's prompt time by ${ttft.p50.toFixed(1)} ms (median; limit ${limits.ttft_diff_ms} ms) with one request at a time: client-limited or network-bound`);
  }
  return {
    n_retried: measured.filter((r) => r.retries > 0).length,
    prompt_computed_share: shares.length > 0 ? shares.reduce((a, b) => a + b, 0) / shares.length : null,
    cache_hit_share: told.length > 0 ? hits / told.length : null,
    ttft_server_diff: ttft,
    tpot_server_diff: tpot,
    flag: reasons.length > 0 ? reasons.join('; ') : null,
  };
}

/** Failure counts by class, largest first: `http_503_busy × 23, stream_truncated × 16`. */
export function failureClasses(errors: Partial<Record<string, number>>): string {
  return Object.entries(errors)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, n]) => `${k} × ${n}`)
    .join(', ');
}
