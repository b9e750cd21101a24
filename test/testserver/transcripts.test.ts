// One recorded byte stream per profile (test/fixtures/transcripts), parsed to the record it must give, and the stand-in
// held to it: a profile that drifts from the reviewed shape fails here before it can make the client tests lie.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startTestServer, TEST_PROFILES, type TestProfile } from '../../runner/lib/testserver/index.ts';
import { replay } from '../client/helpers.ts';

const dir = 'test/fixtures/transcripts';
const read = (name: string): string => readFileSync(`${dir}/${name}`, 'utf8');
/** The transcript's events, one network read each, 10 ms apart. */
const reads = (text: string, sep: string): Array<[number, string]> => text.split(sep).filter((e) => e.trim() !== '').map((e, i) => [10 * (i + 1), e + sep]);
const normalise = (text: string): string =>
  text
    .replace(/"id":"[^"]+"/g, '"id":"chatcmpl-fixed"')
    .replace(/"created":\d+/g, '"created":1764633600')
    .replace(/"(prompt_ms|predicted_ms|prompt_per_token_ms|predicted_per_token_ms)":[0-9.e-]+/g, '"$1":0');

const MODEL: Record<string, string> = { vllm: 'openai/gpt-oss-20b', sglang: 'openai/gpt-oss-20b', ollama: 'gpt-oss:20b', llamacpp: 'gpt-oss-20b-mxfp4.gguf' };

describe.each(TEST_PROFILES)('transcript %s', (profile: TestProfile) => {
  const text = read(`${profile}.sse`);

  it('parses to the expected record: reasoning first, the first token at the first text event, the server\'s counts', () => {
    const r = replay(reads(text, '\n\n'));
    expect(r.status).toBe('ok');
    // Ollama 0.5.1 sends no usage on /v1 even when asked.
    const counts = profile === 'ollama-old' ? [null, null, 'none'] : [3, 3, 'server_usage'];
    expect([r.reasoning_text, r.output_text, r.output_tokens, r.input_tokens, r.tokens_source, r.finish_reason]).toEqual([' the', ' quick model', ...counts, 'length']);
    // Profiles with a role chunk have their first text at the second event.
    const firstText = text.split('\n\n').findIndex((e) => /"(reasoning|reasoning_content)":" the"/.test(e));
    expect(r.t_first_token).toBe(10 * (firstText + 1));
    if (profile.startsWith('llamacpp')) expect(r.server_timings).toMatchObject({ prompt_n: 3, predicted_n: 3, prompt_ms: 41.5, predicted_ms: 20.2 });
    else expect(r.server_timings).toBeNull();
  });

  it('the stand-in still writes exactly this shape', async () => {
    const s = await startTestServer({ profile, behaviour: { reasoningTokens: 1 } });
    try {
      const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL[profile.split('-')[0]!], messages: [{ role: 'user', content: 'one two three' }], stream: true, max_tokens: 3, stream_options: { include_usage: true } }) });
      expect(normalise(await res.text())).toBe(normalise(text));
    } finally {
      await s.close();
    }
  });
});

describe('transcript ollama-native (NDJSON)', () => {
  it('parses to the expected record with the server\'s own durations', () => {
    const r = replay(reads(read('ollama-native.ndjson'), '\n'), { protocol: 'ollama-chat' });
    expect([r.status, r.reasoning_text, r.output_text, r.output_tokens, r.input_tokens, r.tokens_source]).toEqual(['ok', ' the', ' quick model', 3, 3, 'server_native']);
    expect(r.server_timings).toEqual({ total_duration: 61000000, load_duration: 1000000, prompt_eval_duration: 40000000, eval_duration: 20000000 });
  });
});
