// npm run bench:reference — what the HTTP server adds on top of the engine it wraps: tokens/s and TTFT over HTTP vs
// node-llama-cpp driven directly, default model, parallel 1 and 4. Target: the server adds ≤ 5% to the engine's time.
// Figures are printed and written to bench/results/reference.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { StreamingClient } from '../runner/lib/client/send.ts';
import { ensureReferenceModel, type ModelPreset } from '../runner/lib/reference/model/index.ts';
import { chatPrompt, createLlamaEngine } from '../runner/lib/reference/server/engine.ts';
import { spawn } from 'node:child_process';

const preset = (process.argv.includes('--tiny') ? 'tiny' : 'default') as ModelPreset;
const OUT = 128;
const PROMPTS = Array.from({ length: 4 }, (_, i) => `Question ${i}: describe how a small library changed after its renovation, in plain words, for a neighbourhood newsletter.`);

interface Figures { wall_ms: number; ttft_ms: number; tokens_per_s: number }

async function engineRun(parallel: number): Promise<Figures> {
  const model = await ensureReferenceModel({ preset });
  const engine = await createLlamaEngine({ modelPath: model.path, modelName: 'bench', tokenizer: model.tokenizer, parallel, contextPerSequence: 2048, threads: 1 });
  try {
    const run = async (i: number, t0: number) => {
      const tokens = model.tokenizer.encode(chatPrompt([{ role: 'user', content: PROMPTS[i]! }]), { specialTokens: true });
      let first = 0;
      let n = 0;
      for await (const _ of engine.sequences[i % parallel]!.generate(tokens, false, { maxTokens: OUT, ignoreEos: true, temperature: 0, seed: 1, signal: new AbortController().signal }, () => {})) {
        if (n++ === 0) first = performance.now() - t0;
      }
      return first;
    };
    await run(0, performance.now()); // warm
    const t0 = performance.now();
    const ttfts = parallel === 1 ? [await run(0, t0)] : await Promise.all(Array.from({ length: parallel }, (_, i) => run(i, t0)));
    const wall = performance.now() - t0;
    return { wall_ms: wall, ttft_ms: ttfts.reduce((a, b) => a + b, 0) / ttfts.length, tokens_per_s: (OUT * ttfts.length) / (wall / 1000) };
  } finally {
    await engine.dispose();
  }
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

async function httpRun(parallel: number): Promise<Figures> {
  const server = await startServerProcess(parallel);
  while ((await fetch(server.url + '/health')).status !== 200) await new Promise((r) => setTimeout(r, 100));
  const modelName = `servebench-reference-${preset}`;
  const client = new StreamingClient({ baseUrl: server.url });
  try {
    const send = (i: number) =>
      client.send(
        { protocol: 'openai-chat', model: modelName, messages: [{ role: 'user', content: PROMPTS[i]! }], stream: true, max_tokens: OUT, ignore_eos: true, temperature: 0, seed: 1, include_usage: true },
        { requestId: `b${i}`, tScheduled: performance.now() },
      );
    await send(0);
    const t0 = performance.now();
    const rs = parallel === 1 ? [await send(0)] : await Promise.all(Array.from({ length: parallel }, (_, i) => send(i)));
    const wall = performance.now() - t0;
    return { wall_ms: wall, ttft_ms: rs.reduce((a, r) => a + (r.t_first_token! - r.t_sent), 0) / rs.length, tokens_per_s: rs.reduce((a, r) => a + (r.output_tokens ?? 0), 0) / (wall / 1000) };
  } finally {
    await client.close();
    await server.stop();
  }
}

const results: Record<string, unknown> = { date: new Date().toISOString(), preset, output_tokens: OUT };
// Engine and server alternate, three rounds each, and the medians are compared: a noisy machine shifts both alike.
const medianOf = (xs: Figures[]): Figures => {
  const m = (k: keyof Figures) => [...xs.map((x) => x[k])].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { wall_ms: m('wall_ms'), ttft_ms: m('ttft_ms'), tokens_per_s: m('tokens_per_s') };
};
for (const parallel of [1, 4]) {
  const engines: Figures[] = [];
  const https: Figures[] = [];
  for (let round = 0; round < 3; round++) {
    engines.push(await engineRun(parallel));
    https.push(await httpRun(parallel));
  }
  const engine = medianOf(engines);
  const http = medianOf(https);
  const overhead = http.wall_ms / engine.wall_ms - 1;
  results[`parallel_${parallel}`] = { engine, http, server_overhead: overhead };
  console.log(`parallel ${parallel}: engine ${engine.tokens_per_s.toFixed(1)} tok/s, TTFT ${engine.ttft_ms.toFixed(1)} ms | HTTP ${http.tokens_per_s.toFixed(1)} tok/s, TTFT ${http.ttft_ms.toFixed(1)} ms | server adds ${(overhead * 100).toFixed(1)}% (target ≤ 5%)`);
}
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/reference.json', JSON.stringify(results, null, 2) + '\n');
console.log('written bench/results/reference.json');
