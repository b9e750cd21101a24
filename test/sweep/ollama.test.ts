// Ollama through a sweep: the configured protocol is honoured (the native API with num_ctx and keep_alive), and what
// the server was started with is recorded from the server's environment, not this process's.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../runner/lib/lifecycle/launch.ts';
import { readParquetSql } from '../../runner/lib/store/schema.ts';
import { duck } from '../../runner/lib/store/writer.ts';
import { launchTarget } from '../../runner/lib/sweep/start-target.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

const exec = promisify(execFile);
let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer({ profile: 'ollama-new' });
  dir = await mkdtemp(join(tmpdir(), 'sb-ollama-'));
});
afterAll(async () => {
  await server.close();
});

describe('Ollama', () => {
  it('a target with protocol ollama-chat is measured on /api/chat, with num_ctx and keep_alive, counted natively', async () => {
    const config = join(dir, 'c.yaml');
    await writeFile(config, `defaults: { max_tokens: 4, warmups: 1 }\ntargets:\n  o: { framework: ollama, model: gpt-oss-20b, base_url: ${server.url}, protocol: ollama-chat, context_length: 8192 }\nscenarios:\n  single: { concurrency: [1], input_tokens: [32], repetitions: 2 }\n`);
    const out = join(dir, 'data');
    await exec(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sweep.mjs', '--config', config, '--output-dir', out, '-f', 'o', '-s', 'single', '--profile', 'full'], { maxBuffer: 1 << 24 });
    const s = server.stats();
    expect(s.native).toBe(s.generations);
    expect(s.lastNative).toEqual({ options: expect.objectContaining({ num_ctx: 8192, num_predict: 4 }), keep_alive: '-1' });
    const rows = (await (await duck()).runAndReadAll(`SELECT DISTINCT r.protocol, q.tokens_source, q.status FROM ${readParquetSql(out, 'runs')} r JOIN ${readParquetSql(out, 'requests')} q USING (run_id)`)).getRowObjectsJson();
    expect(rows).toEqual([{ protocol: 'ollama-chat', tokens_source: 'server_native', status: 'ok' }]);
  });

  it('OLLAMA_NUM_PARALLEL and the context length are recorded from the environment the server was started with', async () => {
    const saved = { PATH: process.env.PATH, P: process.env.OLLAMA_NUM_PARALLEL };
    process.env.PATH = `${resolve('test/fixtures/bin')}${delimiter}${saved.PATH}`;
    process.env.OLLAMA_NUM_PARALLEL = '7';
    try {
      const t = await launchTarget('o', { framework: 'ollama', model: 'gpt-oss-20b', port: await freePort(), parallel: 2, context_length: 8192 }, { ollama: 'gpt-oss:20b', tokenizer: 'o200k' }, { logDir: dir, onProgress: () => {} });
      try {
        const env = (await t.environment()) as { effective_config: Record<string, unknown> };
        expect(env.effective_config).toMatchObject({ OLLAMA_NUM_PARALLEL: '2', OLLAMA_CONTEXT_LENGTH: '8192' });
      } finally {
        await t.stop();
      }
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.P === undefined) delete process.env.OLLAMA_NUM_PARALLEL;
      else process.env.OLLAMA_NUM_PARALLEL = saved.P;
    }
  }, 30_000);

  it('the adapter branches on the version the server reports: before 0.5.2 /v1 sends no usage, so none is asked for', async () => {
    const { attachTarget } = await import('../../runner/lib/sweep/start-target.ts');
    const old = await startTestServer({ profile: 'ollama-old' });
    try {
      const model = { ollama: 'gpt-oss:20b', tokenizer: 'o200k' };
      const o = await attachTarget('o', { framework: 'ollama', model: 'gpt-oss-20b', base_url: old.url }, model, { logDir: dir });
      expect([o.version, o.capabilities.includeUsage]).toEqual(['0.5.1', false]);
      expect(o.notes.join(' ')).toMatch(/Ollama 0\.5\.1 sends no usage on \/v1 \(0\.5\.2 and later do\)/);
      const n = await attachTarget('o', { framework: 'ollama', model: 'gpt-oss-20b', base_url: server.url }, model, { logDir: dir });
      expect([n.version, n.capabilities.includeUsage]).toEqual(['0.12.3', true]);
    } finally {
      await old.close();
    }
  });
});
