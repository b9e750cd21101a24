import { describe, expect, it } from 'vitest';
import { emptyRecord, type RequestRecord } from '../../runner/lib/client/record.ts';
import { runLoad, validatePlan, type LoadPlan, type Sender } from '../../runner/lib/load/generator.ts';
import { judgeCalibration } from '../../runner/lib/load/calibration.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fake server: each request takes `ms`; tracks how many are in flight. */
function fakeSender(ms: number) {
  const state = { inFlight: 0, max: 0, sent: [] as Array<{ id: string; warm: boolean; tScheduled: number; tSent: number }> };
  const send: Sender = async (_p, ctx) => {
    state.inFlight++;
    state.max = Math.max(state.max, state.inFlight);
    const tSent = performance.now();
    state.sent.push({ id: ctx.requestId, warm: ctx.isWarmup, tScheduled: ctx.tScheduled, tSent });
    await sleep(ms);
    state.inFlight--;
    const r: RequestRecord = emptyRecord({ request_id: ctx.requestId, protocol: 'openai-chat', stream: true, is_warmup: ctx.isWarmup, t_scheduled: ctx.tScheduled });
    r.t_sent = tSent;
    r.t_done = performance.now();
    return r;
  };
  return { send, state };
}
const makeRequest = () => ({ request: { protocol: 'openai-chat' as const, model: 'm', prompt: 'p', stream: true, max_tokens: 1 } });

describe('closed loop', () => {
  it('keeps exactly N in flight, runs the count, warmups first and flagged', async () => {
    const { send, state } = fakeSender(20);
    const res = await runLoad({ mode: { kind: 'closed', concurrency: 4 }, bound: { count: 20 }, warmups: 3 }, { makeRequest, send });
    expect(res.records).toHaveLength(23);
    expect(res.records.slice(0, 3).every((r) => r.is_warmup)).toBe(true);
    expect(res.records.slice(3).every((r) => !r.is_warmup)).toBe(true);
    expect(state.sent.slice(0, 3).every((s) => s.warm)).toBe(true);
    expect(state.max).toBe(4);
    expect(new Set(res.records.map((r) => r.request_id)).size).toBe(23);
  });

  it('stops at the duration bound', async () => {
    const { send } = fakeSender(10);
    const t0 = performance.now();
    const res = await runLoad({ mode: { kind: 'closed', concurrency: 2 }, bound: { durationMs: 200 }, warmups: 0 }, { makeRequest, send });
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(200);
    expect(took).toBeLessThan(600);
    expect(res.records.length).toBeGreaterThan(10);
  });

  it('an abort stops scheduling but keeps what finished', async () => {
    const { send } = fakeSender(10);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 80);
    const res = await runLoad({ mode: { kind: 'closed', concurrency: 2 }, bound: { count: 10_000 }, warmups: 0 }, { makeRequest, send, signal: ac.signal });
    expect(res.interrupted).toBe(true);
    expect(res.records.length).toBeGreaterThan(2);
    expect(res.records.length).toBeLessThan(100);
  });
});

describe('open loop', () => {
  it('sends on schedule regardless of how slow responses are, and measures schedule lag', async () => {
    const { send, state } = fakeSender(200);
    const res = await runLoad(
      { mode: { kind: 'open', arrival: { kind: 'constant', rate: 50, seed: 1 } }, bound: { count: 10 }, warmups: 0 },
      { makeRequest, send },
    );
    // Closed-loop behaviour would serialise behind the 200 ms responses (one in flight); open loop overlaps them.
    // Not all ten: on a loaded CI machine the first may finish before the last is due.
    expect(state.max).toBeGreaterThanOrEqual(5);
    const gaps = state.sent.slice(1).map((s, i) => s.tScheduled - state.sent[i]!.tScheduled);
    for (const g of gaps) expect(g).toBeCloseTo(20, 6);
    expect(res.calibration.schedule_lag_p99_ms).not.toBeNull();
    // Generous: a correctness bound (the generator is not waiting for responses), not a speed target.
    expect(res.calibration.schedule_lag_p99_ms!).toBeLessThan(100);
  });

  it('schedule lag is t_sent − t_scheduled: time the client spends before the socket write counts', async () => {
    const send: Sender = async (_p, ctx) => {
      const end = performance.now() + 4;
      while (performance.now() < end); // building the request took 4 ms of the client's own time
      const r = emptyRecord({ request_id: ctx.requestId, protocol: 'openai-chat', stream: true, is_warmup: false, t_scheduled: ctx.tScheduled });
      r.t_sent = performance.now();
      return r;
    };
    const res = await runLoad({ mode: { kind: 'open', arrival: { kind: 'constant', rate: 20, seed: 1 } }, bound: { count: 5 }, warmups: 0 }, { makeRequest, send });
    expect(res.calibration.schedule_lag_p50_ms!).toBeGreaterThanOrEqual(4);
  });

  it('the concurrency cap holds and capped requests keep their intended time (their wait is queue time)', async () => {
    const { send, state } = fakeSender(50);
    await runLoad(
      { mode: { kind: 'open', arrival: { kind: 'constant', rate: 200, seed: 1 }, maxConcurrency: 2 }, bound: { count: 8 }, warmups: 0 },
      { makeRequest, send },
    );
    expect(state.max).toBe(2);
    const last = state.sent[state.sent.length - 1]!;
    expect(last.tSent - last.tScheduled).toBeGreaterThan(100);
  });
});

describe('calibration', () => {
  it('marks a run client_limited when event-loop or schedule lag passes its threshold', () => {
    expect(judgeCalibration({ p50: 0.1, p99: 0.5 }, [0.1, 0.2]).client_limited).toBe(false);
    const slowLoop = judgeCalibration({ p50: 1, p99: 80 }, []);
    expect(slowLoop.client_limited).toBe(true);
    expect(slowLoop.reasons[0]).toMatch(/event-loop/);
    expect(judgeCalibration({ p50: 0, p99: 0 }, Array(100).fill(12)).client_limited).toBe(true);
  });

  it('a blocked event loop during a run is detected', async () => {
    const send: Sender = async (_p, ctx) => {
      const end = performance.now() + 60;
      while (performance.now() < end); // a client that hogs its own thread
      await sleep(1);
      return emptyRecord({ request_id: ctx.requestId, protocol: 'openai-chat', stream: true, is_warmup: false, t_scheduled: ctx.tScheduled });
    };
    const res = await runLoad({ mode: { kind: 'closed', concurrency: 1 }, bound: { count: 6 }, warmups: 0 }, { makeRequest, send });
    expect(res.calibration.client_limited).toBe(true);
  });
});

describe('plan validation', () => {
  it.each<[LoadPlan, RegExp]>([
    [{ mode: { kind: 'closed', concurrency: 0 }, bound: { count: 1 }, warmups: 0 }, /concurrency/],
    [{ mode: { kind: 'closed', concurrency: 1 }, bound: {}, warmups: 0 }, /count or a duration/],
    [{ mode: { kind: 'closed', concurrency: 1 }, bound: { count: 1.5 }, warmups: 0 }, /count/],
    [{ mode: { kind: 'closed', concurrency: 1 }, bound: { count: 1 }, warmups: -1 }, /warmups/],
    [{ mode: { kind: 'open', arrival: { kind: 'poisson', rate: 1, seed: 0 }, maxConcurrency: 0 }, bound: { count: 1 }, warmups: 0 }, /max concurrency/],
  ])('rejects %j', (plan, message) => {
    expect(() => validatePlan(plan)).toThrow(message);
  });
});
