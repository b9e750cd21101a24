// The reference server with real inference on the tiny generated model.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamingClient } from '../../runner/lib/client/send.ts';
import { startReferenceServer, type ReferenceServer } from '../../runner/lib/reference/server/index.ts';

const MODEL = 'servebench-reference-tiny';
const servers: ReferenceServer[] = [];
async function start(opts: Parameters<typeof startReferenceServer>[0]): Promise<ReferenceServer> {
  const s = await startReferenceServer({ preset: 'tiny', ...opts });
  servers.push(s);
  for (let i = 0; i < 400; i++) {
    if ((await fetch(s.url + '/health')).status === 200) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('reference server never became ready');
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: MODEL, messages: [{ role: 'user', content }], max_tokens: 12, temperature: 0, ...extra });
function events(text: string): Array<Record<string, any>> {
  return text.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
}

describe('reference server (tiny model, real inference)', () => {
  let plain: ReferenceServer;
  beforeAll(async () => {
    plain = await start({ parallel: 1 });
  });

  it('answers /health, /v1/models and /tokenize', async () => {
    expect((await fetch(plain.url + '/health')).status).toBe(200);
    expect((await (await fetch(plain.url + '/v1/models')).json()).data[0]).toMatchObject({ id: MODEL, max_model_len: 8192 });
    const tok = await (await post(plain.url + '/tokenize', { prompt: 'hello world' })).json();
    expect(tok.count).toBe(tok.tokens.length);
    expect(tok.count).toBeGreaterThan(0);
  });

  it('greedy output is deterministic across restarts', async () => {
    const a = await (await post(plain.url + '/v1/chat/completions', chat('Tell me about kimchi', { ignore_eos: true }))).json();
    const other = await start({ parallel: 2 });
    const b = await (await post(other.url + '/v1/chat/completions', chat('Tell me about kimchi', { ignore_eos: true }))).json();
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.choices[0].message.content.length).toBeGreaterThan(0);
  });

  it('usage equals the tokens generated and the tokens the stream carried; ignore_eos reaches max_tokens exactly', async () => {
    const text = await (await post(plain.url + '/v1/chat/completions', chat('Write about rain', { max_tokens: 40, ignore_eos: true, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } }))).text();
    const ev = events(text);
    const usage = ev.at(-1)!.usage;
    expect(ev.at(-1)!.choices).toEqual([]);
    expect(usage.completion_tokens).toBe(40);
    // Token events: their running usage advances by the tokens each carried, summing to the total.
    const tokenEvents = ev.filter((e) => e.choices[0]?.delta?.content);
    const last = tokenEvents.at(-1)!.usage.completion_tokens;
    expect(last).toBe(40);
    expect(tokenEvents.length).toBeGreaterThanOrEqual(30);
    expect(ev.find((e) => e.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('length');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('the foundation client produces complete records', async () => {
    const client = new StreamingClient({ baseUrl: plain.url });
    try {
      const r = await client.send(
        { protocol: 'openai-chat', model: MODEL, messages: [{ role: 'user', content: 'Hello' }], stream: true, max_tokens: 16, ignore_eos: true, temperature: 0, include_usage: true, continuous_usage: true },
        { requestId: 'r', tScheduled: performance.now() },
      );
      expect(r.status).toBe('ok');
      expect([r.output_tokens, r.tokens_source, r.finish_reason, r.event_tokens_known]).toEqual([16, 'server_usage', 'length', true]);
      expect(r.event_tokens.reduce((a, b) => a + b, 0)).toBe(16);
      expect(r.t_first_token).not.toBeNull();
      expect(r.input_tokens).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it.each([
    ['invalid JSON', '{"model":', 400, /not valid JSON/],
    ['missing messages', { model: MODEL }, 400, /messages/],
    ['bad max_tokens', chat('x', { max_tokens: -3 }), 400, /max_tokens/],
    ['unknown model', { ...chat('x'), model: 'gpt-4' }, 404, /gpt-4/],
    ['prompt + max_tokens beyond the context', chat('x', { max_tokens: 9000 }), 400, /8192 tokens.*requested \d+ tokens.*9000 in the completion/],
    ['stream_options without stream', chat('x', { stream_options: { include_usage: true } }), 400, /stream/],
  ])('%s → %i with an OpenAI-shaped error, and the server keeps serving', async (_name, body, status, message) => {
    const res = await post(plain.url + '/v1/chat/completions', body);
    expect(res.status).toBe(status);
    const err = (await res.json()).error;
    expect(err.message).toMatch(message);
    expect(err).toHaveProperty('type');
    expect((await post(plain.url + '/v1/chat/completions', chat('still there?'))).status).toBe(200);
  });

  it('a client that disconnects mid-stream frees its sequence at once', async () => {
    const ac = new AbortController();
    const res = await post(plain.url + '/v1/chat/completions', chat('long', { max_tokens: 2000, ignore_eos: true, stream: true }));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    ac.abort();
    const t0 = performance.now();
    const next = await post(plain.url + '/v1/chat/completions', chat('after', { max_tokens: 4 }));
    expect(next.status).toBe(200);
    // Had the abandoned 2000-token generation kept the only sequence, this would wait for it.
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});

describe('scheduling', () => {
  const decodeSteps = async (url: string): Promise<number> => Number(/reference:decode_steps_total\{[^}]*\} (\d+)/.exec(await (await fetch(url + '/metrics')).text())?.[1]);

  async function overlap(parallel: number): Promise<{ firstTokens: number[]; ends: number[]; steps: number }> {
    const s = await start({ parallel });
    const steps0 = await decodeSteps(s.url);
    const client = new StreamingClient({ baseUrl: s.url });
    try {
      const rs = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          client.send(
            { protocol: 'openai-chat', model: MODEL, messages: [{ role: 'user', content: `question ${i}` }], stream: true, max_tokens: 48, ignore_eos: true, temperature: 0 },
            { requestId: `p${i}`, tScheduled: performance.now() },
          ),
        ),
      );
      return { firstTokens: rs.map((r) => r.t_first_token!), ends: rs.map((r) => r.t_last_token!), steps: (await decodeSteps(s.url)) - steps0 };
    } finally {
      await client.close();
    }
  }

  it('parallel=4 decodes four requests together; parallel=1 serves them one after another', async () => {
    const together = await overlap(4);
    // Every request had its first token before any request finished.
    expect(Math.max(...together.firstTokens)).toBeLessThan(Math.min(...together.ends));
    // In lockstep: 4 × 48 tokens in about 48 steps (a few more while the staggered prompts join), not the 64 that
    // steps of three would take.
    expect(together.steps).toBeGreaterThanOrEqual(48);
    expect(together.steps).toBeLessThanOrEqual(56);
    const serial = await overlap(1);
    const order = serial.firstTokens.map((t, i) => [t, serial.ends[i]!]).sort((a, b) => a[0]! - b[0]!);
    for (let i = 1; i < order.length; i++) expect(order[i]![0]!).toBeGreaterThanOrEqual(order[i - 1]![1]!);
    expect(serial.steps).toBeGreaterThanOrEqual(4 * 48);
  });

  it('a request arriving while the others generate is let in at once, not after they finish', async () => {
    const s = await start({ parallel: 4 });
    const client = new StreamingClient({ baseUrl: s.url });
    try {
      let generating = 0;
      let allGenerating!: () => void;
      const going = new Promise<void>((r) => (allGenerating = r));
      const firstToken = () => {
        let seen = false;
        return (_t: number, json: unknown) => {
          const content = (json as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content;
          if (!seen && typeof content === 'string' && content !== '') {
            seen = true;
            if (++generating === 3) allGenerating();
          }
        };
      };
      const long = Array.from({ length: 3 }, (_, i) =>
        client.send(
          { protocol: 'openai-chat', model: MODEL, messages: [{ role: 'user', content: `long ${i}` }], stream: true, max_tokens: 1500, ignore_eos: true, temperature: 0 },
          { requestId: `long${i}`, tScheduled: performance.now(), onEvent: firstToken() },
        ),
      );
      await going;
      const late = await client.send(
        { protocol: 'openai-chat', model: MODEL, messages: [{ role: 'user', content: 'late' }], stream: true, max_tokens: 4, ignore_eos: true, temperature: 0, include_usage: true },
        { requestId: 'late', tScheduled: performance.now() },
      );
      const ends = (await Promise.all(long)).map((r) => r.t_last_token!);
      expect(late.status).toBe('ok');
      expect(late.output_tokens).toBe(4);
      expect(late.t_last_token!).toBeLessThan(Math.min(...ends));
    } finally {
      await client.close();
    }
  });

  it('a full queue answers 503 and the server keeps serving', async () => {
    const s = await start({ parallel: 1, queueLimit: 0 });
    const long = post(s.url + '/v1/chat/completions', chat('busy', { max_tokens: 300, ignore_eos: true }));
    await new Promise((r) => setTimeout(r, 100));
    const refused = await post(s.url + '/v1/chat/completions', chat('me too'));
    expect(refused.status).toBe(503);
    expect((await refused.json()).error.message).toMatch(/busy/);
    expect((await long).status).toBe(200);
  });
});

describe('prefix cache', () => {
  const system = 'You answer questions about gardening. '.repeat(60);
  async function cachedOfSecond(prefixCache: boolean): Promise<number> {
    const s = await start({ parallel: 1, prefixCache });
    const ask = async (q: string) => {
      const text = await (await post(s.url + '/v1/chat/completions', { model: MODEL, messages: [{ role: 'system', content: system }, { role: 'user', content: q }], max_tokens: 2, stream: true, stream_options: { include_usage: true } })).text();
      return events(text).at(-1)!.usage.prompt_tokens_details.cached_tokens as number;
    };
    expect(await ask('When should I water tomatoes?')).toBe(0);
    const cached = await ask('How deep should bulbs be planted?');
    // POST /reset_prefix_cache (vLLM's endpoint) starts the next request cold.
    expect((await post(s.url + '/reset_prefix_cache', {})).status).toBe(200);
    expect(await ask('Which roses need full sun?')).toBe(0);
    return cached;
  }
  it('a second request sharing a long system prompt reports cached tokens with the cache on, none with it off', async () => {
    expect(await cachedOfSecond(true)).toBeGreaterThan(300);
    expect(await cachedOfSecond(false)).toBe(0);
  });
});

describe('standalone entry', () => {
  it('prints listening, serves, and drains on SIGTERM', async () => {
    const child = spawn(process.execPath, ['node_modules/zx/build/cli.js', 'runner/reference-server.mjs', '--preset', 'tiny', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          const m = /listening (\S+)/.exec(d.toString());
          if (m) resolve(m[1]!);
        });
        child.once('exit', (c) => reject(new Error(`exited ${c}`)));
      });
      for (let i = 0; i < 200 && (await fetch(url + '/health')).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await post(url + '/v1/completions', { model: MODEL, prompt: 'hi', max_tokens: 3 })).status).toBe(200);
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  it('refuses bad flags by name', async () => {
    const child = spawn(process.execPath, ['node_modules/zx/build/cli.js', 'runner/reference-server.mjs', '--parallel', 'zero'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toMatch(/--parallel must be an integer/);
  });
});
