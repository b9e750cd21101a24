// The client against every framework profile: same request, same record, whatever the bytes looked like.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationRequest } from '../../runner/lib/client/body.ts';
import { StreamingClient } from '../../runner/lib/client/send.ts';
import { deriveRequestMetrics } from '../../runner/lib/metrics/request.ts';
import { stampScanner } from '../../runner/lib/testserver/stamps.ts';
import { startTestServer, TEST_PROFILES, type TestServer, type TestProfile, familyOf } from '../../runner/lib/testserver/index.ts';

const servers = new Map<TestProfile, { server: TestServer; client: StreamingClient; model: string }>();
beforeAll(async () => {
  for (const profile of TEST_PROFILES) {
    const server = await startTestServer({ profile });
    servers.set(profile, { server, client: new StreamingClient({ baseUrl: server.url }), model: familyOf(profile) === 'ollama' ? 'gpt-oss:20b' : familyOf(profile) === 'llamacpp' ? 'gpt-oss-20b-mxfp4.gguf' : 'openai/gpt-oss-20b' });
  }
});
afterAll(async () => {
  for (const { server, client } of servers.values()) {
    await client.close();
    await server.close();
  }
});

function send(profile: TestProfile, over: Partial<GenerationRequest> = {}, behaviour: Record<string, unknown> = {}, timeoutMs?: number) {
  const s = servers.get(profile)!;
  return s.client.send(
    { protocol: 'openai-chat', model: s.model, messages: [{ role: 'user', content: 'one two three four' }], stream: true, max_tokens: 6, include_usage: true, ...over },
    { requestId: 'x', tScheduled: performance.now(), headers: { 'x-test-behaviour': JSON.stringify(behaviour) }, ...(timeoutMs ? { timeoutMs } : {}) },
  );
}

const raw = async (url: string, body: unknown, behaviour: Record<string, unknown> = {}) =>
  (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-behaviour': JSON.stringify(behaviour) }, body: JSON.stringify(body) })).text();

describe.each(TEST_PROFILES)('profile %s', (profile) => {
  it('chat stream → the same record as every other profile', async () => {
    const r = await send(profile, {}, { reasoningTokens: 2 });
    expect(r.status).toBe('ok');
    // Ollama before 0.5.2 ignores include_usage on /v1: no server counts at all (the sweep then counts on the client).
    expect([r.input_tokens, r.output_tokens, r.tokens_source, r.finish_reason]).toEqual(profile === 'ollama-old' ? [null, null, 'none', 'length'] : [4, 6, 'server_usage', 'length']);
    expect(r.event_times).toHaveLength(6);
    expect(r.reasoning_text).toBe(' the quick');
    expect(r.output_text).toBe(' model answers with plain');
  });

  it('completions stream and sync chat agree', async () => {
    const c = await send(profile, { protocol: 'openai-completions', prompt: 'a b c' });
    expect([c.status, c.input_tokens, c.output_tokens, c.event_times.length]).toEqual(profile === 'ollama-old' ? ['ok', null, null, 6] : ['ok', 3, 6, 6]);
    const s = await send(profile, { stream: false });
    expect([s.status, s.output_tokens, s.output_text]).toEqual(['ok', 6, ' the quick model answers with plain']);
  });

  it('a mid-stream error is stream_error_event; a cut stream is stream_truncated; malformed JSON is an error', async () => {
    expect((await send(profile, {}, { errorAfterEvents: 2 })).status).toBe('stream_error_event');
    expect((await send(profile, {}, { truncateAfterEvents: 2 })).status).toBe('stream_truncated');
    expect((await send(profile, {}, { malformedAfterEvents: 2 })).status).toBe('stream_error_event');
  });

  it('HTTP failures in the profile’s error shape keep their message', async () => {
    const r = await send(profile, {}, { failStatus: 503 });
    expect(r.status).toBe('http_503_busy');
    expect(r.error_message).toMatch(/busy|Unavailable/);
    const nf = await send(profile, { model: 'nope' });
    expect(nf.status).toBe('http_4xx');
    expect(nf.http_status).toBe(404);
    expect(nf.error_message).toContain('nope');
  });

  it('a stall ends as timeout', async () => {
    const r = await send(profile, {}, { stallAfterEvents: 1 }, 200);
    expect(r.status).toBe('timeout');
  });
});

describe('byte shapes (docs/wire.md)', () => {
  const url = (p: TestProfile, path = '/v1/chat/completions') => servers.get(p)!.server.url + path;
  const body = (p: TestProfile, extra = {}) => ({ model: servers.get(p)!.model, messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 2, stream_options: { include_usage: true }, ...extra });
  const events = (text: string) => text.split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));

  it('vLLM: role chunk, finish on the last token chunk, usage chunk with choices [], [DONE]', async () => {
    const ev = events(await raw(url('vllm'), body('vllm')));
    expect(JSON.parse(ev[0]!).choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(JSON.parse(ev[2]!).choices[0].finish_reason).toBe('length');
    expect(JSON.parse(ev[3]!)).toMatchObject({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } });
    expect(ev.at(-1)).toBe('[DONE]');
  });

  it('vLLM rejects stream_options without stream; continuous usage rides on every chunk', async () => {
    const bad = await fetch(url('vllm'), { method: 'POST', body: JSON.stringify(body('vllm', { stream: false })) });
    expect(bad.status).toBe(400);
    const ev = events(await raw(url('vllm'), body('vllm', { stream_options: { include_usage: true, continuous_usage_stats: true } })));
    expect(JSON.parse(ev[1]!).usage.completion_tokens).toBe(1);
  });

  it('SGLang old: every key with nulls, separate finish chunk, matched_stop', async () => {
    const ev = events(await raw(url('sglang-old'), body('sglang-old')));
    expect(JSON.parse(ev[1]!).choices[0].delta).toEqual({ role: null, content: ' the', reasoning_content: null, tool_calls: null });
    const fin = JSON.parse(ev[3]!);
    expect(fin.choices[0]).toMatchObject({ finish_reason: 'length', matched_stop: null });
    expect(fin.usage).toBeNull();
  });

  it('Ollama: colliding ids cycle below 999; old deltas all carry the role; zero usage per chunk on /v1/completions', async () => {
    const ev = events(await raw(url('ollama-old'), body('ollama-old')));
    expect(JSON.parse(ev[0]!).choices[0].delta).toEqual({ role: 'assistant', content: ' the' });
    expect(JSON.parse(ev[0]!).id).toMatch(/^chatcmpl-\d{1,3}$/);
    const c = events(await raw(url('ollama-new', '/v1/completions'), { model: 'gpt-oss:20b', prompt: 'x y', stream: true, max_tokens: 2, stream_options: { include_usage: true } }));
    expect(JSON.parse(c[0]!).usage).toEqual({ prompt_tokens: 0, total_tokens: 0, completion_tokens: 0 });
    expect(JSON.parse(c[2]!).usage.completion_tokens).toBe(2);
  });

  it('Ollama native: final line with nanosecond durations; silent num_ctx truncation; preload → done_reason load', async () => {
    const lines = (await raw(url('ollama-new', '/api/chat'), { model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'a b c d e f' }], options: { num_predict: 2, num_ctx: 3 } })).trim().split('\n').map((l) => JSON.parse(l));
    const last = lines.at(-1);
    expect(last).toMatchObject({ done: true, done_reason: 'length', prompt_eval_count: 3, eval_count: 2 });
    expect(last.load_duration).toBeUndefined(); // zero fields are omitted
    const preload = JSON.parse(await raw(url('ollama-new', '/api/generate'), { model: 'gpt-oss:20b' }));
    expect(preload.done_reason).toBe('load');
  });

  it('llama.cpp b4748 (old): usage and timings ride on the finish chunk, always; errors are an SSE `error:` line then [DONE]', async () => {
    const ev = events(await raw(url('llamacpp-old'), { ...body('llamacpp-old'), stream_options: undefined }));
    expect(JSON.parse(ev[0]!).choices[0].delta).toEqual({ content: ' the' });
    const fin = JSON.parse(ev.at(-2)!);
    expect(fin.choices[0].finish_reason).toBe('length');
    expect(fin.usage.completion_tokens).toBe(2);
    expect(fin.timings.predicted_n).toBe(2);
    expect(ev.at(-1)).toBe('[DONE]');
    const err = await raw(url('llamacpp-old'), body('llamacpp-old'), { errorAfterEvents: 1 });
    expect(err).toMatch(/\nerror: \{.*\n\ndata: \[DONE\]\n\n$/s);
  });

  it('llama.cpp current: a role chunk, usage on its own chunk only when asked, timings on the last event; errors end without [DONE]', async () => {
    const ev = events(await raw(url('llamacpp-new'), body('llamacpp-new')));
    expect(JSON.parse(ev[0]!).choices[0].delta).toEqual({ role: 'assistant', content: null });
    const fin = JSON.parse(ev.at(-3)!);
    expect(fin.choices[0].finish_reason).toBe('length');
    expect(fin.usage).toBeUndefined();
    const use = JSON.parse(ev.at(-2)!);
    expect(use.choices).toEqual([]);
    expect(use.usage.completion_tokens).toBe(2);
    expect(use.timings.predicted_n).toBe(2);
    const plain = events(await raw(url('llamacpp-new'), { ...body('llamacpp-new'), stream_options: undefined }));
    expect(plain.some((e) => e !== '[DONE]' && JSON.parse(e).usage !== undefined)).toBe(false);
    expect(JSON.parse(plain.at(-2)!).timings.predicted_n).toBe(2);
    const err = await raw(url('llamacpp-new'), body('llamacpp-new'), { errorAfterEvents: 1 });
    expect(err).toMatch(/data: \{"error":\{"code":500/);
    expect(err).not.toMatch(/\[DONE\]/);
  });

  it('SGLang mid-stream errors are the flat error nested under "error", then [DONE]; Ollama /v1 ends on a blank chunk without [DONE]', async () => {
    const sg = await raw(url('sglang-new'), body('sglang-new'), { errorAfterEvents: 1 });
    expect(sg).toMatch(/data: \{"error":\{"object":"error","message":"engine failure/);
    expect(sg).toMatch(/data: \[DONE\]\n\n$/);
    const ol = await raw(url('ollama-new', '/v1/chat/completions'), body('ollama-new'), { errorAfterEvents: 1 });
    const last = events(ol).at(-1)!;
    expect(JSON.parse(last).choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null });
    expect(ol).not.toMatch(/\[DONE\]/);
  });

  it('events carry their server send time when asked, outside the event so its bytes stay the profile\'s', async () => {
    const plain = events(await raw(url('vllm'), body('vllm')));
    const text = await raw(url('vllm'), body('vllm'), { stampEvents: true });
    const stamps: number[] = [];
    stampScanner((sent) => stamps.push(sent))(text, 0);
    expect(stamps).toHaveLength(plain.length - 1); // every event but [DONE]
    for (const t of stamps) expect(Math.abs(t - Date.now())).toBeLessThan(5000);
    // Stamps are SSE comments: without them the stream is the unstamped one, ids and times aside.
    const unstamped = events(text.replace(/^: x_sent_at=[0-9.]+\n/gm, ''));
    const shape = (e: string) => e.replace(/chatcmpl-[0-9a-f]+/, 'ID').replace(/"created":\d+/, '');
    expect(unstamped.map(shape)).toEqual(plain.map(shape));
    // NDJSON has no comments: the stamp is a field of each line.
    const nd = await raw(url('ollama-new', '/api/chat'), { model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'a b' }], options: { num_predict: 2 } }, { stampEvents: true });
    const ndStamps: number[] = [];
    stampScanner((sent) => ndStamps.push(sent))(nd, 0);
    expect(ndStamps.length).toBe(nd.trim().split('\n').length);
  });

  it('finds stamps split across reads, once each', () => {
    const text = ': x_sent_at=1700000000123.25\ndata: {}\n\n: x_sent_at=1700000000124.5\ndata: {"x_sent_at":1700000000125}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const got: Array<[number, number]> = [];
      const scan = stampScanner((sent, arrival) => got.push([sent, arrival]));
      scan(text.slice(0, cut), 1);
      scan(text.slice(cut), 2);
      expect(got.map(([s]) => s), `cut at ${cut}`).toEqual([1700000000123.25, 1700000000124.5, 1700000000125]);
    }
  });

  it('event k leaves at first + k × tokenDelayMs: the cadence does not drift by each write\'s cost', async () => {
    const text = await raw(url('vllm'), { ...body('vllm'), max_tokens: 100 }, { tokenDelayMs: 2, stampEvents: true });
    // Token events only: each stamp line is followed by its event.
    const tokens = [...text.matchAll(/^: x_sent_at=([0-9.]+)\ndata: (.*)$/gm)]
      .filter((m) => ((JSON.parse(m[2]!) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '') !== '')
      .map((m) => Number(m[1]));
    expect(tokens).toHaveLength(100);
    const span = tokens.at(-1)! - tokens[0]!;
    // 99 gaps of 2 ms; relative sleeps would add at least their timer rounding and write cost to every gap.
    expect(span).toBeGreaterThanOrEqual(195); // a Node timer can fire up to 1 ms early (its start is the cached loop time)
    expect(span).toBeLessThan(198 + 25);
  });
});

describe('timing follows injected delays', () => {
  it('TTFT, TPOT and E2E', async () => {
    const r = await send('vllm', { max_tokens: 5 }, { ttftMs: 150, tokenDelayMs: 40 });
    const m = deriveRequestMetrics(r);
    expect(m.ttft_ms!).toBeGreaterThanOrEqual(145);
    expect(m.ttft_ms!).toBeLessThan(450);
    expect(m.tpot_ms!).toBeGreaterThanOrEqual(38);
    expect(m.tpot_ms!).toBeLessThan(120);
    expect(m.e2e_ms!).toBeGreaterThanOrEqual(150 + 4 * 38);
  });

  it('several events per write share a read (multi_event_reads) and tokens per event split ITL', async () => {
    const r = await send('vllm', { max_tokens: 12, continuous_usage: true }, { tokensPerEvent: 3, eventsPerWrite: 4 });
    expect(r.event_tokens).toEqual([3, 3, 3, 3]);
    expect(r.multi_event_reads).toBeGreaterThanOrEqual(1);
  });
});

describe('readiness and the CLI', () => {
  it('SGLang: /health 503 until ready; llama.cpp 503 body then {"status":"ok"}', async () => {
    const s = await startTestServer({ profile: 'llamacpp-new', readyAfterMs: 150 });
    try {
      const first = await fetch(s.url + '/health');
      expect(first.status).toBe(503);
      expect(await first.json()).toMatchObject({ error: { message: 'Loading model' } });
      await new Promise((r) => setTimeout(r, 200));
      expect(await (await fetch(s.url + '/health')).json()).toEqual({ status: 'ok' });
    } finally {
      await s.close();
    }
  });

  it('Ollama pays the lazy load once', async () => {
    const s = await startTestServer({ profile: 'ollama-new', loadDelayMs: 200 });
    const c = new StreamingClient({ baseUrl: s.url });
    try {
      const req = { protocol: 'ollama-chat' as const, model: 'gpt-oss:20b', messages: [{ role: 'user' as const, content: 'x' }], stream: true, max_tokens: 2 };
      const a = await c.send(req, { requestId: 'a', tScheduled: performance.now() });
      const b = await c.send(req, { requestId: 'b', tScheduled: performance.now() });
      expect(a.t_first_token! - a.t_sent).toBeGreaterThanOrEqual(190);
      expect(b.t_first_token! - b.t_sent).toBeLessThan(150);
      expect(a.server_timings?.load_duration).toBeGreaterThan(1e8);
    } finally {
      await c.close();
      await s.close();
    }
  });

  it('the CLI prints `listening <url>`, serves, and exits on SIGTERM', async () => {
    const child = spawn(process.execPath, ['runner/lib/testserver/cli.ts', '--profile', 'sglang-new'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const m = /^listening (\S+)/.exec(d.toString());
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    expect((await fetch(url + '/health')).status).toBe(200);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('/metrics names (docs/wire.md)', () => {
  it.each(['vllm', 'vllm-old', 'sglang-new', 'llamacpp-new'] as const)('%s exposes every metric its adapter charts, under the real names', async (profile) => {
    const { ADAPTERS } = await import('../../runner/lib/adapters/index.ts');
    const { parsePrometheus } = await import('../../runner/lib/monitors/prometheus.ts');
    const s = servers.get(profile)!;
    const names = new Set(parsePrometheus(await (await fetch(`${s.server.url}/metrics`)).text()).map((m) => m.name));
    const adapter = ADAPTERS[profile.split('-')[0]!]!;
    // The older vLLM family names its KV gauge differently; the adapter charts the current name.
    const wanted = Object.entries(adapter.serverMetrics ?? {}).filter(([role]) => !(profile === 'vllm-old' && role === 'kv_cache_usage')).map(([, n]) => n);
    expect(wanted.length).toBeGreaterThan(3);
    for (const n of wanted) expect(names, n).toContain(n);
    if (profile.startsWith('sglang')) expect(names).not.toContain('sglang:num_requests_running');
  });
});
