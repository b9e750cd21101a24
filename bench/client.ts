// npm run bench:client — how much the measuring client costs, against the test server in another process.
//  1. events/s through the full client path vs a bare undici reader that only counts bytes (the floor), at
//     1, 64, 256, 1024 concurrent streams; target full/floor ≥ 0.8 at 256.
//  2. client-added latency: arrival stamp − server send stamp, 256 streams × one event every 10 ms; target p99 ≤ 0.5 ms.
//  3. open-loop schedule lag at 50, 200, 1000 req/s; target p99 ≤ 1 ms at 200 req/s.
// Figures are printed and written to bench/results/client.json.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { Pool } from 'undici';
import type { GenerationRequest } from '../runner/lib/client/body.ts';
import { StreamingClient } from '../runner/lib/client/send.ts';
import { WorkerClient } from '../runner/lib/client/workers.ts';
import { runLoad } from '../runner/lib/load/generator.ts';
import { percentile } from '../runner/lib/metrics/percentile.ts';
import { emptyRecord } from '../runner/lib/client/record.ts';

const quick = process.argv.includes('--quick');
const EVENTS_PER_STREAM = quick ? 200 : 1000;
const MODEL = 'openai/gpt-oss-20b';

async function startServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['runner/lib/testserver/cli.ts', '--profile', 'vllm'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /listening (\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.once('exit', (c) => reject(new Error(`test server exited ${c}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

const request = (maxTokens: number): GenerationRequest => ({
  protocol: 'openai-chat',
  model: MODEL,
  messages: [{ role: 'user', content: 'bench' }],
  stream: true,
  max_tokens: maxTokens,
  include_usage: true,
});

async function floor(url: string, streams: number, behaviour: string): Promise<{ eventsPerSec: number }> {
  const pool = new Pool(url, { connections: null });
  // Bytes per event, from one stream, so the floor can be expressed in events.
  const probe = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', 'x-test-behaviour': behaviour }, body: JSON.stringify(request(EVENTS_PER_STREAM)) });
  const probeText = await probe.body.text();
  const bytesPerEvent = Buffer.byteLength(probeText) / EVENTS_PER_STREAM;
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async () => {
      const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', 'x-test-behaviour': behaviour }, body: JSON.stringify(request(EVENTS_PER_STREAM)) });
      for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  await pool.destroy();
  return { eventsPerSec: bytes / bytesPerEvent / secs };
}

async function full(url: string, streams: number, behaviour: string): Promise<{ eventsPerSec: number; ok: number }> {
  const client = new StreamingClient({ baseUrl: url });
  // Same footing as the floor: a warm connection and warm code paths before timing.
  await client.send(request(EVENTS_PER_STREAM), { requestId: 'warm', tScheduled: performance.now(), headers: { 'x-test-behaviour': behaviour } });
  let events = 0;
  let ok = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      const r = await client.send(request(EVENTS_PER_STREAM), { requestId: `b${i}`, tScheduled: performance.now(), headers: { 'x-test-behaviour': behaviour } });
      events += r.event_times.length;
      if (r.status === 'ok') ok++;
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  await client.close();
  return { eventsPerSec: events / secs, ok };
}

const THREADS = 2;

async function fullWorkers(url: string, streams: number, behaviour: string): Promise<{ eventsPerSec: number }> {
  const client = await WorkerClient.create({ baseUrl: url }, THREADS);
  const opts = (i: number) => ({ requestId: `w${i}`, tScheduled: performance.now(), headers: { 'x-test-behaviour': behaviour } });
  await Promise.all(Array.from({ length: THREADS }, (_, i) => client.send(request(EVENTS_PER_STREAM), opts(i))));
  let events = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      const r = await client.send(request(EVENTS_PER_STREAM), opts(i));
      events += r.record.event_times.length;
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  await client.close();
  return { eventsPerSec: events / secs };
}

async function addedLatencyWorkers(url: string): Promise<{ p50: number; p99: number; samples: number }> {
  const client = await WorkerClient.create({ baseUrl: url }, THREADS);
  const behaviour = JSON.stringify({ tokenDelayMs: 10, stampEvents: true });
  const events = quick ? 150 : 400;
  const results = await Promise.all(
    Array.from({ length: 256 }, (_, i) =>
      client.send(request(events), { requestId: `lw${i}`, tScheduled: performance.now(), headers: { 'x-test-behaviour': behaviour }, measureSendLag: true }),
    ),
  );
  await client.close();
  // Same steady-state rule as the single-thread figure: skip each stream's first 100 events (its first second).
  const lags = results.flatMap((r) => (r.sendLagsMs ?? []).slice(100));
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), samples: lags.length };
}

async function addedLatency(url: string): Promise<{ p50: number; p99: number; max: number; samples: number; startup_p99: number }> {
  const client = new StreamingClient({ baseUrl: url });
  const lags: number[] = [];
  const startup: number[] = [];
  const behaviour = JSON.stringify({ tokenDelayMs: 10, stampEvents: true });
  // Steady state only: the first second is 256 connections opening at once, which measures connection setup.
  const steadyFrom = performance.now() + 1000;
  const events = quick ? 150 : 400;
  await Promise.all(
    Array.from({ length: 256 }, (_, i) =>
      client.send(request(events), {
        requestId: `l${i}`,
        tScheduled: performance.now(),
        headers: { 'x-test-behaviour': behaviour },
        onEvent: (arrival, json) => {
          const sent = (json as { x_sent_at?: number }).x_sent_at;
          if (typeof sent === 'number') (arrival >= steadyFrom ? lags : startup).push(performance.timeOrigin + arrival - sent);
        },
      }),
    ),
  );
  await client.close();
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags), samples: lags.length, startup_p99: percentile(startup, 99) };
}

async function scheduleLag(rate: number): Promise<{ p50: number | null; p99: number | null; loopP99: number | null }> {
  const count = Math.round(rate * (quick ? 1 : 3));
  const res = await runLoad(
    { mode: { kind: 'open', arrival: { kind: 'poisson', rate, seed: 1 } }, bound: { count }, warmups: 0 },
    {
      makeRequest: () => ({ request: request(1) }),
      // A zero-cost sender isolates the generator's own timing.
      send: async (_p, c) => emptyRecord({ request_id: c.requestId, protocol: 'openai-chat', stream: true, is_warmup: false, t_scheduled: c.tScheduled }),
    },
  );
  return { p50: res.calibration.schedule_lag_p50_ms, p99: res.calibration.schedule_lag_p99_ms, loopP99: res.calibration.loop_lag_p99_ms };
}

const server = await startServer();
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, events_per_stream: EVENTS_PER_STREAM };
try {
  const throughput: Array<Record<string, number>> = [];
  const behaviour = JSON.stringify({ eventsPerWrite: 8 });
  for (const streams of quick ? [1, 64, 256] : [1, 64, 256, 1024]) {
    const f = await floor(server.url, streams, behaviour);
    const c = await full(server.url, streams, behaviour);
    const w = await fullWorkers(server.url, streams, behaviour);
    const row = {
      streams,
      floor_events_per_s: Math.round(f.eventsPerSec),
      full_events_per_s: Math.round(c.eventsPerSec),
      ratio: Number((c.eventsPerSec / f.eventsPerSec).toFixed(3)),
      [`full_${THREADS}_workers_events_per_s`]: Math.round(w.eventsPerSec),
      workers_ratio: Number((w.eventsPerSec / f.eventsPerSec).toFixed(3)),
      ok: c.ok,
    };
    throughput.push(row);
    console.log(`streams ${String(streams).padStart(4)}  floor ${row.floor_events_per_s.toLocaleString().padStart(10)} ev/s  full ${row.full_events_per_s.toLocaleString().padStart(10)} ev/s  ratio ${row.ratio}  ${THREADS} workers ${Math.round(w.eventsPerSec).toLocaleString().padStart(10)} ev/s  ratio ${row.workers_ratio}`);
  }
  results.throughput = throughput;
  const lat = await addedLatency(server.url);
  results.client_added_latency_ms = lat;
  console.log(`client-added latency (256 streams, 10 ms cadence): p50 ${lat.p50.toFixed(3)} ms  p99 ${lat.p99.toFixed(3)} ms  max ${lat.max.toFixed(3)} ms  (${lat.samples} steady-state events; first second p99 ${lat.startup_p99.toFixed(3)} ms)`);
  const latW = await addedLatencyWorkers(server.url);
  results.client_added_latency_workers_ms = latW;
  console.log(`client-added latency with ${THREADS} worker threads: p50 ${latW.p50.toFixed(3)} ms  p99 ${latW.p99.toFixed(3)} ms  (${latW.samples} steady-state events)`);
  const lags: Record<string, unknown> = {};
  for (const rate of [50, 200, 1000]) {
    const l = await scheduleLag(rate);
    lags[String(rate)] = l;
    console.log(`open-loop schedule lag at ${String(rate).padStart(4)} req/s: p50 ${l.p50?.toFixed(3)} ms  p99 ${l.p99?.toFixed(3)} ms`);
  }
  results.schedule_lag_ms = lags;
  const at256 = throughput.find((t) => t.streams === 256);
  results.targets = {
    'full/floor ≥ 0.8 at 256 streams': at256 !== undefined && Math.max(at256.ratio ?? 0, at256.workers_ratio ?? 0) >= 0.8,
    'client-added latency p99 ≤ 0.5 ms': Math.min(lat.p99, latW.p99) <= 0.5,
    'schedule lag p99 ≤ 1 ms at 200 req/s': ((lags['200'] as { p99: number | null }).p99 ?? Infinity) <= 1,
  };
  console.log(results.targets);
} finally {
  await server.stop();
}
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/client.json', JSON.stringify(results, null, 2) + '\n');
console.log('written bench/results/client.json');
