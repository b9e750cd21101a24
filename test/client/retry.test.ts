// Transport races are not server failures (docs/metrics.md, pitfall 13): a request that dies unanswered on a reused keep-alive
// connection is retried once on a fresh one and the retry is recorded; a fresh connection that dies is a failure.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { GenerationRequest } from '../../runner/lib/client/body.ts';
import { StreamingClient } from '../../runner/lib/client/send.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

const req: GenerationRequest = { protocol: 'openai-chat', model: 'gpt-oss-20b-mxfp4.gguf', messages: [{ role: 'user', content: 'one two three' }], stream: true, max_tokens: 4, include_usage: true };
const opts = (i: number) => ({ requestId: `r${i}`, tScheduled: performance.now() });

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function server(): Promise<TestServer> {
  const s = await startTestServer({ profile: 'llamacpp-new', behaviour: { dropReusedConnections: true } });
  cleanup.push(() => s.close());
  return s;
}

function client(url: string, reuseConnections?: boolean): StreamingClient {
  const c = new StreamingClient({ baseUrl: url }, reuseConnections === undefined ? {} : { reuseConnections });
  cleanup.push(() => c.close());
  return c;
}

describe('a server that closes connections after each response (llama.cpp)', () => {
  it('a request that dies on a reused connection is retried once on a fresh one and recorded as retried', async () => {
    const s = await server();
    const c = client(s.url);
    const records = [];
    for (let i = 0; i < 6; i++) records.push(await c.send(req, opts(i)));
    expect(records.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(records[0]!.retries).toBe(0);
    // Which later request lands on a kept-alive socket depends on when undici frees it; every one that did was dropped
    // by the server without a byte, and exactly those were retried.
    const retried = records.filter((r) => r.retries === 1);
    expect(s.stats().dropped).toBeGreaterThan(0);
    expect(retried.length).toBe(s.stats().dropped);
    for (const r of retried) expect(r.retry_reason).toMatch(/other side closed|ECONNRESET|closed/);
    expect(records.every((r) => r.output_tokens === 4)).toBe(true);
  });

  it('with connection reuse off nothing is dropped and nothing is retried', async () => {
    const s = await server();
    const c = client(s.url, false);
    const records = [];
    for (let i = 0; i < 4; i++) records.push(await c.send(req, opts(i)));
    expect(records.map((r) => [r.status, r.retries])).toEqual([['ok', 0], ['ok', 0], ['ok', 0], ['ok', 0]]);
    expect(s.stats().dropped).toBe(0);
  });
});

describe('failures that are the server\'s', () => {
  it('a fresh connection closed before any response byte is a failure, not retried', async () => {
    let requests = 0;
    const raw: Server = createServer((q) => {
      requests++;
      q.socket.destroy();
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => raw.close(r)));
    const c = client(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`);
    const r = await c.send(req, opts(0));
    expect(r.status).toBe('connect');
    expect(r.retries).toBe(0);
    expect(requests).toBe(1);
  });
});
