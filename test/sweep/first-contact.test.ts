// First contact with real frameworks, through the stand-ins that reproduce their quirks (docs/wire.md): vLLM's reset
// endpoint exists only in dev mode, and its gpt-oss streams break under ignore_eos — so the sweep never sends it there,
// records that the output length was not forced, and records whether each cache reset took.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamingClient } from '../../runner/lib/client/send.ts';
import { readParquetSql } from '../../runner/lib/store/schema.ts';
import { duck } from '../../runner/lib/store/writer.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

const exec = promisify(execFile);
let plain: TestServer;
let dev: TestServer;
let dir: string;

beforeAll(async () => {
  // Answers end after 3 tokens, before max_tokens: under ignore_eos vLLM would fail them.
  plain = await startTestServer({ profile: 'vllm', behaviour: { outputTokens: 3 } });
  dev = await startTestServer({ profile: 'vllm', behaviour: { outputTokens: 3 }, devMode: true });
  dir = await mkdtemp(join(tmpdir(), 'sb-first-'));
});
afterAll(async () => {
  await plain.close();
  await dev.close();
});

async function sweep(url: string, out: string): Promise<Array<Record<string, unknown>>> {
  const config = join(dir, `${Math.random()}.yaml`);
  await writeFile(config, `defaults: { max_tokens: 8, warmups: 1 }\ntargets:\n  v: { framework: vllm, model: gpt-oss-20b, base_url: ${url} }\nscenarios:\n  prefix_cache: { system_tokens: 64, question_tokens: 16, questions: 3 }\n`);
  await exec(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sweep.mjs', '--config', config, '--output-dir', out, '-f', 'v', '-s', 'prefix_cache', '--profile', 'full'], { maxBuffer: 1 << 24 });
  return (await (await duck()).runAndReadAll(`SELECT ignore_eos, notes, prefix_cache_reset FROM ${readParquetSql(out, 'runs')}`)).getRowObjectsJson() as Array<Record<string, unknown>>;
}

describe('vLLM with gpt-oss', () => {
  it('the stand-in fails a gpt-oss stream under ignore_eos whenever the answer ends before max_tokens, as vLLM does', async () => {
    const c = new StreamingClient({ baseUrl: plain.url });
    try {
      const r = await c.send({ protocol: 'openai-chat', model: 'openai/gpt-oss-20b', messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 8, ignore_eos: true }, { requestId: 'x', tScheduled: performance.now() });
      expect(r.status).toBe('stream_error_event');
      expect(r.error_message).toMatch(/Unexpected token 200002/);
    } finally {
      await c.close();
    }
  });

  it('a sweep never sends ignore_eos there: every request succeeds and the run says the length was not forced', async () => {
    const out = join(dir, 'harmony');
    const [run] = await sweep(plain.url, out);
    expect(run!.ignore_eos).toBe(false);
    expect(String(run!.notes)).toMatch(/ignore_eos not sent: vLLM breaks gpt-oss \(harmony\) streams under it; the output length was not forced/);
    const [q] = (await (await duck()).runAndReadAll(`SELECT count(*)::INTEGER AS n, count(*) FILTER (status = 'ok')::INTEGER AS ok FROM ${readParquetSql(out, 'requests')}`)).getRowObjectsJson();
    expect(q).toEqual({ n: 3, ok: 3 });
  });

  it('without dev mode the reset endpoint is missing: recorded, with what to do', async () => {
    const [run] = await sweep(plain.url, join(dir, 'nodev'));
    expect(run!.prefix_cache_reset).toMatch(/^not reset: POST \/reset_prefix_cache answered HTTP 404.*VLLM_SERVER_DEV_MODE=1/);
    expect(String(run!.notes)).toMatch(/prefix cache not reset/);
  });

  it('in dev mode the reset answers 200, and without cached-token counts the outcome says it is unverified', async () => {
    const [run] = await sweep(dev.url, join(dir, 'dev'));
    expect(run!.prefix_cache_reset).toBe('reset (unverified: the server reports no cached tokens)');
  });
});
