// Per-run aggregates over the measurement window (METRICS.md "Per-run").
import type { RequestRecord, RequestStatus } from '../client/record.ts';
import { describe, smallSampleWarning, type Stats } from './percentile.ts';
import { deriveRequestMetrics, isMeasured, isOk, type RequestMetrics } from './request.ts';

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
  warnings: string[];
}

export function meetsSlo(m: RequestMetrics, slo: Slo): boolean {
  if (slo.ttft_ms !== undefined && !(m.ttft_ms !== null && m.ttft_ms <= slo.ttft_ms)) return false;
  // A one-token answer has no TPOT; it cannot violate a TPOT objective.
  if (slo.tpot_ms !== undefined && m.tpot_ms !== null && m.tpot_ms > slo.tpot_ms) return false;
  if (slo.e2e_ms !== undefined && !(m.e2e_ms !== null && m.e2e_ms <= slo.e2e_ms)) return false;
  return true;
}

export function aggregateRun(records: readonly RequestRecord[], opts: { slo?: Slo } = {}): RunSummary {
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
    warnings: [],
  };
  const w = smallSampleWarning(summary.ttft.count, 99, 'TTFT');
  if (w !== null && summary.ttft.count > 0) summary.warnings.push(w);
  const client = tokens_sources.client_tokenizer ?? 0;
  if (client > 0) summary.warnings.push(`${client} request(s) counted output tokens with the client tokenizer: the server reported none`);
  const mismatched = ok.filter((r) => r.token_count_mismatch).length;
  if (mismatched > 0) summary.warnings.push(`${mismatched} request(s): server and client token counts differ by more than 2%`);
  return summary;
}
