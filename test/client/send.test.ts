// The sender against a raw loopback server that writes exact bytes at exact times.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyFromEnv, StreamingClient } from '../../runner/lib/client/send.ts';
import type { GenerationRequest } from '../../runner/lib/client/body.ts';
import { chat, DONE, usageChunk } from './helpers.ts';

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let route: Route = (_q, res) => res.end();
let server: Server;
let baseUrl: string;
const sockets = new Set<import('node:net').Socket>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => route(req, res, body));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

const clients: StreamingClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
function client(apiKey?: string): StreamingClient {
  const c = new StreamingClient({ baseUrl, apiKey });
  clients.push(c);
  return c;
}

const req = (over: Partial<GenerationRequest> = {}): GenerationRequest => ({
  protocol: 'openai-chat',
  model: 'm',
  messages: [{ role: 'user', content: 'hello there' }],
  stream: true,
  max_tokens: 8,
  include_usage: true,
  ...over,
});
const opts = (over = {}) => ({ requestId: 'x', tScheduled: performance.now(), ...over });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function sseHead(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.flushHeaders();
}

describe('StreamingClient', () => {
  it('sends max_tokens and stream_options, and measures delays as the server injected them', async () => {
    let seen: Record<string, unknown> = {};
    route = async (_q, res, body) => {
      seen = JSON.parse(body);
      sseHead(res);
      res.write(chat({ role: 'assistant', content: '' }));
      await sleep(120);
      res.write(chat({ content: 'a' }));
      for (let i = 0; i < 4; i++) {
        await sleep(40);
        res.write(chat({ content: 'b' }));
      }
      await sleep(30);
      res.write(chat({}, 'length') + usageChunk(2, 5) + DONE);
      res.end();
    };
    const r = await client().send(req(), opts());
    expect(seen.max_tokens).toBe(8);
    expect(seen.stream_options).toEqual({ include_usage: true });
    expect(r.status).toBe('ok');
    const ttft = r.t_first_token! - r.t_sent;
    const tpot = (r.t_last_token! - r.t_first_token!) / (r.output_tokens! - 1);
    expect(ttft).toBeGreaterThanOrEqual(115);
    expect(ttft).toBeLessThan(400);
    expect(tpot).toBeGreaterThanOrEqual(35);
    expect(tpot).toBeLessThan(120);
    // The usage chunk and [DONE] arrived 30 ms after the last token.
    expect(r.t_done - r.t_last_token!).toBeGreaterThanOrEqual(25);
    expect(r.http_status).toBe(200);
  });

  it('pitfall 9: events delivered by one read carry that read\'s stamp, not a stamp taken after parsing', async () => {
    route = (_q, res) => {
      sseHead(res);
      res.end(chat({ content: 'a' }) + chat({ content: 'b' }) + chat({ content: 'c' }, 'stop') + usageChunk(1, 3) + DONE);
    };
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    // Slow per-event work (parsing, bookkeeping) must not move the stamps.
    const r = await client().send(req(), opts({ onEvent: () => busy(15) }));
    expect(r.event_times.length).toBe(3);
    expect(new Set(r.event_times).size).toBe(1);
    expect(r.multi_event_reads).toBe(1);
  });

  it('pitfall 5: queue time stays outside TTFT', async () => {
    route = (_q, res) => {
      sseHead(res);
      res.end(chat({ content: 'a' }, 'stop') + usageChunk(1, 1) + DONE);
    };
    const tScheduled = performance.now() - 500; // the generator meant to send half a second ago
    const r = await client().send(req(), opts({ tScheduled }));
    expect(r.t_sent - r.t_scheduled).toBeGreaterThanOrEqual(500);
    expect(r.t_first_token! - r.t_sent).toBeLessThan(200);
  });

  it('sync mode (pitfall 11): no first-token time without a stream; the body is the last token', async () => {
    let seen: Record<string, unknown> = {};
    route = async (_q, res, body) => {
      seen = JSON.parse(body);
      await sleep(50);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi there' }, finish_reason: 'stop' }], usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 } }));
    };
    const r = await client().send(req({ stream: false }), opts());
    expect(seen.stream).toBe(false);
    expect(seen.stream_options).toBeUndefined();
    expect(r.status).toBe('ok');
    expect(r.t_first_token).toBeNull();
    expect(r.t_last_token! - r.t_sent).toBeGreaterThanOrEqual(45);
    expect(r.output_tokens).toBe(2);
  });

  it('a stalled stream ends as timeout, never a hang', async () => {
    route = (_q, res) => {
      sseHead(res);
      res.write(chat({ content: 'a' }));
    };
    const t0 = performance.now();
    const r = await client().send(req(), opts({ timeoutMs: 300 }));
    expect(r.status).toBe('timeout');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.event_times.length).toBe(1);
  });

  it('a closed port is connect', async () => {
    const c = new StreamingClient({ baseUrl: 'http://127.0.0.1:1' });
    clients.push(c);
    const r = await c.send(req(), opts());
    expect(r.status).toBe('connect');
    expect(r.error_message).toMatch(/ECONNREFUSED/);
  });

  it.each([
    [400, { error: { message: 'too long: 9000 > 8192', type: 'BadRequestError', param: null, code: 400 } }, 'http_4xx', 'too long: 9000 > 8192'],
    [404, { object: 'error', message: 'model x not found', type: 'NotFoundError', param: null, code: 404 }, 'http_4xx', 'model x not found'],
    [500, { error: 'model runner crashed' }, 'http_5xx', 'model runner crashed'],
    [503, { error: { message: 'server busy, please try again.', type: 'api_error', param: null, code: null } }, 'http_503_busy', 'server busy, please try again.'],
  ])('HTTP %i is classified with the server message', async (status, body, cls, message) => {
    route = (_q, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const r = await client().send(req(), opts());
    expect([r.status, r.http_status, r.error_message]).toEqual([cls, status, message]);
  });

  it('sends the API key as a bearer header and never records it', async () => {
    let auth: string | undefined;
    route = (q, res) => {
      auth = q.headers.authorization;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'bad key', type: 'auth' } }));
    };
    const r = await client('sk-secret-123').send(req(), opts());
    expect(auth).toBe('Bearer sk-secret-123');
    expect(JSON.stringify(r)).not.toContain('sk-secret-123');
  });

  it('keeps a base URL path prefix (proxies such as LiteLLM)', async () => {
    let url = '';
    route = (q, res) => {
      url = q.url ?? '';
      res.writeHead(404).end();
    };
    const c = new StreamingClient({ baseUrl: `${baseUrl}/proxy/` });
    clients.push(c);
    await c.send(req(), opts());
    expect(url).toBe('/proxy/v1/chat/completions');
  });
});

describe('apiKeyFromEnv', () => {
  it('reads the named variable and names it when missing', () => {
    expect(apiKeyFromEnv('K', { K: 'v' })).toBe('v');
    expect(apiKeyFromEnv(undefined, {})).toBeUndefined();
    expect(() => apiKeyFromEnv('OPENAI_API_KEY', {})).toThrow(/OPENAI_API_KEY/);
  });
});
