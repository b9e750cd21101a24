import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerClient } from '../../runner/lib/client/workers.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ profile: 'vllm' });
});
afterAll(async () => {
  await server.close();
});

describe('WorkerClient', () => {
  it('spreads streams over threads and returns records on the main clock', async () => {
    const client = await WorkerClient.create({ baseUrl: server.url }, 2);
    try {
      const t0 = performance.now();
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          client.send(
            { protocol: 'openai-chat', model: 'openai/gpt-oss-20b', messages: [{ role: 'user', content: 'a b' }], stream: true, max_tokens: 5, include_usage: true },
            { requestId: `w${i}`, tScheduled: performance.now(), headers: { 'x-test-behaviour': JSON.stringify({ ttftMs: 60, stampEvents: true }) }, measureSendLag: true },
          ),
        ),
      );
      const t1 = performance.now();
      for (const { record: r, sendLagsMs } of results) {
        expect(r.status).toBe('ok');
        expect(r.output_tokens).toBe(5);
        // On the main thread's clock: inside the window this thread observed, in order.
        expect(r.t_scheduled).toBeGreaterThanOrEqual(t0 - 1);
        expect(r.t_sent).toBeGreaterThanOrEqual(r.t_scheduled - 1);
        expect(r.t_first_token! - r.t_sent).toBeGreaterThanOrEqual(55);
        expect(r.t_done).toBeLessThanOrEqual(t1 + 1);
        // Every stamped event: role chunk, five token chunks, usage chunk.
        expect(sendLagsMs).toHaveLength(7);
      }
      expect(new Set(results.map((r) => r.record.request_id)).size).toBe(6);
    } finally {
      await client.close();
    }
  });

  it('rejects a bad thread count', async () => {
    await expect(WorkerClient.create({ baseUrl: server.url }, 0)).rejects.toThrow(/worker threads/);
  });
});
