// The cross-check against the server's own clock and cache (docs/metrics.md): what each server's per-request timings
// mean, the per-point figures, and the flag when the client drifts from the server.
import { describe, expect, it } from 'vitest';
import { emptyRecord, type RequestRecord } from '../../runner/lib/client/record.ts';
import { aggregateRun, deriveRequestMetrics } from '../../runner/lib/metrics/index.ts';
import { cachedBeyondTemplate, serverView } from '../../runner/lib/metrics/server.ts';

let seq = 0;
/** n tokens, the first at `ttft`, then one every `tpot` ms, with the server's timings as given. */
function rec(o: { ttft: number; tpot: number; n: number; timings?: Record<string, number>; cached?: number | null; input?: number; protocol?: RequestRecord['protocol']; source?: RequestRecord['tokens_source']; mismatch?: boolean }): RequestRecord {
  const r = emptyRecord({ request_id: `r${seq++}`, protocol: o.protocol ?? 'openai-chat', stream: true, is_warmup: false, t_scheduled: 0 });
  r.t_sent = 0;
  r.event_times = Array.from({ length: o.n }, (_, i) => o.ttft + i * o.tpot);
  r.event_tokens = r.event_times.map(() => 1);
  r.t_first_token = r.event_times[0]!;
  r.t_last_token = r.event_times.at(-1)!;
  r.t_done = r.t_last_token + 1;
  r.output_tokens = o.n;
  r.input_tokens = o.input ?? 100;
  r.cached_tokens = o.cached ?? null;
  r.server_timings = o.timings ?? null;
  r.tokens_source = o.source ?? 'server_usage';
  r.token_count_mismatch = o.mismatch ?? false;
  return r;
}

describe('serverView', () => {
  it("llama.cpp: prompt_ms against TTFT, predicted_ms over predicted_n − 1 steps against TPOT, cache_n as cached", () => {
    const r = rec({ ttft: 52, tpot: 10, n: 11, timings: { prompt_n: 75, cache_n: 25, prompt_ms: 50, predicted_n: 11, predicted_ms: 99 } });
    const v = serverView(r, deriveRequestMetrics(r));
    expect(v.prompt_computed_share).toBe(0.75);
    expect(v.ttft_server_diff_ms).toBe(2);
    expect(v.tpot_server_ms).toBeCloseTo(9.9, 10);
    expect(v.tpot_server_diff_ms).toBeCloseTo(0.1, 10);
  });

  it('Ollama: durations in nanoseconds, load time is part of the server time before the first token', () => {
    const r = rec({ ttft: 300, tpot: 20, n: 5, protocol: 'ollama-chat', source: 'server_native', timings: { load_duration: 2e8, prompt_eval_duration: 9e7, eval_duration: 8e7, total_duration: 4e8 } });
    const v = serverView(r, deriveRequestMetrics(r));
    expect(v.server_load_ms).toBe(200);
    expect(v.server_prompt_ms).toBe(290);
    expect(v.ttft_server_diff_ms).toBe(10);
    expect(v.tpot_server_ms).toBe(20);
    expect(v.tpot_server_diff_ms).toBe(0);
    // prompt_eval_count includes cached tokens, so Ollama cannot say how much of the prompt it computed.
    expect(v.prompt_computed_share).toBeNull();
  });

  it('usage cached_tokens gives the computed share where there are no timings (vLLM, SGLang)', () => {
    const r = rec({ ttft: 10, tpot: 5, n: 3, cached: 96, input: 128 });
    const v = serverView(r, deriveRequestMetrics(r));
    expect(v.prompt_computed_share).toBe(0.25);
    expect(v.ttft_server_diff_ms).toBeNull();
    // A cache hit beyond the template (here 20 tokens, + one 16-token block): 96 > 36.
    expect(cachedBeyondTemplate(r, v, 20)).toBe(true);
    expect(cachedBeyondTemplate(rec({ ttft: 10, tpot: 5, n: 3, cached: 32, input: 128 }), v, 20)).toBe(false);
  });
});

describe('per point', () => {
  const llama = (tpotClient: number, ttft = 52) => rec({ ttft, tpot: tpotClient, n: 11, timings: { prompt_n: 100, cache_n: 0, prompt_ms: 50, predicted_n: 11, predicted_ms: 100 } });

  it('flags a point whose client TPOT exceeds the server\'s by more than the limit, and not one just under it', () => {
    expect(aggregateRun([llama(10.9), llama(10.9)]).cross_check.flag).toBeNull();
    const flagged = aggregateRun([llama(11.2), llama(11.2)]);
    expect(flagged.cross_check.flag).toMatch(/client TPOT exceeds the server's own by 1\.20 ms per token/);
    expect(flagged.warnings.join(' ')).toMatch(/client-limited or network-bound/);
  });

  it('a TTFT gap flags only a point sent one request at a time (elsewhere it is the server\'s own queue)', () => {
    const slow = [llama(10, 150), llama(10, 150)];
    expect(aggregateRun(slow).cross_check.flag).toBeNull();
    expect(aggregateRun(slow, { sequential: true }).cross_check.flag).toMatch(/TTFT exceeds the server's prompt time by 100\.0 ms/);
    expect(aggregateRun([llama(10, 99), llama(10, 99)], { sequential: true }).cross_check.flag).toBeNull();
  });

  it('counts retried requests and the share of cache hits beyond the template', () => {
    const a = rec({ ttft: 10, tpot: 5, n: 3, cached: 0, input: 128 });
    const b = rec({ ttft: 10, tpot: 5, n: 3, cached: 112, input: 128 });
    b.retries = 1;
    const s = aggregateRun([a, b], { templateTokens: 10 });
    expect(s.cross_check.n_retried).toBe(1);
    expect(s.cross_check.cache_hit_share).toBe(0.5);
    expect(s.cross_check.prompt_computed_share).toBeCloseTo((1 + 16 / 128) / 2, 10);
  });

  it('a client re-count that disagrees with an exact server count is no warning; a client-sourced count is', () => {
    const server = aggregateRun([rec({ ttft: 10, tpot: 5, n: 3, mismatch: true })]);
    expect(server.warnings.filter((w) => /token/.test(w))).toEqual([]);
    const client = aggregateRun([rec({ ttft: 10, tpot: 5, n: 3, source: 'client_tokenizer' })]);
    expect(client.warnings.join(' ')).toMatch(/client tokenizer/);
  });
});
