import { spawn } from 'node:child_process';
import { StreamingClient } from '../runner/lib/client/send.ts';
const parallel = Number(process.argv[2] ?? 1);
const child = spawn(process.execPath, [...(process.env.SRV_FLAGS ? process.env.SRV_FLAGS.split(' ') : []), 'node_modules/zx/build/cli.js', 'runner/reference-server.mjs', '--preset', 'default', '--port', '0', '--parallel', String(parallel), '--context-size', '2048'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => { if (process.env.SRV_FLAGS) process.stderr.write(d); const m = /listening (\S+)/.exec(d.toString()); if (m) resolve(m[1]!); }));
while ((await fetch(url + '/health')).status !== 200) await new Promise((r) => setTimeout(r, 100));
const client = new StreamingClient({ baseUrl: url });
const P = (i: number) => `Question ${i}: describe how a small library changed after its renovation, in plain words, for a neighbourhood newsletter.`;
const send = (i: number) => client.send({ protocol: 'openai-chat', model: 'servebench-reference-default', messages: [{ role: 'user', content: P(i) }], stream: true, max_tokens: 256, ignore_eos: true, temperature: 0, seed: 1, include_usage: true }, { requestId: 'b' + i, tScheduled: performance.now() });
for (let k = 0; k < 6; k++) {
  const t0 = performance.now();
  const rs = parallel === 1 ? [await send(0)] : await Promise.all(Array.from({ length: parallel }, (_, i) => send(i)));
  const wall = performance.now() - t0;
  const r = rs[0]!;
  const gaps = r.event_times.slice(1).map((t, i) => t - r.event_times[i]!).sort((a, b) => a - b);
  console.log('ttfts', rs.map((x) => (x.t_first_token! - x.t_sent).toFixed(0) + '@' + (x.t_sent - t0).toFixed(1)).join(' '));
  console.log(`wall ${wall.toFixed(0)} ttft ${(r.t_first_token! - r.t_sent).toFixed(1)} itl p50 ${gaps[gaps.length >> 1]!.toFixed(2)} max ${gaps.at(-1)!.toFixed(1)} toks ${r.output_tokens}`);
}
console.log((await (await fetch(url + '/metrics')).text()).split('\n').filter((l) => /ttft.*(sum|count)|time_to_first.*(sum|count)/.test(l)).join('\n'));
await client.close(); child.kill('SIGTERM');
