// Sends one generation request and records it. Built on undici's raw dispatch handler rather than fetch() so that
// `t_sent` is stamped in the very callback undici runs before writing to the socket, and every body chunk is stamped
// the moment it is handed over — before any decoding, framing or JSON parsing (docs/metrics.md, pitfall 9).
import { Client, Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { buildRequest, type GenerationRequest } from './body.ts';
import { RecordBuilder } from './builder.ts';
import { ndjsonFramer, sseFramer, type FramedEvent } from './framing.ts';
import { emptyRecord, type RequestRecord } from './record.ts';

export const DEFAULT_TIMEOUT_MS = 300_000;
const MAX_ERROR_BODY = 64 * 1024;

export interface Target {
  /** e.g. `http://127.0.0.1:8000`; a path prefix (LiteLLM behind a proxy) is kept. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; never written to records, logs or errors. */
  apiKey?: string | undefined;
}

export interface SendOptions {
  requestId: string;
  /** When the load generator meant to send (monotonic ms). */
  tScheduled: number;
  isWarmup?: boolean;
  timeoutMs?: number;
  /** Prompt length the client built, for truncation and deviation checks. */
  expectedInputTokens?: number | null;
  countTokens?: ((text: string) => number) | undefined;
  /** Fraction of the expected prompt the server may count less before the request is `context_truncated`. */
  truncationTolerance?: number | undefined;
  /** Extra request headers (tests steer the test server with them). */
  headers?: Record<string, string>;
  /** Sees every parsed event with its arrival stamp. Every event is then parsed in full (no shape cache). */
  onEvent?: ((arrival: number, json: unknown) => void) | undefined;
  /** Sees every body read with its arrival stamp, before framing (benchmarks read the test server's send stamps). */
  onChunk?: ((arrival: number, chunk: Uint8Array) => void) | undefined;
}

/** Reads the API key from the environment variable a target config names; absent variable → clear error. */
export function apiKeyFromEnv(variable: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (variable === undefined || variable === '') return undefined;
  const value = env[variable];
  if (value === undefined || value === '') throw new Error(`API key variable ${variable} is not set in the environment`);
  return value;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'ECONNRESET',
]);

/** Socket-level failures that a server closing an idle keep-alive connection produces. */
const STALE_SOCKET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * True when the connection had already carried a response (undici's SocketError reports the socket's bytesRead), or,
 * when the error says nothing of its socket, when this client has finished requests whose connections it may reuse.
 */
function onReusedSocket(err: Error, earlierResponses: boolean): boolean {
  const info = (err as Error & { socket?: { bytesRead?: unknown } }).socket;
  if (info !== undefined && info !== null) return typeof info.bytesRead === 'number' && info.bytesRead > 0;
  return earlierResponses;
}

function errorCode(err: Error): string {
  const e = err as Error & { code?: unknown; cause?: { code?: unknown } };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.cause?.code === 'string') return e.cause.code;
  return '';
}

export interface ClientOptions {
  connections?: number | null;
  /** False: every request on its own connection (`Connection: close`), for servers that close after each response. */
  reuseConnections?: boolean;
}

/** One attempt's outcome; `staleSocket` when it died before any response byte on a connection that had served before. */
interface Attempt {
  record: RequestRecord;
  staleSocket: boolean;
}

/**
 * A keep-alive connection pool to one server, with no connection limit so concurrency is set by the load generator.
 * A request that dies before its first response byte on a reused connection never reached the server (the server had
 * closed the idle connection): it is retried once on a fresh connection and the retry is recorded (docs/metrics.md, pitfall 13).
 */
export class StreamingClient {
  private readonly pool: Pool;
  private readonly target: Target;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly reuse: boolean;
  private responses = 0;
  private readonly retryClients = new Set<Client>();
  private closing: Promise<void> | null = null;

  constructor(target: Target, options: ClientOptions = {}) {
    this.target = target;
    const url = new URL(target.baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/$/, '');
    this.reuse = options.reuseConnections ?? true;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? null,
      // Our own per-request timeout decides; undici's would fire with a different error at a different time.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
    });
  }

  async send(request: GenerationRequest, options: SendOptions): Promise<RequestRecord> {
    const spec = buildRequest(request);
    const first = await this.attempt(spec, request, options, this.pool);
    if (!first.staleSocket || this.closing !== null) return first.record;
    const fresh = new Client(this.origin, { headersTimeout: 0, bodyTimeout: 0, pipelining: 0 });
    this.retryClients.add(fresh);
    try {
      const retry = (await this.attempt(spec, request, options, fresh)).record;
      retry.retries = 1;
      retry.retry_reason = first.record.error_message;
      return retry;
    } finally {
      this.retryClients.delete(fresh);
      await fresh.close().catch(() => {});
    }
  }

  private attempt(spec: ReturnType<typeof buildRequest>, request: GenerationRequest, options: SendOptions, dispatcher: Dispatcher): Promise<Attempt> {
    const record = emptyRecord({
      request_id: options.requestId,
      protocol: request.protocol,
      stream: request.stream,
      is_warmup: options.isWarmup ?? false,
      t_scheduled: options.tScheduled,
    });
    record.expected_input_tokens = options.expectedInputTokens ?? null;
    const builder = new RecordBuilder(record, { wire: spec.wire, countTokens: options.countTokens, onEvent: options.onEvent, truncationTolerance: options.truncationTolerance });
    const framer = spec.wire === 'ollama' ? ndjsonFramer() : sseFramer();
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: '*/*', ...options.headers };
    if (this.target.apiKey !== undefined) headers.authorization = `Bearer ${this.target.apiKey}`;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

    return new Promise<Attempt>((resolve) => {
      let settled = false;
      let started = false;
      let staleSocket = false;
      let status = 0;
      let controller: Dispatcher.DispatchController | null = null;
      let timedOut = false;
      let lastArrival = 0;
      const bodyChunks: Buffer[] = [];
      let bodyBytes = 0;
      const batch: FramedEvent[] = [];

      const settle = (t: number, rest = '', cleanEnd = false): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (status !== 0) this.responses++;
        resolve({ record: builder.finish(t, rest, cleanEnd), staleSocket });
      };
      const fail = (t: number, err: Error): void => {
        if (settled) return;
        staleSocket = !timedOut && started && status === 0 && STALE_SOCKET_CODES.has(errorCode(err)) && onReusedSocket(err, this.responses > 0);
        if (timedOut) builder.transportError('timeout', `no complete response within ${timeoutMs} ms`);
        else if (status === 0 && (!started || CONNECT_CODES.has(errorCode(err)))) {
          builder.transportError('connect', `${errorCode(err) || 'connection failed'}: ${err.message}`);
        } else if (status >= 400) builder.httpError(status, Buffer.concat(bodyChunks).toString('utf8'));
        // A 200 stream that broke off is scored by the builder as truncated (no end marker).
        settle(t, framer.rest());
      };

      const timer = setTimeout(() => {
        timedOut = true;
        if (controller !== null) controller.abort(new Error('servebench timeout'));
        else fail(performance.now(), new Error('timeout before the request was written'));
      }, timeoutMs);

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          record.t_sent = performance.now();
          started = true;
          controller = c;
          if (timedOut) c.abort(new Error('servebench timeout'));
        },
        onResponseStart(_c, statusCode) {
          status = statusCode;
          record.http_status = statusCode;
        },
        onResponseData(_c, chunk) {
          const arrival = performance.now();
          lastArrival = arrival;
          options.onChunk?.(arrival, chunk);
          if (status >= 400 || !request.stream) {
            if (bodyBytes < MAX_ERROR_BODY || status < 400) bodyChunks.push(chunk);
            bodyBytes += chunk.length;
            return;
          }
          batch.length = 0;
          framer.push(chunk, arrival, batch);
          if (batch.length > 0) builder.events(batch);
        },
        onResponseEnd() {
          const t = performance.now();
          if (status >= 400) builder.httpError(status, Buffer.concat(bodyChunks).toString('utf8'));
          else if (!request.stream) builder.body(Buffer.concat(bodyChunks).toString('utf8'), lastArrival || t);
          settle(t, request.stream ? framer.rest() : '', true);
        },
        onResponseError(_c, err) {
          fail(performance.now(), err);
        },
      };
      const tDispatch = performance.now();
      record.t_sent = tDispatch;
      try {
        dispatcher.dispatch({ path: this.basePath + spec.path, method: 'POST', headers, body: spec.body, ...(this.reuse ? {} : { reset: true }) }, handler);
      } catch (err) {
        fail(performance.now(), err as Error);
      }
    });
  }

  /** Closes every connection, including streams still open (stalled servers), so nothing keeps the process alive. */
  close(): Promise<void> {
    this.closing ??= Promise.all([this.pool.destroy(), ...[...this.retryClients].map((c) => c.destroy())]).then(() => {});
    return this.closing;
  }
}
