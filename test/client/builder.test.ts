// docs/metrics.md's pitfalls, at the parsing layer: each test fails on the naive implementation named in it.
import { describe, expect, it } from 'vitest';
import { chat, DONE, replay, sse, usageChunk } from './helpers.ts';

describe('first and last token', () => {
  it('pitfall 1: a role-only first chunk is not the first token', () => {
    const r = replay([
      [10, chat({ role: 'assistant', content: '' })],
      [50, chat({ content: 'Hi' })],
      [60, chat({ content: '!' }, 'stop')],
      [70, usageChunk(5, 2)],
      [71, DONE],
    ]);
    // Naive: TTFT at the first event (10).
    expect(r.t_first_token).toBe(50);
    expect(r.status).toBe('ok');
  });

  it('pitfall 8: reasoning is the first token and counted once in output tokens', () => {
    const r = replay([
      [5, chat({ role: 'assistant', content: '' })],
      [20, chat({ reasoning: 'think' })],
      [30, chat({ reasoning_content: 'more' })],
      [90, chat({ content: 'answer' })],
      [95, chat({}, 'stop')],
      [96, usageChunk(4, 3)],
      [97, DONE],
    ], { countTokens: (s) => (s === '' ? 0 : s.split(/\s+/).length) });
    // Naive: first token at the content (90), i.e. the end of the thinking phase.
    expect(r.t_first_token).toBe(20);
    expect(r.reasoning_text).toBe('thinkmore');
    expect(r.output_tokens).toBe(3);
    expect(r.event_times).toEqual([20, 30, 90]);
  });

  it('pitfall 10: the last token is the last text event, not the usage chunk or [DONE]', () => {
    const r = replay([
      [10, chat({ content: 'a' })],
      [20, chat({ content: 'b' })],
      [30, chat({}, 'length')],
      [400, usageChunk(3, 2)],
      [500, DONE],
    ]);
    expect(r.t_last_token).toBe(20);
    expect(r.t_done).toBe(500);
    expect(r.finish_reason).toBe('length');
  });

  it('counts a tool call delta as a token and ignores empty deltas', () => {
    const r = replay([
      [10, chat({ content: '' })],
      [15, chat({ tool_calls: [{ index: 0, function: { name: 'f' } }] })],
      [20, chat({}, 'tool_calls')],
      [21, DONE],
    ]);
    expect(r.t_first_token).toBe(15);
  });
});

describe('token counts', () => {
  it('pitfall 6: output tokens come from the server usage, and a disagreeing client count is flagged', () => {
    const r = replay([
      [10, chat({ content: 'one two three' })],
      [20, chat({}, 'stop')],
      [21, usageChunk(7, 40)],
      [22, DONE],
    ], { countTokens: (s) => s.split(/\s+/).filter(Boolean).length });
    expect(r.output_tokens).toBe(40);
    expect(r.input_tokens).toBe(7);
    expect(r.tokens_source).toBe('server_usage');
    expect(r.client_output_tokens).toBe(3);
    expect(r.token_count_mismatch).toBe(true);
  });

  it('falls back to the client tokenizer only when the server reports nothing', () => {
    const r = replay([[10, chat({ content: 'one two' })], [20, chat({}, 'stop')], [21, DONE]], {
      countTokens: (s) => s.split(/\s+/).filter(Boolean).length,
    });
    expect(r.output_tokens).toBe(2);
    expect(r.tokens_source).toBe('client_tokenizer');
  });

  it('takes usage riding on the finish chunk (llama.cpp) and its cached tokens', () => {
    const r = replay([
      [10, chat({ role: 'assistant', content: null })],
      [11, chat({ content: 'x' })],
      [12, chat({}, 'stop', { usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10, prompt_tokens_details: { cached_tokens: 8 } } })],
      [13, DONE],
    ]);
    expect([r.input_tokens, r.output_tokens, r.cached_tokens]).toEqual([9, 1, 8]);
  });

  it("keeps the last usage when Ollama's /v1/completions sends zeros on every chunk", () => {
    const zero = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    const c = (text: string, finish: string | null, usage: unknown) =>
      sse({ id: 'cmpl-1', object: 'text_completion', choices: [{ index: 0, text, finish_reason: finish }], usage });
    const r = replay([
      [10, c('a', null, zero)],
      [11, c('b', null, zero)],
      [12, c('', 'length', { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 })],
      [13, DONE],
    ], { protocol: 'openai-completions' });
    expect([r.input_tokens, r.output_tokens]).toEqual([5, 2]);
    expect(r.event_tokens_known).toBe(false);
    expect(r.event_tokens).toEqual([1, 1]);
  });

  it('pitfall 2 (parsing side): continuous usage gives the tokens each event carried', () => {
    const u = (n: number) => ({ usage: { prompt_tokens: 3, completion_tokens: n, total_tokens: 3 + n } });
    const r = replay([
      [10, chat({ role: 'assistant', content: '' }, null, u(0))],
      [20, chat({ content: 'ab' }, null, u(2))],
      [30, chat({ content: 'cde' }, null, u(5))],
      [40, chat({ content: 'f' }, 'length', u(6))],
      [41, usageChunk(3, 6)],
      [42, DONE],
    ]);
    expect(r.event_tokens_known).toBe(true);
    expect(r.event_tokens).toEqual([2, 3, 1]);
    expect(r.output_tokens).toBe(6);
  });

  it('several events in one read share its stamp and the read is counted', () => {
    const r = replay([
      [10, chat({ content: 'a' }) + chat({ content: 'b' }) + chat({ content: 'c' })],
      [20, chat({ content: 'd' }, 'stop') + usageChunk(1, 4) + DONE],
    ]);
    expect(r.event_times).toEqual([10, 10, 10, 20]);
    expect(r.multi_event_reads).toBe(1);
    expect(r.status).toBe('ok');
  });
});

describe('pitfall 7: failures inside a 200 stream', () => {
  it('an error object mid-stream is stream_error_event, not ok', () => {
    const r = replay([
      [10, chat({ content: 'a' })],
      [20, sse({ error: { message: 'engine died', type: 'InternalServerError', code: 500 } })],
      [21, DONE],
    ]);
    expect(r.status).toBe('stream_error_event');
    expect(r.error_message).toBe('engine died');
  });

  it("the flat (older vLLM / SGLang) error shape and llama.cpp's `error:` line are errors too", () => {
    const flat = replay([[10, chat({ content: 'a' })], [11, sse({ object: 'error', message: 'flat', type: 'x', code: 400 })], [12, DONE]]);
    expect([flat.status, flat.error_message]).toEqual(['stream_error_event', 'flat']);
    const old = replay([[10, chat({ content: 'a' })], [11, 'error: {"message":"old"}\n\n']]);
    expect(old.status).toBe('stream_error_event');
  });

  it('a stream cut before [DONE] is stream_truncated', () => {
    const r = replay([[10, chat({ content: 'a' })], [20, chat({ content: 'b' })]]);
    expect(r.status).toBe('stream_truncated');
    expect(r.event_times).toEqual([10, 20]);
  });

  it('malformed JSON is an error, not silently skipped', () => {
    const r = replay([[10, chat({ content: 'a' })], [11, 'data: {"choices":[{\n\n'], [12, chat({ content: 'b' }, 'stop')], [13, DONE]]);
    expect(r.status).toBe('stream_error_event');
    expect(r.error_message).toMatch(/malformed/);
  });

  it('a complete stream with no text at all is empty_output', () => {
    const r = replay([[10, chat({ role: 'assistant', content: '' })], [11, chat({}, 'stop')], [12, usageChunk(3, 0)], [13, DONE]]);
    expect(r.status).toBe('empty_output');
  });

  it("tokens the server generated but whose text never reached the client (held-back UTF-8) are counted, not empty_output", () => {
    // The reference model and llama.cpp hold back an incomplete UTF-8 sequence; with max_tokens 1 nothing is sent.
    const r = replay([[10, chat({ role: 'assistant', content: '' })], [11, chat({}, 'length')], [12, usageChunk(3, 1)], [13, DONE]]);
    expect(r.status).toBe('ok');
    expect(r.output_tokens).toBe(1);
    expect(r.tokens_source).toBe('server_usage');
    expect(r.t_first_token).toBeNull();
  });
});

describe('Ollama native NDJSON', () => {
  const line = (o: unknown) => JSON.stringify(o) + '\n';
  const msg = (content: string, extra: Record<string, unknown> = {}) =>
    line({ model: 'gpt-oss:20b', created_at: 't', message: { role: 'assistant', content, ...extra }, done: false });
  const final = (prompt: number, evalCount: number) =>
    line({ model: 'gpt-oss:20b', created_at: 't', message: { role: 'assistant', content: '' }, done: true, done_reason: 'length', total_duration: 5e8, prompt_eval_count: prompt, eval_count: evalCount, eval_duration: 4e8 });

  it('thinking is a token, counts come from the final line (server_native)', () => {
    const r = replay([[10, msg('', { thinking: 'hm' })], [20, msg('Hi')], [30, final(12, 2)]], { protocol: 'ollama-chat' });
    expect(r.t_first_token).toBe(10);
    expect([r.input_tokens, r.output_tokens, r.tokens_source]).toEqual([12, 2, 'server_native']);
    expect(r.finish_reason).toBe('length');
    expect(r.server_timings?.eval_duration).toBe(4e8);
    expect(r.status).toBe('ok');
  });

  it('silent num_ctx truncation: fewer prompt tokens than sent is context_truncated', () => {
    const r = replay([[10, msg('x')], [30, final(2048, 1)]], { protocol: 'ollama-chat', expectedInputTokens: 4096 });
    expect(r.status).toBe('context_truncated');
    expect(r.error_message).toContain('2048');
  });

  it('a stream without the done line is truncated; /api/generate uses `response`', () => {
    const gen = (response: string) => line({ model: 'm', created_at: 't', response, done: false });
    const r = replay([[10, gen('a')], [20, gen('b')]], { protocol: 'ollama-generate' });
    expect(r.status).toBe('stream_truncated');
    expect(r.output_text).toBe('ab');
  });

  it("the native error line `{\"error\": …}` is a stream error", () => {
    const r = replay([[10, msg('a')], [20, line({ error: 'model runner crashed' })]], { protocol: 'ollama-chat' });
    expect([r.status, r.error_message]).toEqual(['stream_error_event', 'model runner crashed']);
  });
});
