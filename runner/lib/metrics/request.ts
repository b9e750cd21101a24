// Per-request metrics from the raw record, exactly as docs/metrics.md defines them.
import type { RequestRecord } from '../client/record.ts';

export interface RequestMetrics {
  queue_ms: number;
  ttft_ms: number | null;
  /** To the last token: the latency a user feels. */
  e2e_ms: number | null;
  /** To the close of the response (after usage and [DONE]). */
  e2e_close_ms: number;
  /** (last − first) / (output_tokens − 1); first token excluded; null unless output_tokens > 1. */
  tpot_ms: number | null;
  /** Per token: the gap before an event carrying k tokens counts k times, divided by k. */
  itl_ms: number[];
  /** Gaps between token-carrying events, as they arrived. */
  itl_event_ms: number[];
}

export const isMeasured = (r: RequestRecord): boolean => !r.is_warmup;
export const isOk = (r: RequestRecord): boolean => r.status === 'ok';

export function deriveRequestMetrics(r: RequestRecord): RequestMetrics {
  const first = r.t_first_token;
  const last = r.t_last_token;
  const out = r.output_tokens;
  const itl: number[] = [];
  const itlEvent: number[] = [];
  for (let i = 1; i < r.event_times.length; i++) {
    const gap = r.event_times[i]! - r.event_times[i - 1]!;
    itlEvent.push(gap);
    // An event with k tokens stands for k token arrivals spread over the gap before it. The first event's extra
    // tokens have no gap before them inside the stream (they belong to TTFT), so they add no ITL samples.
    const k = Math.max(1, r.event_tokens[i] ?? 1);
    for (let j = 0; j < k; j++) itl.push(gap / k);
  }
  return {
    queue_ms: r.t_sent - r.t_scheduled,
    ttft_ms: first === null ? null : first - r.t_sent,
    e2e_ms: last === null ? null : last - r.t_sent,
    e2e_close_ms: r.t_done - r.t_sent,
    tpot_ms: first !== null && last !== null && out !== null && out > 1 ? (last - first) / (out - 1) : null,
    itl_ms: itl,
    itl_event_ms: itlEvent,
  };
}
