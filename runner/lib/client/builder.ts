// Turns framed, stamped events into a RequestRecord. Pure: no clock, no I/O; the sender feeds it.
import type { FramedEvent } from './framing.ts';
import { carriesToken, errorMessage, readOllamaEvent, readOpenAIEvent, type StreamDelta, type Usage } from './chunk.ts';
import type { RequestRecord, RequestStatus } from './record.ts';
import { EventShape } from './shape.ts';

export type Wire = 'openai' | 'ollama';

export interface BuilderOptions {
  wire: Wire;
  /** Client tokenizer: the fallback token count, and the check of the server's count. */
  countTokens?: ((text: string) => number) | undefined;
  /** Fraction by which the server's prompt count may fall short of the intended one before it counts as truncation. */
  truncationTolerance?: number | undefined;
  /** Observes each parsed event with its arrival stamp; with an observer every event is parsed in full. */
  onEvent?: ((arrival: number, json: unknown) => void) | undefined;
  /** Token events that repeat the previous one's shape skip the full JSON parse (see shape.ts); on unless false. */
  shapeCache?: boolean | undefined;
}

const MISMATCH_TOLERANCE = 0.02;

export function httpStatusClass(status: number): RequestStatus {
  if (status === 503) return 'http_503_busy';
  if (status >= 500) return 'http_5xx';
  return 'http_4xx';
}

export class RecordBuilder {
  readonly record: RequestRecord;
  private readonly options: BuilderOptions;
  private readonly read: (json: unknown) => StreamDelta;
  private usage: Usage | null = null;
  private sawEnd = false;
  private error: string | null = null;
  /** The last event carried no text, no finish reason and no usage (Ollama's /v1 turns a mid-stream error into one). */
  private lastEventBlank = false;
  // Running completion counts seen on token events, to know tokens per event (vLLM continuous_usage_stats).
  private completionSoFar = 0;
  private continuousUsable = true;
  private continuousTokens: number[] = [];
  /** OpenAI-style streams without an observer (which needs every parsed document). */
  private readonly shape: EventShape | null;

  constructor(record: RequestRecord, options: BuilderOptions) {
    this.record = record;
    this.options = options;
    this.read = options.wire === 'ollama' ? readOllamaEvent : readOpenAIEvent;
    this.shape = options.wire === 'openai' && options.onEvent === undefined && options.shapeCache !== false ? new EventShape(readOpenAIEvent) : null;
  }

  /** Feed the events completed by one network read. */
  events(events: FramedEvent[]): void {
    let tokenEvents = 0;
    for (const ev of events) if (this.event(ev)) tokenEvents++;
    if (tokenEvents > 1) this.record.multi_event_reads++;
  }

  /** Returns true when the event carried generated text. */
  private event(ev: FramedEvent): boolean {
    if (this.sawEnd && this.options.wire === 'openai' && ev.text !== '[DONE]') {
      // Anything after [DONE] is ignored: the stream is over for every client.
      return false;
    }
    if (ev.kind === 'error') {
      this.error ??= ev.text || 'error event';
      return false;
    }
    if (this.options.wire === 'openai' && ev.text === '[DONE]') {
      this.sawEnd = true;
      return false;
    }
    const known = this.shape?.match(ev.text);
    if (known != null) return this.apply(known, ev.arrival);
    let json: unknown;
    try {
      json = JSON.parse(ev.text);
    } catch {
      this.error ??= `malformed event: ${ev.text.slice(0, 120)}`;
      return false;
    }
    this.options.onEvent?.(ev.arrival, json);
    const d = this.read(json);
    this.shape?.learn(ev.text, d);
    return this.apply(d, ev.arrival);
  }

  private apply(d: StreamDelta, arrival: number): boolean {
    const r = this.record;
    this.lastEventBlank = !carriesToken(d) && d.finishReason === null && d.usage === null && d.error === null && !d.done;
    if (d.error !== null) this.error ??= d.error;
    if (d.finishReason !== null) r.finish_reason = d.finishReason;
    if (d.timings !== null) r.server_timings = { ...(r.server_timings ?? {}), ...d.timings };
    if (d.done) this.sawEnd = true;
    const token = carriesToken(d);
    if (d.usage !== null) {
      // Later usage wins: Ollama's /v1 sends zeros on every chunk and the real count last.
      this.usage = d.usage;
      if (token) {
        const c = d.usage.completion_tokens ?? 0;
        if (c > this.completionSoFar) this.continuousTokens.push(c - this.completionSoFar);
        else this.continuousUsable = false;
        this.completionSoFar = Math.max(c, this.completionSoFar);
      }
    } else if (token) {
      this.continuousUsable = false;
    }
    if (!token) return false;
    r.output_text += d.content;
    r.reasoning_text += d.reasoning;
    r.t_first_token ??= arrival;
    r.t_last_token = arrival;
    r.event_times.push(arrival);
    return true;
  }

  /**
   * A non-streamed body: the whole answer arrives at once. There is no first-token time without a stream, so TTFT and
   * TPOT stay null (docs/metrics.md, pitfall 11); the body's arrival is the last token, for end-to-end latency.
   */
  body(text: string, arrival: number): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.error = `malformed body: ${text.slice(0, 120)}`;
      return;
    }
    this.options.onEvent?.(arrival, json);
    this.apply(this.read(json), arrival);
    this.record.t_first_token = null;
    this.sawEnd = true;
  }

  /** An HTTP error status: keep the server's message, never the request (it may hold a key). */
  httpError(status: number, bodyText: string): void {
    let message = bodyText.slice(0, 300);
    try {
      message = errorMessage(JSON.parse(bodyText)) ?? message;
    } catch {
      // A plain-text error body is its own message.
    }
    this.record.status = httpStatusClass(status);
    this.record.error_message = message || `HTTP ${status}`;
  }

  /** A transport failure (connect, timeout). */
  transportError(status: RequestStatus, message: string): void {
    this.record.status = status;
    this.record.error_message = message;
  }

  /**
   * Close the record at `t_done`; `rest` is whatever unterminated text the framer still held. `cleanEnd`: the HTTP
   * response ended normally (the server chose to end it), as opposed to a broken connection.
   */
  finish(t_done: number, rest = '', cleanEnd = false): RequestRecord {
    const r = this.record;
    r.t_done = t_done;
    if (r.status === 'ok' && rest.trim() !== '' && !this.sawEnd) {
      // A final line without its newline (or an unterminated SSE event) still counts if it parses.
      this.events([{ kind: 'data', text: rest.trim().replace(/^data:\s?/, ''), arrival: t_done }]);
    }
    this.countTokens();
    if (r.status !== 'ok') return r;
    if (this.error !== null) {
      r.status = 'stream_error_event';
      r.error_message = this.error;
    } else if (!this.sawEnd && cleanEnd && this.lastEventBlank) {
      // Ollama's OpenAI layer answers a mid-stream error with one blank chunk and ends without [DONE]: the server
      // failed, and its message is lost on /v1 (docs/wire.md, Ollama). Not a network truncation.
      r.status = 'stream_error_event';
      r.error_message = 'the server ended the stream with a blank chunk and no [DONE] (a mid-stream error whose message the OpenAI-compatible layer drops)';
    } else if (!this.sawEnd) {
      r.status = 'stream_truncated';
      r.error_message = 'stream ended before its end marker';
    } else if (r.event_times.length === 0 && !this.serverGenerated()) {
      // No text reached the client; but a server that says it generated tokens did (a stream whose every token was
      // held back as an incomplete UTF-8 sequence shows no text at all): its count stands.
      r.status = 'empty_output';
    } else if (this.truncated()) {
      r.status = 'context_truncated';
      r.error_message = `server counted ${r.input_tokens} prompt tokens, ${r.expected_input_tokens} were sent`;
    }
    return r;
  }

  private serverGenerated(): boolean {
    const r = this.record;
    return r.tokens_source !== 'client_tokenizer' && r.tokens_source !== 'none' && (r.output_tokens ?? 0) > 0;
  }

  private truncated(): boolean {
    const { input_tokens: got, expected_input_tokens: sent } = this.record;
    if (got === null || sent === null) return false;
    return got < sent * (1 - (this.options.truncationTolerance ?? MISMATCH_TOLERANCE));
  }

  private countTokens(): void {
    const r = this.record;
    const u = this.usage;
    const events = r.event_times.length;
    if (u !== null && u.completion_tokens !== null && (u.completion_tokens > 0 || events === 0)) {
      r.output_tokens = u.completion_tokens;
      r.input_tokens = u.prompt_tokens;
      r.cached_tokens = u.cached_tokens;
      r.tokens_source = this.options.wire === 'ollama' ? 'server_native' : 'server_usage';
    } else if (r.server_timings?.predicted_n !== undefined) {
      // llama.cpp without usage still reports its own counts in `timings`.
      r.output_tokens = r.server_timings.predicted_n;
      r.input_tokens = r.server_timings.prompt_n ?? null;
      r.tokens_source = 'server_native';
    }
    const known = this.continuousUsable && this.continuousTokens.length === events && events > 0;
    r.event_tokens_known = known;
    r.event_tokens = known ? this.continuousTokens : new Array<number>(events).fill(1);
    if (known && r.output_tokens !== null) r.client_output_tokens = this.continuousTokens.reduce((a, b) => a + b, 0);
    const tokenizer = this.options.countTokens;
    if (tokenizer && (r.output_text !== '' || r.reasoning_text !== '')) {
      r.client_output_tokens = tokenizer(r.reasoning_text) + tokenizer(r.output_text);
    }
    if (r.output_tokens === null && r.client_output_tokens !== null) {
      r.output_tokens = r.client_output_tokens;
      r.tokens_source = 'client_tokenizer';
    }
    if (r.output_tokens !== null && r.client_output_tokens !== null && r.tokens_source !== 'client_tokenizer') {
      const diff = Math.abs(r.output_tokens - r.client_output_tokens);
      r.token_count_mismatch = diff > MISMATCH_TOLERANCE * Math.max(r.output_tokens, 1);
    }
  }
}
