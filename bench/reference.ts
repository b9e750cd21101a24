// npm run bench:reference — what the HTTP server adds on top of the engine it wraps: tokens/s and TTFT over HTTP vs
// node-llama-cpp driven directly, default model, parallel 1 and 4. Target: the server adds ≤ 5% to the engine's time.
// Figures are printed and written to bench/results/reference.json.
// Options: --rounds=N (default 6), --tokens=N per request (256), --parallel=1,4, --tiny (the test model).
import { mkdir, writeFile } from 'node:fs/promises';
import { StreamingClient } from '../runner/lib/client/send.ts';
import { bootstrapDiff } from '../runner/lib/metrics/compare.ts';
import { median } from '../runner/lib/metrics/trials.ts';
import { ensureReferenceModel, type ModelPreset } from '../runner/lib/reference/model/index.ts';
import { chatPrompt, createLlamaEngine } from '../runner/lib/reference/server/engine.ts';
import { spawn } from 'node:child_process';

const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const preset = (process.argv.includes('--tiny') ? 'tiny' : 'default') as ModelPreset;
const OUT = Number(arg('tokens') ?? 256);
if (!Number.isInteger(OUT) || OUT < 1) throw new Error('--tokens must be an integer ≥ 1');
const PROMPTS = Array.from({ length: 4 }, (_, i) => `Question ${i}: describe how a small library changed after its renovation, in plain words, for a neighbourhood newsletter.`);

interface Figures { wall_ms: number; ttft_ms: number; tokens_per_s: number }

const ROUNDS = Number(arg('rounds') ?? 6);
const BLOCK = 3;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('--rounds must be an integer ≥ 1');
const PARALLEL = (arg('parallel') ?? '1,4').split(',').map(Number);
if (!PARALLEL.every((p) => Number.isInteger(p) && p >= 1 && p <= PROMPTS.length)) throw new Error(`--parallel: integers from 1 to ${PROMPTS.length}, comma-separated`);

type Runner = { run(): Promise<Figures>; close(): Promise<void> };

/** node-llama-cpp driven directly: the same engine module the server uses, no HTTP, no scheduler. */
async function engineRunner(parallel: number): Promise<Runner> {
  const model = await ensureReferenceModel({ preset });
  const engine = await createLlamaEngine({ modelPath: model.path, modelName: 'bench', tokenizer: model.tokenizer, parallel, contextPerSequence: 2048, threads: 1 });
  const one = async (i: number, t0: number): Promise<number> => {
    const tokens = model.tokenizer.encode(chatPrompt([{ role: 'user', content: PROMPTS[i]! }]), { specialTokens: true });
    let first = 0;
    let n = 0;
    for await (const _ of engine.sequences[i % parallel]!.generate(tokens, false, { maxTokens: OUT, ignoreEos: true, temperature: 0, seed: 1, signal: new AbortController().signal }, () => {})) {
      if (n++ === 0) first = performance.now() - t0;
    }
    return first;
  };
  return {
    async run() {
      const t0 = performance.now();
      const ttfts = await Promise.all(Array.from({ length: parallel }, (_, i) => one(i, t0)));
      const wall = performance.now() - t0;
      return { wall_ms: wall, ttft_ms: ttfts.reduce((a, b) => a + b, 0) / ttfts.length, tokens_per_s: (OUT * ttfts.length) / (wall / 1000) };
    },
    close: () => engine.dispose(),
  };
}

/** The server in its own process, as the sweep runs it, so the client's parsing does not slow the server's loop. */
async function startServerProcess(parallel: number): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['node_modules/zx/build/cli.js', 'runner/reference-server.mjs', '--preset', preset, '--port', '0', '--parallel', String(parallel), '--context-size', '2048'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /listening (\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.once('exit', (c) => reject(new Error(`reference server exited ${c}`)));
  });
  return { url, stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) };
}

async function httpRunner(parallel: number): Promise<Runner> {
  const server = await startServerProcess(parallel);
  while ((await fetch(server.url + '/health')).status !== 200) await new Promise((r) => setTimeout(r, 100));
  const modelName = `servebench-reference-${preset}`;
  const client = new StreamingClient({ baseUrl: server.url });
  const send = (i: number) =>
    client.send(
      { protocol: 'openai-chat', model: modelName, messages: [{ role: 'user', content: PROMPTS[i]! }], stream: true, max_tokens: OUT, ignore_eos: true, temperature: 0, seed: 1, include_usage: true },
      { requestId: `b${i}`, tScheduled: performance.now() },
    );
  return {
    async run() {
      const t0 = performance.now();
      const rs = await Promise.all(Array.from({ length: parallel }, (_, i) => send(i)));
      const wall = performance.now() - t0;
      if (rs.some((r) => r.status !== 'ok' || r.output_tokens !== OUT)) throw new Error(`reference server: ${rs.map((r) => `${r.status} ${r.output_tokens}`).join(', ')}`);
      return { wall_ms: wall, ttft_ms: rs.reduce((a, r) => a + (r.t_first_token! - r.t_sent), 0) / rs.length, tokens_per_s: rs.reduce((a, r) => a + (r.output_tokens ?? 0), 0) / (wall / 1000) };
    },
    async close() {
      await client.close();
      await server.stop();
    },
  };
}

const medianOf = (xs: Figures[]): Figures => ({ wall_ms: median(xs.map((x) => x.wall_ms)), ttft_ms: median(xs.map((x) => x.ttft_ms)), tokens_per_s: median(xs.map((x) => x.tokens_per_s)) });

const results: Record<string, unknown> = { date: new Date().toISOString(), preset, output_tokens: OUT, rounds: ROUNDS };
// Both stay loaded for the whole comparison and take turns, ROUNDS times; who goes first alternates; medians are
// compared. Taking turns puts a noisy moment of the machine on both sides; medians drop the outliers (node-llama-cpp
// alone stalls for 30–60 ms now and then here: a kernel thread reclaiming memory takes a core for ~50 ms every 500 ms).
for (const parallel of PARALLEL) {
  const engine = await engineRunner(parallel);
  const http = await httpRunner(parallel);
  try {
    const engines: Figures[] = [];
    const https: Figures[] = [];
    // Whichever side runs after the other is slower for a second or two on this machine (the first token alone pays
    // ~50 ms), so each side runs in blocks: one unmeasured run (which also warms it up), then BLOCK measured ones.
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ([[engine, engines], [http, https]] as const) : ([[http, https], [engine, engines]] as const);
      for (const [side, figures] of order) {
        await side.run();
        for (let b = 0; b < BLOCK; b++) figures.push(await side.run());
      }
    }
    const e = medianOf(engines);
    const h = medianOf(https);
    const overhead = h.wall_ms / e.wall_ms - 1;
    // The ratio of medians with a bootstrap 95% CI (on the log ratio): how sure the figure is on a noisy machine.
    const ci = bootstrapDiff(engines.map((x) => x.wall_ms), https.map((x) => x.wall_ms), (xs) => Math.log(median(xs)), { seed: 1 });
    const ci95 = ci === null ? null : [Math.exp(ci.lo) - 1, Math.exp(ci.hi) - 1];
    results[`parallel_${parallel}`] = { engine: e, http: h, server_overhead: overhead, server_overhead_ci95: ci95, engine_rounds: engines, http_rounds: https };
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(`parallel ${parallel}: engine ${e.tokens_per_s.toFixed(1)} tok/s, TTFT ${e.ttft_ms.toFixed(1)} ms | HTTP ${h.tokens_per_s.toFixed(1)} tok/s, TTFT ${h.ttft_ms.toFixed(1)} ms | server adds ${pct(overhead)}${ci95 ? ` (95% CI ${pct(ci95[0]!)} to ${pct(ci95[1]!)})` : ''}; target ≤ 5%`);
  } finally {
    await http.close();
    await engine.close();
  }
}
results.target_met = PARALLEL.every((p) => ((results[`parallel_${p}`] as { server_overhead: number }).server_overhead) <= 0.05);
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/reference.json', JSON.stringify(results, null, 2) + '\n');
console.log('written bench/results/reference.json');
