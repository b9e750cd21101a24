// The cross-check against the server's own clock and cache (docs/metrics.md, "Server-side cross-check"): what the
// server says it spent on a request, next to what the client measured, so a reader can see whether the client's clock
// is trustworthy and whether a prompt was really computed or served from a cache.
import type { RequestRecord } from '../client/record.ts';
import type { RequestMetrics } from './request.ts';

export interface ServerView {
  /** Prompt tokens the server computed (llama.cpp `prompt_n`), cached ones excluded. */
  server_prompt_n: number | null;
  /** Prompt tokens the server reused from its cache (llama.cpp `cache_n`). */
  server_cache_n: number | null;
  /** Server time from starting the prompt to its first token (llama.cpp `prompt_ms`; Ollama load + prompt eval). */
  server_prompt_ms: number | null;
  /** Tokens the server generated, and its time from the first to the last (llama.cpp `predicted_*`; Ollama `eval_*`). */
  server_predicted_n: number | null;
  server_predicted_ms: number | null;
  /** Ollama: time spent loading the model for this request. */
  server_load_ms: number | null;
  /** Share of the prompt the server computed: 1 = nothing from a cache. */
  prompt_computed_share: number | null;
  /** Client TTFT minus the server's prompt time: network, HTTP and the server's own queue. */
  ttft_server_diff_ms: number | null;
  /** The server's time per output token after the first, as the client's TPOT defines it. */
  tpot_server_ms: number | null;
  /** Client TPOT minus the server's: what the client or the network adds per token. */
  tpot_server_diff_ms: number | null;
}

const NS_PER_MS = 1e6;
const num = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

/**
 * llama.cpp's `timings` start its generation clock when the first token is sampled, so `predicted_ms` covers
 * `predicted_n − 1` decode steps — the span the client's TPOT divides. Ollama's `eval_duration` is read the same way
 * (docs/wire.md). Durations from Ollama arrive in nanoseconds.
 */
export function serverView(r: RequestRecord, m: RequestMetrics): ServerView {
  const t = r.server_timings ?? {};
  const ollama = r.protocol.startsWith('ollama') || t.eval_duration !== undefined || t.prompt_eval_duration !== undefined;
  const promptN = ollama ? null : num(t.prompt_n);
  const cacheN = ollama ? null : num(t.cache_n);
  const loadMs = ollama && t.load_duration !== undefined ? t.load_duration / NS_PER_MS : null;
  const promptMs = ollama
    ? t.prompt_eval_duration !== undefined ? t.prompt_eval_duration / NS_PER_MS + (loadMs ?? 0) : null
    : num(t.prompt_ms);
  const predictedN = ollama ? r.output_tokens : num(t.predicted_n);
  const predictedMs = ollama ? (t.eval_duration !== undefined ? t.eval_duration / NS_PER_MS : null) : num(t.predicted_ms);

  let share: number | null = null;
  if (promptN !== null && cacheN !== null && promptN + cacheN > 0) share = promptN / (promptN + cacheN);
  else if (r.cached_tokens !== null && r.input_tokens !== null && r.input_tokens > 0) share = (r.input_tokens - r.cached_tokens) / r.input_tokens;

  const tpotServer = predictedN !== null && predictedMs !== null && predictedN > 1 ? predictedMs / (predictedN - 1) : null;
  return {
    server_prompt_n: promptN,
    server_cache_n: cacheN,
    server_prompt_ms: promptMs,
    server_predicted_n: predictedN,
    server_predicted_ms: predictedMs,
    server_load_ms: loadMs,
    prompt_computed_share: share,
    ttft_server_diff_ms: m.ttft_ms !== null && promptMs !== null ? m.ttft_ms - promptMs : null,
    tpot_server_ms: tpotServer,
    tpot_server_diff_ms: m.tpot_ms !== null && tpotServer !== null ? m.tpot_ms - tpotServer : null,
  };
}

/** Prompt tokens served from a cache beyond what the chat template shares between all requests. */
export function cachedBeyondTemplate(r: RequestRecord, view: ServerView, templateTokens: number): boolean {
  const cached = view.server_cache_n ?? r.cached_tokens;
  // vLLM caches whole blocks (16 tokens by default): a template a few tokens into a block still shows as a full block.
  return cached !== null && cached > templateTokens + 16;
}
