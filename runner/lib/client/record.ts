// The per-request record: every raw fact docs/metrics.md asks for, so any metric definition can be recomputed later.
// Times are milliseconds on one monotonic clock (`performance.now()` of the measuring process).

export const REQUEST_STATUSES = [
  'ok',
  'timeout',
  'connect',
  'http_4xx',
  'http_5xx',
  'http_503_busy',
  'stream_error_event',
  'stream_truncated',
  'empty_output',
  'context_truncated',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Where a token count came from; `none` when nobody counted. */
export type TokensSource = 'server_usage' | 'server_native' | 'client_tokenizer' | 'none';

/** The wire protocol one request used. */
export type Protocol = 'openai-chat' | 'openai-completions' | 'ollama-chat' | 'ollama-generate';

export interface RequestRecord {
  /** Client-side id; servers' own ids are never used to correlate (Ollama's collide). */
  request_id: string;
  protocol: Protocol;
  stream: boolean;
  is_warmup: boolean;

  t_scheduled: number;
  t_sent: number;
  /** First event that carried generated text in any channel (content, reasoning, tool calls). */
  t_first_token: number | null;
  t_last_token: number | null;
  /** End of response: after `[DONE]`, the final NDJSON line, or the close of a non-streamed body. */
  t_done: number;

  /** Arrival stamp of each token-carrying event, taken when its bytes arrived, before parsing. */
  event_times: number[];
  /** Tokens each token-carrying event carried; 1 where unknown (no continuous usage). */
  event_tokens: number[];
  /** True when `event_tokens` came from the server (continuous usage), false when assumed 1 per event. */
  event_tokens_known: boolean;
  /** Network reads that delivered more than one token-carrying event (they share that read's stamp). */
  multi_event_reads: number;

  input_tokens: number | null;
  output_tokens: number | null;
  /** Prompt tokens served from the server's prefix cache, when it reports them. */
  cached_tokens: number | null;
  tokens_source: TokensSource;
  /** Prompt length the client intended to send (its own tokenizer), for truncation and deviation checks. */
  expected_input_tokens: number | null;
  /** Output tokens counted on the client (events or tokenizer), compared with the server's count. */
  client_output_tokens: number | null;
  /** Server and client counts differ by more than 2%. */
  token_count_mismatch: boolean;

  status: RequestStatus;
  http_status: number | null;
  error_message: string | null;
  finish_reason: string | null;

  /** Generated text (answer channel) and reasoning text, kept for character rates (H5) and inspection. */
  output_text: string;
  reasoning_text: string;
  /** 1 when the request was sent again on a fresh connection after dying unanswered on a reused one, else 0. */
  retries: number;
  /** Why the first attempt failed (the transport error), when retried. */
  retry_reason: string | null;
  /** Server-side timings when the server sends them (llama.cpp `timings`, Ollama durations), as received. */
  server_timings: Record<string, number> | null;
}

export function emptyRecord(init: Pick<RequestRecord, 'request_id' | 'protocol' | 'stream' | 'is_warmup' | 't_scheduled'>): RequestRecord {
  return {
    ...init,
    t_sent: init.t_scheduled,
    t_first_token: null,
    t_last_token: null,
    t_done: init.t_scheduled,
    event_times: [],
    event_tokens: [],
    event_tokens_known: false,
    multi_event_reads: 0,
    input_tokens: null,
    output_tokens: null,
    cached_tokens: null,
    tokens_source: 'none',
    expected_input_tokens: null,
    client_output_tokens: null,
    token_count_mismatch: false,
    status: 'ok',
    http_status: null,
    error_message: null,
    finish_reason: null,
    output_text: '',
    reasoning_text: '',
    retries: 0,
    retry_reason: null,
    server_timings: null,
  };
}
