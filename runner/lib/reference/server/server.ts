// The reference server: an OpenAI-compatible HTTP front (vLLM's stream conventions, docs/wire.md) over the engine.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ChatMessage } from '../../client/body.ts';
import { ensureReferenceModel, type ModelPreset } from '../model/index.ts';
import { chatPrompt, createLlamaEngine, type Engine, type EngineSequence } from './engine.ts';
import { ServerMetrics } from './metrics.ts';
import { QueueFullError, Scheduler } from './scheduler.ts';
import { TextStream } from './text.ts';

export interface ReferenceServerOptions {
  preset?: ModelPreset;
  host?: string;
  port?: number;
  parallel?: number;
  prefixCache?: boolean;
  threads?: number;
  queueLimit?: number;
  contextSize?: number;
  modelName?: string;
  cacheDir?: string;
  onLog?: (line: string) => void;
}

export interface ReferenceServer {
  url: string;
  modelName: string;
  /** Stops accepting, lets requests in flight finish, frees the model. */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  constructor(status: number, message: string, type = 'BadRequestError', param: string | null = null) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const errorBody = (e: HttpError) => ({ error: { message: e.message, type: e.type, param: e.param, code: e.status } });

async function readJson(req: IncomingMessage): Promise<Json> {
  let text = '';
  for await (const chunk of req) text += chunk;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'request body must be a JSON object');
  return body as Json;
}

interface Parsed {
  chat: boolean;
  prompt: string;
  maxTokens: number;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  ignoreEos: boolean;
  temperature: number;
  seed: number | undefined;
  stop: string[];
  /** llama.cpp's `cache_prompt`: false keeps this request from reusing a cached prefix. */
  cachePrompt: boolean;
}

function field<T>(body: Json, name: string, check: (v: unknown) => v is T, want: string): T | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (!check(v)) throw new HttpError(400, `${name} must be ${want}`, 'BadRequestError', name);
  return v;
}
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseGeneration(body: Json, chat: boolean, modelName: string): Parsed {
  if (body.model !== modelName) throw new HttpError(404, `The model \`${String(body.model)}\` does not exist.`, 'NotFoundError', 'model');
  let prompt: string;
  if (chat) {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) throw new HttpError(400, 'messages must be a non-empty list', 'BadRequestError', 'messages');
    const ok = messages.every((m) => isObj(m) && ['system', 'user', 'assistant'].includes(String(m.role)) && typeof m.content === 'string');
    if (!ok) throw new HttpError(400, 'each message needs a role (system, user, assistant) and string content', 'BadRequestError', 'messages');
    prompt = chatPrompt(messages as ChatMessage[]);
  } else {
    if (typeof body.prompt !== 'string' || body.prompt === '') throw new HttpError(400, 'prompt must be a non-empty string', 'BadRequestError', 'prompt');
    prompt = body.prompt;
  }
  const stream = field(body, 'stream', isBool, 'true or false') ?? false;
  const so = field(body, 'stream_options', isObj, 'an object');
  if (so !== undefined && !stream) throw new HttpError(400, 'Stream options can only be defined when `stream=True`.', 'BadRequestError', 'stream_options');
  const stop = body.stop;
  const stops = typeof stop === 'string' ? [stop] : Array.isArray(stop) && stop.every((s) => typeof s === 'string') ? (stop as string[]) : stop == null ? [] : null;
  if (stops === null) throw new HttpError(400, 'stop must be a string or a list of strings', 'BadRequestError', 'stop');
  return {
    chat,
    prompt,
    maxTokens: field(body, 'max_tokens', isInt, 'an integer ≥ 1') ?? 16,
    stream,
    includeUsage: so?.include_usage === true,
    continuousUsage: so?.continuous_usage_stats === true,
    ignoreEos: field(body, 'ignore_eos', isBool, 'true or false') ?? false,
    temperature: field(body, 'temperature', isNum, 'a number ≥ 0') ?? 1,
    seed: field(body, 'seed', (v): v is number => Number.isInteger(v), 'an integer'),
    stop: stops.filter((s) => s !== ''),
    cachePrompt: field(body, 'cache_prompt', isBool, 'true or false') ?? true,
  };
}

export async function startReferenceServer(opts: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  const log = opts.onLog ?? (() => {});
  const preset = opts.preset ?? 'default';
  const modelName = opts.modelName ?? `servebench-reference-${preset}`;
  const parallel = opts.parallel ?? 1;
  const metrics = new ServerMetrics();
  let engine: Engine | null = null;
  let scheduler: Scheduler | null = null;
  let draining = false;
  const inFlight = new Set<Promise<void>>();
  const sockets = new Set<Socket>();

  async function generate(req: IncomingMessage, res: ServerResponse, p: Parsed): Promise<void> {
    if (engine === null || scheduler === null) throw new HttpError(503, 'model is loading', 'ServiceUnavailableError');
    const e = engine;
    const tokens = e.tokenizer.encode(p.prompt, { specialTokens: p.chat });
    if (tokens.length + p.maxTokens > e.contextPerSequence) {
      throw new HttpError(
        400,
        `This model's maximum context length is ${e.contextPerSequence} tokens. However, you requested ${tokens.length + p.maxTokens} tokens (${tokens.length} in the messages, ${p.maxTokens} in the completion). Please reduce the length of the messages or completion.`,
      );
    }
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const tArrive = performance.now();
    let seq: EngineSequence;
    try {
      seq = await scheduler.acquire(tokens, abort.signal);
    } catch (err) {
      if (err instanceof QueueFullError) throw new HttpError(503, `server busy: ${err.message}`, 'ServiceUnavailableError');
      return; // the client left while queued
    }
    metrics.queueTime(performance.now() - tArrive);
    const id = `${p.chat ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const head = p.chat ? { id, object: 'chat.completion.chunk', created, model: modelName } : { id, object: 'text_completion', created, model: modelName };
    let cached = 0;
    let generated = 0;
    let finish: 'stop' | 'length' = 'stop';
    const text = new TextStream(e.tokenizer, p.stop);
    const usage = () => ({
      prompt_tokens: tokens.length,
      total_tokens: tokens.length + generated,
      completion_tokens: generated,
      prompt_tokens_details: { cached_tokens: cached },
    });
    // Serialising and writing leave the decode loop: work here runs between two decode steps and delays the next one
    // (a loopback write alone costs 0.1–0.3 ms on a small VM, several percent of a token). Events wait until the next
    // decode is under way — two check phases later — and go out together, in order.
    let unsent: Json[] = [];
    let flushScheduled = false;
    const flush = (): void => {
      flushScheduled = false;
      if (unsent.length > 0 && !res.destroyed && !res.writableEnded) res.write(unsent.map((json) => `data: ${JSON.stringify(json)}\n\n`).join(''));
      unsent = [];
    };
    const write = (json: Json): void => {
      unsent.push(json);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(() => setImmediate(flush));
      }
    };
    const chunk = (piece: string, finishReason: string | null): Json =>
      p.chat
        ? { ...head, choices: [{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: finishReason, ...(finishReason ? { stop_reason: null } : {}) }] }
        : { ...head, choices: [{ index: 0, text: piece, logprobs: null, finish_reason: finishReason, ...(finishReason ? { stop_reason: null } : {}) }] };
    const withUsage = (json: Json): Json => (p.continuousUsage ? { ...json, usage: usage() } : json);

    if (p.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      if (p.chat) write(withUsage({ ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] }));
    }
    const tStart = performance.now();
    let tLast = 0;
    let tFirst = 0;
    let pendingPiece = '';
    // llama.cpp's per-request `timings` (docs/wire.md): the prompt clock runs from the start of prompt work to the
    // first token, the generation clock from the first token to the last, and cached prompt tokens are counted apart.
    const timings = (): Json => ({
      cache_n: cached,
      prompt_n: tokens.length - cached,
      prompt_ms: tFirst > 0 ? tFirst - tStart : 0,
      predicted_n: generated,
      predicted_ms: tFirst > 0 ? tLast - tFirst : 0,
    });
    try {
      const it = seq.generate(tokens, opts.prefixCache === true && p.cachePrompt, { maxTokens: p.maxTokens, ignoreEos: p.ignoreEos, temperature: p.temperature, seed: p.seed, signal: abort.signal }, (n) => {
        cached = n;
        metrics.prefix(tokens.length, n);
      });
      for await (const token of it) {
        generated++;
        const now = performance.now();
        if (generated === 1) {
          metrics.ttft(now - tArrive);
          tFirst = now;
        } else metrics.itl(now - tLast);
        tLast = now;
        const { piece, stopped } = text.push(token);
        if (p.stream && piece !== '') {
          // A held-back partial character rides with the next complete one; continuous usage shows both tokens.
          write(withUsage(chunk(piece, null)));
        } else if (!p.stream) {
          pendingPiece += piece;
        }
        if (stopped) break;
      }
      const tail = text.flush();
      if (generated >= p.maxTokens && !text.stopped) finish = 'length';
      if (p.stream) {
        if (tail !== '') write(withUsage(chunk(tail, null)));
        write({ ...withUsage(chunk('', finish)), timings: timings() });
        if (p.includeUsage) write({ ...head, choices: [], usage: usage() });
        flush();
        if (!res.destroyed) res.end('data: [DONE]\n\n');
      } else {
        const content = pendingPiece + tail;
        const choice = p.chat ? { index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: finish, stop_reason: null } : { index: 0, text: content, logprobs: null, finish_reason: finish, stop_reason: null };
        sendJson(res, 200, { id, object: p.chat ? 'chat.completion' : 'text_completion', created, model: modelName, choices: [choice], usage: usage(), timings: timings() });
      }
      metrics.done(tokens.length, generated, performance.now() - tStart);
    } finally {
      flush(); // events already generated go out before an error event the caller may write
      scheduler.release(seq);
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/health') {
      res.writeHead(engine === null || draining ? 503 : 200, { 'content-length': 0 }).end();
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', owned_by: 'servebench', root: modelName, max_model_len: engine?.contextPerSequence ?? null }] });
    }
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metrics.render(modelName, scheduler?.running ?? 0, scheduler?.waiting ?? 0, engine?.decodeSteps() ?? 0));
      return;
    }
    if (req.method === 'GET' && path === '/version') return sendJson(res, 200, { version: 'servebench-reference' });
    if (req.method !== 'POST') throw new HttpError(404, `no route ${req.method} ${path}`, 'NotFoundError');
    if (draining) throw new HttpError(503, 'server is shutting down', 'ServiceUnavailableError');
    if (path === '/reset_prefix_cache') {
      // As vLLM's: drop cached prefixes so the next request starts cold.
      if (engine === null || scheduler === null) throw new HttpError(503, 'model is loading', 'ServiceUnavailableError');
      if (scheduler.running > 0) throw new HttpError(400, 'cannot reset the prefix cache while requests are running');
      await Promise.all(engine.sequences.map((s) => s.clear()));
      res.writeHead(200, { 'content-length': 0 }).end();
      return;
    }
    if (path === '/tokenize') {
      if (engine === null) throw new HttpError(503, 'model is loading', 'ServiceUnavailableError');
      const body = await readJson(req);
      const text = Array.isArray(body.messages) ? chatPrompt(body.messages as ChatMessage[]) : typeof body.prompt === 'string' ? body.prompt : typeof body.content === 'string' ? body.content : null;
      if (text === null) throw new HttpError(400, 'give prompt, messages or content', 'BadRequestError', 'prompt');
      const tokens = engine.tokenizer.encode(text, { specialTokens: Array.isArray(body.messages) });
      return sendJson(res, 200, { count: tokens.length, max_model_len: engine.contextPerSequence, tokens });
    }
    if (path === '/v1/chat/completions' || path === '/v1/completions') {
      const parsed = parseGeneration(await readJson(req), path === '/v1/chat/completions', modelName);
      return generate(req, res, parsed);
    }
    throw new HttpError(404, `no route POST ${path}`, 'NotFoundError');
  }

  const server = createServer((req, res) => {
    const job = route(req, res)
      .catch((err: unknown) => {
        const e = err instanceof HttpError ? err : new HttpError(500, String((err as Error)?.message ?? err), 'InternalServerError');
        if (e.status >= 500) log(`error: ${e.message}`);
        if (!res.headersSent) sendJson(res, e.status, errorBody(e));
        else if (!res.destroyed) res.end(`data: ${JSON.stringify(errorBody(e))}\n\ndata: [DONE]\n\n`);
      })
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
  });
  server.on('connection', (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const url = `http://${opts.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  log(`listening ${url} (loading model ${preset})`);

  // Listen first, load after: /health says 503 while the model loads, as vLLM's and llama.cpp's do.
  const ready = (async () => {
    const model = await ensureReferenceModel({ preset, ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}), onProgress: log });
    engine = await createLlamaEngine({
      modelPath: model.path,
      modelName,
      tokenizer: model.tokenizer,
      parallel,
      contextPerSequence: opts.contextSize ?? model.spec.contextLength,
      threads: opts.threads ?? 1,
    });
    scheduler = new Scheduler(engine.sequences, { queueLimit: opts.queueLimit ?? 256, prefixCache: opts.prefixCache === true });
    log(`ready: ${modelName}, parallel ${parallel}, prefix cache ${opts.prefixCache ? 'on' : 'off'}, ${engine.contextPerSequence} tokens per sequence`);
  })();
  ready.catch((err: unknown) => log(`model failed to load: ${String(err)}`));

  return {
    url,
    modelName,
    async close() {
      draining = true;
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.allSettled([...inFlight]);
      for (const s of sockets) s.destroy();
      await ready.catch(() => {});
      await (engine as Engine | null)?.dispose();
    },
  };
}
