// A faithful stand-in for vLLM, SGLang, Ollama and llama.cpp servers: their routes, readiness, byte shapes and faults,
// with no model behind them. Tests and benchmarks drive the client and the lifecycle against it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { epochNow, STAMP_COMMENT } from './stamps.ts';
import { BEHAVIOUR_HEADER, countWords, DEFAULT_BEHAVIOUR, resolveBehaviour, tokenText, type Behaviour } from './behaviour.ts';
import {
  busyMessage, chatBody, chatStream, completionBody, completionStream, DEFAULT_MODEL, errorBody, familyOf, ollamaNativeLines,
  type GenerationShape, type StreamClock, type StreamEvent, type TestProfile, type TokenGroup,
} from './profiles.ts';

export interface TestServerOptions {
  profile: TestProfile;
  host?: string;
  port?: number;
  behaviour?: Partial<Behaviour>;
  /** Not listening at all until this passes (vLLM: connection refused while loading). */
  listenDelayMs?: number;
  /** /health answers 503 until this passes (SGLang, llama.cpp). */
  readyAfterMs?: number;
  /** Ollama: the model loads lazily; the first generation (or preload) pays this once. */
  loadDelayMs?: number;
  model?: string;
  /** vLLM: VLLM_SERVER_DEV_MODE=1, without which POST /reset_prefix_cache is not mounted (404) (docs/wire.md, vLLM). */
  devMode?: boolean;
}

export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): TestServerStats;
}

export interface TestServerStats {
  requests: number;
  inFlight: number;
  maxInFlight: number;
  promptTokens: number;
  generationTokens: number;
  prefixResets: number;
  /** Requests dropped unanswered on a reused connection (dropReusedConnections). */
  dropped: number;
  /** Generation requests (chat, completions, Ollama's native API) that reached a route. */
  generations: number;
  /** Generation requests that asked for no prompt cache (llama.cpp `cache_prompt: false`). */
  cachePromptOff: number;
  /** Generation requests sent with `Connection: close`. */
  connectionClose: number;
  /** Ollama native requests, and the options and keep_alive of the last one. */
  native: number;
  lastNative: { options: unknown; keep_alive: unknown } | null;
}

type Json = Record<string, unknown>;

/** One response's clock and fate, shared by the stream writer (which stamps tokens) and the profile (which reads them). */
interface ServerClock extends StreamClock {
  /** vLLM's gpt-oss failure under ignore_eos: an error event after the last token instead of a finish. */
  harmonyFailure: boolean;
  tokens: number;
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
// Event k of a stream is due at its start + the delays before it, not after the previous write plus a delay: relative
// sleeps drift by each write's cost and, because Node starts timers set in one pass from the same cached loop time,
// pull every stream into one burst per period. Absolute deadlines keep each stream's phase, as a steady server would.
const sleepUntil = (due: number) => {
  const wait = due - performance.now();
  return wait > 0 ? sleep(wait) : Promise.resolve();
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startTestServer(opts: TestServerOptions): Promise<TestServer> {
  const profile = opts.profile;
  const fam = familyOf(profile);
  const model = opts.model ?? DEFAULT_MODEL[fam];
  const base: Behaviour = { ...DEFAULT_BEHAVIOUR, ...opts.behaviour };
  const started = performance.now();
  const readyAt = started + (opts.readyAfterMs ?? 0);
  let loaded = (opts.loadDelayMs ?? 0) === 0;
  let loading: Promise<void> | null = null;
  let ollamaId = 0;
  const stats: TestServerStats = { requests: 0, inFlight: 0, maxInFlight: 0, promptTokens: 0, generationTokens: 0, prefixResets: 0, dropped: 0, generations: 0, cachePromptOff: 0, connectionClose: 0, native: 0, lastNative: null };
  const sockets = new Set<Socket>();

  const ensureLoaded = async (): Promise<number> => {
    if (loaded) return 0;
    const t0 = performance.now();
    loading ??= sleep(opts.loadDelayMs ?? 0).then(() => {
      loaded = true;
    });
    await loading;
    return performance.now() - t0;
  };

  const nextId = (): string => (fam === 'ollama' ? `chatcmpl-${ollamaId++ % 999}` : `chatcmpl-${Math.random().toString(16).slice(2, 14)}`);

  function plan(b: Behaviour, maxTokens: number | null): { groups: TokenGroup[]; finish: 'stop' | 'length' } {
    const cap = maxTokens ?? 16;
    const total = Math.min(b.outputTokens ?? cap, cap);
    const groups: TokenGroup[] = [];
    for (let i = 0; i < total; ) {
      const channel = i < b.reasoningTokens ? 'reasoning' : 'content';
      const limit = channel === 'reasoning' ? b.reasoningTokens : total;
      const n = Math.min(b.tokensPerEvent, limit - i);
      let text = '';
      for (let k = 0; k < n; k++) text += tokenText(i + k, b.language);
      groups.push({ text, channel, n });
      i += n;
    }
    return { groups, finish: total >= cap ? 'length' : 'stop' };
  }

  /** Writes events with the behaviour's timing and faults; returns when the response is over (or stalled). */
  async function stream(res: ServerResponse, events: Iterable<StreamEvent>, b: Behaviour, wire: 'sse' | 'ndjson', clock?: ServerClock): Promise<void> {
    streamed.add(res);
    res.writeHead(200, wire === 'sse' ? { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } : { 'content-type': 'application/x-ndjson' });
    const frame = (json: Json): string => {
      if (wire === 'ndjson') return `${JSON.stringify(b.stampEvents ? { ...json, x_sent_at: epochNow() } : json)}\n`;
      const body = JSON.stringify(json);
      // Stamped after serialising, just before the write: the stamp leaves out the server's own work.
      return b.stampEvents ? `${STAMP_COMMENT}${epochNow()}\ndata: ${body}\n\n` : `data: ${body}\n\n`;
    };
    // A mid-stream error as each family and version writes it (docs/wire.md), after a 200 status line.
    const errorEvent = (message = 'engine failure (test server fault injection)'): string => {
      if (wire === 'ndjson') return JSON.stringify({ error: message }) + '\n';
      switch (profile) {
        case 'llamacpp-old': // an SSE `error:` field line, then [DONE] (examples/server, b4748)
          return `error: ${JSON.stringify({ code: 500, message, type: 'server_error' })}\n\ndata: [DONE]\n\n`;
        case 'llamacpp-new': // data: {"error":…} and the stream ends: no [DONE] (tools/server)
          return `data: ${JSON.stringify({ error: { code: 500, message, type: 'server_error' } })}\n\n`;
        case 'sglang-old':
        case 'sglang-new': // the flat error object nested under "error", then [DONE] (serving_chat.py)
          return `data: ${JSON.stringify({ error: { object: 'error', message, type: 'InternalServerError', param: null, code: 500 } })}\n\ndata: [DONE]\n\n`;
        case 'ollama-old':
        case 'ollama-new': // the OpenAI layer turns {"error":…} into one blank chunk; no finish, no usage, no [DONE]
          return `data: ${JSON.stringify({ id: 'chatcmpl-0', object: 'chat.completion.chunk', created: 0, model, system_fingerprint: 'fp_ollama', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`;
        default: // vLLM: data: {"error":…} then [DONE]
          return `data: ${JSON.stringify(errorBody(profile, 500, message))}\n\ndata: [DONE]\n\n`;
      }
    };
    let pending = '';
    let pendingCount = 0;
    const flush = async (): Promise<void> => {
      if (pending === '') return;
      const ok = res.write(pending);
      pending = '';
      pendingCount = 0;
      if (!ok && !res.destroyed) await new Promise<void>((r) => res.once('drain', r));
    };
    let tokenEvents = 0;
    let due = performance.now();
    for (const ev of events) {
      if (res.destroyed) return;
      if (ev.token) {
        if (tokenEvents === b.errorAfterEvents) {
          pending += errorEvent();
          await flush();
          res.end();
          return;
        }
        if (tokenEvents === b.truncateAfterEvents) {
          await flush();
          res.end();
          return;
        }
        if (tokenEvents === b.stallAfterEvents) {
          await flush();
          return; // the socket stays open until the client gives up or the server closes
        }
        if (tokenEvents === b.malformedAfterEvents) {
          pending += wire === 'sse' ? 'data: {"choices":[{\n\n' : '{"message":{\n';
          pendingCount++;
        }
        const delay = tokenEvents === 0 ? b.ttftMs : b.tokenDelayMs;
        if (delay > 0) {
          await flush();
          due += delay;
          await sleepUntil(due);
        }
        tokenEvents++;
        if (clock !== undefined) {
          clock.first ??= performance.now();
          clock.last = performance.now();
        }
      }
      pending += frame(ev.json);
      pendingCount++;
      if (pendingCount >= b.eventsPerWrite) await flush();
    }
    // Where the finish would come, vLLM's harmony parser meets the token after <|return|> and fails.
    if (clock?.harmonyFailure === true) pending += errorEvent('Unexpected token 200002 while expecting start token 200006');
    else if (wire === 'sse') pending += 'data: [DONE]\n\n';
    await flush();
    res.end();
  }

  function promptText(body: Json): string {
    if (typeof body.prompt === 'string') return body.prompt;
    if (Array.isArray(body.messages)) return body.messages.map((m) => (typeof m === 'object' && m !== null && typeof (m as Json).content === 'string' ? (m as Json).content : '')).join(' ');
    return '';
  }

  async function openai(res: ServerResponse, body: Json, kind: 'chat' | 'completions', b: Behaviour): Promise<void> {
    if (body.model !== model) return sendJson(res, 404, errorBody(profile, 404, `The model \`${String(body.model)}\` does not exist.`));
    const streamed = body.stream === true;
    const so = (body.stream_options ?? null) as Json | null;
    if (so !== null && !streamed && fam === 'vllm') return sendJson(res, 400, errorBody(profile, 400, 'Stream options can only be defined when `stream=True`.'));
    if (fam === 'ollama') await ensureLoaded();
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : fam === 'ollama' ? null : 16;
    const p = plan(b, maxTokens ?? (b.outputTokens ?? 16));
    const prompt = countWords(promptText(body));
    // vLLM with gpt-oss under ignore_eos runs past <|return|>; when the answer ends before max_tokens the harmony parser
    // fails and the stream ends in an error event (vllm issue 50690; docs/wire.md, vLLM).
    const harmonyFailure = fam === 'vllm' && body.ignore_eos === true && /gpt-oss/i.test(model) && p.finish === 'stop';
    const clock: ServerClock = { start: performance.now(), first: null, last: null, harmonyFailure, tokens: p.groups.length };
    const shape: GenerationShape = {
      id: nextId(),
      created: Math.floor(Date.now() / 1000),
      model,
      groups: p.groups,
      finishReason: p.finish,
      promptTokens: prompt,
      // Ollama honours stream_options.include_usage on /v1 only from 0.5.2 on (docs/wire.md, Ollama); ollama-old is 0.5.1.
      includeUsage: so?.include_usage === true && profile !== 'ollama-old',
      continuousUsage: so?.continuous_usage_stats === true,
      clock,
      broken: harmonyFailure,
    };
    stats.promptTokens += prompt;
    stats.generationTokens += p.groups.reduce((a, g) => a + g.n, 0);
    if (!streamed) {
      await sleep(b.ttftMs + b.tokenDelayMs * Math.max(0, p.groups.length - 1));
      if (harmonyFailure) return sendJson(res, 500, errorBody(profile, 500, 'Unexpected token 200002 while expecting start token 200006'));
      return sendJson(res, 200, kind === 'chat' ? chatBody(profile, shape) : completionBody(shape));
    }
    await stream(res, kind === 'chat' ? chatStream(profile, shape) : completionStream(profile, shape), b, 'sse', clock);
  }

  async function ollamaNative(res: ServerResponse, body: Json, kind: 'chat' | 'generate', b: Behaviour): Promise<void> {
    if (body.model !== model) return sendJson(res, 404, errorBody(profile, 404, `model '${String(body.model)}' not found`, true));
    const loadMs = await ensureLoaded();
    const created = new Date().toISOString();
    const empty = kind === 'chat' ? !Array.isArray(body.messages) || body.messages.length === 0 : typeof body.prompt !== 'string' || body.prompt === '';
    if (empty) {
      // A preload: the model is loaded and nothing is generated.
      const line = kind === 'chat' ? { model, created_at: created, message: { role: 'assistant', content: '' }, done_reason: 'load', done: true } : { model, created_at: created, response: '', done_reason: 'load', done: true };
      return sendJson(res, 200, line);
    }
    const options = (body.options ?? {}) as Json;
    const p = plan(b, typeof options.num_predict === 'number' ? options.num_predict : (b.outputTokens ?? 16));
    let prompt = countWords(promptText(body));
    const numCtx = typeof options.num_ctx === 'number' ? options.num_ctx : b.numCtx;
    if (numCtx !== null && prompt > numCtx) prompt = numCtx; // silently, as Ollama does
    const shape: GenerationShape = { id: '', created: Math.floor(Date.now() / 1000), model, groups: p.groups, finishReason: p.finish, promptTokens: prompt, includeUsage: false, continuousUsage: false };
    const durations = { total: Math.round((loadMs + b.ttftMs + b.tokenDelayMs * p.groups.length) * 1e6) + 1, load: Math.round(loadMs * 1e6), prompt: Math.round(b.ttftMs * 1e6), eval: Math.round(b.tokenDelayMs * p.groups.length * 1e6) };
    const lines = ollamaNativeLines(kind, shape, durations);
    if (body.stream === false) {
      await sleep(b.ttftMs + b.tokenDelayMs * Math.max(0, p.groups.length - 1));
      const final = [...lines].at(-1)!.json;
      const text = p.groups.filter((g) => g.channel === 'content').map((g) => g.text).join('');
      const thinking = p.groups.filter((g) => g.channel === 'reasoning').map((g) => g.text).join('');
      const merged = kind === 'chat' ? { ...final, message: { role: 'assistant', content: text, ...(thinking ? { thinking } : {}) } } : { ...final, response: text, ...(thinking ? { thinking } : {}) };
      return sendJson(res, 200, merged);
    }
    await stream(res, lines, b, 'ndjson');
  }

  /** Prometheus text with each family's real metric names (docs/wire.md, /metrics of each framework). */
  function metricsText(): string {
    const gauge = (name: string, value: number, labels = `model_name="${model}"`): string[] => [`# TYPE ${name} gauge`, `${name}{${labels}} ${value}`];
    const counter = (name: string, value: number, labels = `model_name="${model}"`): string[] => [`# TYPE ${name} counter`, `${name}{${labels}} ${value}`];
    let lines: string[];
    if (fam === 'vllm') {
      lines = [
        `# HELP vllm:num_requests_running Number of requests in model execution batches.`,
        ...gauge('vllm:num_requests_running', stats.inFlight),
        ...gauge('vllm:num_requests_waiting', 0),
        // vLLM renamed the KV-cache gauge; the older family still exports the GPU name.
        ...gauge(profile === 'vllm-old' ? 'vllm:gpu_cache_usage_perc' : 'vllm:kv_cache_usage_perc', 0.1),
        ...counter('vllm:prefix_cache_queries_total', stats.promptTokens),
        ...counter('vllm:prefix_cache_hits_total', 0),
        ...counter('vllm:num_preemptions_total', 0),
        ...counter('vllm:prompt_tokens_total', stats.promptTokens),
        ...counter('vllm:generation_tokens_total', stats.generationTokens),
      ];
    } else if (fam === 'sglang') {
      // SGLang's own names: there is no sglang:num_requests_running.
      lines = [
        ...gauge('sglang:num_running_reqs', stats.inFlight),
        ...gauge('sglang:num_queue_reqs', 0),
        ...gauge('sglang:token_usage', 0.1),
        ...gauge('sglang:cache_hit_rate', 0),
        ...gauge('sglang:gen_throughput', 0),
        ...counter('sglang:prompt_tokens_total', stats.promptTokens),
        ...counter('sglang:generation_tokens_total', stats.generationTokens),
      ];
    } else {
      lines = [
        ...counter('llamacpp:prompt_tokens_total', stats.promptTokens, ''),
        ...counter('llamacpp:tokens_predicted_total', stats.generationTokens, ''),
        ...gauge('llamacpp:requests_processing', stats.inFlight, ''),
        ...gauge('llamacpp:requests_deferred', 0, ''),
      ].map((l) => l.replace('{}', ''));
    }
    return lines.join('\n') + '\n';
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const ready = performance.now() >= readyAt;
    if (req.method === 'GET') {
      if (path === '/health' || path === '/health_generate') {
        if (fam === 'ollama') return sendJson(res, 404, { error: 'not found' });
        if (!ready) {
          if (fam === 'llamacpp') return sendJson(res, 503, { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } });
          res.writeHead(503).end();
          return;
        }
        if (fam === 'llamacpp') return sendJson(res, 200, { status: 'ok' });
        res.writeHead(200, { 'content-length': 0 }).end();
        return;
      }
      if (path === '/' && fam === 'ollama') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Ollama is running');
        return;
      }
      if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: [{ id: model, object: 'model', owned_by: fam, root: model, max_model_len: 131072 }] });
      if (path === '/metrics' && fam !== 'ollama') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsText());
        return;
      }
      // llama.cpp reports its build in /props (docs/wire.md); the number is the profile's version family.
      if (fam === 'llamacpp' && path === '/props') {
        return sendJson(res, 200, { build_info: profile === 'llamacpp-new' ? 'b10573-3a1b5c2d' : 'b4747-1b2c3d4e', total_slots: 4, default_generation_settings: { n_ctx: 8192 } });
      }
      if (fam === 'vllm' && path === '/version') return sendJson(res, 200, { version: profile === 'vllm' ? '0.11.0' : '0.8.5' });
      if (fam === 'sglang' && (path === '/get_model_info' || path === '/model_info')) return sendJson(res, 200, { model_path: model, is_generation: true });
      if (fam === 'sglang' && (path === '/get_server_info' || (profile === 'sglang-new' && path === '/server_info'))) {
        return sendJson(res, 200, { version: profile === 'sglang-new' ? '0.5.3' : '0.4.6', model_path: model, tp_size: 1, mem_fraction_static: 0.85 });
      }
      if (fam === 'ollama' && path === '/api/version') return sendJson(res, 200, { version: profile === 'ollama-new' ? '0.12.3' : '0.5.1' });
      if (fam === 'ollama' && path === '/api/tags') return sendJson(res, 200, { models: [{ name: model, model, size: 13_780_173_734, details: { format: 'gguf', family: 'gptoss', parameter_size: '20.9B', quantization_level: 'MXFP4' } }] });
      if (fam === 'ollama' && path === '/api/ps') {
        return sendJson(res, 200, { models: loaded ? [{ name: model, model, size: 14_000_000_000, size_vram: 14_000_000_000, context_length: base.numCtx ?? 4096, details: { quantization_level: 'MXFP4' } }] : [] });
      }
    }
    if (req.method !== 'POST') return sendJson(res, 404, errorBody(profile, 404, `no route ${req.method} ${path}`, true));

    const text = await readBody(req);
    if (fam === 'vllm' && path === '/reset_prefix_cache' && opts.devMode === true) {
      stats.prefixResets++;
      res.writeHead(200, { 'content-length': 0 }).end();
      return;
    }
    if (fam === 'sglang' && path === '/flush_cache') {
      if (stats.inFlight > 1) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('Cache not flushed because there are pending requests.');
        return;
      }
      stats.prefixResets++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Cache flushed.');
      return;
    }
    if (fam === 'llamacpp' && path === '/tokenize') {
      const body = JSON.parse(text || '{}') as Json;
      const words = String(body.content ?? '').trim().split(/\s+/).filter(Boolean);
      return sendJson(res, 200, { tokens: words.map((_, i) => 1000 + i) });
    }
    if (fam === 'ollama' && path === '/api/pull') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const total = 13_780_173_734;
      for (const line of [{ status: 'pulling manifest' }, { status: 'pulling e7b273f96360', digest: 'sha256:e7b273f96360', total, completed: 0 }, { status: 'pulling e7b273f96360', digest: 'sha256:e7b273f96360', total, completed: Math.floor(total / 2) }, { status: 'pulling e7b273f96360', digest: 'sha256:e7b273f96360', total, completed: total }, { status: 'verifying sha256 digest' }, { status: 'writing manifest' }, { status: 'success' }]) {
        res.write(JSON.stringify(line) + '\n');
        await sleep(5);
      }
      res.end();
      return;
    }

    // A route the server does not mount (vLLM's /reset_prefix_cache outside dev mode) is a 404 before any body parsing.
    const generation = path === '/v1/chat/completions' || path === '/v1/completions' || (fam === 'ollama' && (path === '/api/chat' || path === '/api/generate'));
    if (!generation) return sendJson(res, 404, fam === 'vllm' ? { detail: 'Not Found' } : errorBody(profile, 404, `no route POST ${path}`, true));
    let body: Json;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Json;
    } catch {
      return sendJson(res, 400, errorBody(profile, 400, 'Invalid JSON body', path.startsWith('/api/')));
    }
    let b: Behaviour;
    try {
      b = resolveBehaviour(base, req.headers[BEHAVIOUR_HEADER]);
    } catch (err) {
      return sendJson(res, 400, errorBody(profile, 400, (err as Error).message));
    }
    stats.generations++;
    if (body.cache_prompt === false) stats.cachePromptOff++;
    if (String(req.headers.connection ?? '').toLowerCase() === 'close') stats.connectionClose++;
    if (b.dieAfterRequests !== null && stats.generations > b.dieAfterRequests) {
      void die();
      return;
    }
    if (b.failStatus !== null && (b.failAfterRequests === null || stats.generations > b.failAfterRequests)) {
      const msg = b.failStatus === 503 ? busyMessage(profile) : `injected failure ${b.failStatus}`;
      return sendJson(res, b.failStatus, errorBody(profile, b.failStatus, msg, path.startsWith('/api/')));
    }
    if (path === '/v1/chat/completions') return openai(res, body, 'chat', b);
    if (path === '/v1/completions') return openai(res, body, 'completions', b);
    if (fam === 'ollama' && path.startsWith('/api/')) {
      stats.native++;
      stats.lastNative = { options: body.options ?? null, keep_alive: body.keep_alive ?? null };
    }
    if (fam === 'ollama' && path === '/api/chat') return ollamaNative(res, body, 'chat', b);
    if (fam === 'ollama' && path === '/api/generate') return ollamaNative(res, body, 'generate', b);
    return sendJson(res, 404, errorBody(profile, 404, `no route POST ${path}`, true));
  }

  const served = new WeakSet<Socket>();
  const streamed = new WeakSet<ServerResponse>();
  const server = createServer((req, res) => {
    let drop = false;
    try {
      drop = resolveBehaviour(base, req.headers[BEHAVIOUR_HEADER]).dropReusedConnections;
    } catch {
      // route() answers the malformed header with a 400.
    }
    if (drop && served.has(req.socket)) {
      stats.dropped++;
      req.socket.destroy();
      return;
    }
    res.on('finish', () => {
      if (streamed.has(res)) served.add(req.socket);
    });
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let counted = true;
    const release = (): void => {
      if (counted) stats.inFlight--;
      counted = false;
    };
    res.on('close', release);
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(profile, 500, String(err)));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  let dead: Promise<void> | null = null;
  /** As a crashed server: nothing listens any more and every open connection drops. */
  const die = (): Promise<void> => {
    dead ??= new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    });
    return dead;
  };

  if ((opts.listenDelayMs ?? 0) > 0) await sleep(opts.listenDelayMs ?? 0);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    stats: () => ({ ...stats }),
    close: async () => {
      await die();
    },
  };
}
