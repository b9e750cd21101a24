// Attach mode with a framework name that has no config target of its own: `-f llamacpp --base-url URL` must use the
// llama.cpp adapter (no prompt cache outside the prefix-cache scenario, one connection per request, its version),
// never the generic OpenAI one.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetSql } from '../../runner/lib/store/schema.ts';
import { duck } from '../../runner/lib/store/writer.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

const exec = promisify(execFile);
let server: TestServer;
let dir: string;

beforeAll(async () => {
  // It also closes every connection after a response, as llama-server does: a client reusing them would see failures.
  server = await startTestServer({ profile: 'llamacpp-new', model: 'ggml-org/gpt-oss-20b-GGUF', behaviour: { dropReusedConnections: true } });
  dir = await mkdtemp(join(tmpdir(), 'sb-attach-'));
});
afterAll(async () => {
  await server.close();
});

describe('-f llamacpp --base-url URL', () => {
  it('benchmarks through the llama.cpp adapter and records the server version', async () => {
    const config = join(dir, 'c.yaml');
    await writeFile(config, 'defaults: { max_tokens: 8, warmups: 1 }\nscenarios:\n  single: { concurrency: [1], input_tokens: [32], repetitions: 2 }\n  prefix_cache: { system_tokens: 64, question_tokens: 16, questions: 3 }\n');
    const out = join(dir, 'data');
    await exec(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sweep.mjs', '--config', config, '--output-dir', out, '-f', 'llamacpp', '--base-url', server.url, '-m', 'ggml-org/gpt-oss-20b-GGUF', '-s', 'single,prefix_cache', '--profile', 'full'], { maxBuffer: 1 << 24 });
    const c = await duck();
    const runs = (await c.runAndReadAll(`SELECT framework, framework_version, attached FROM ${readParquetSql(out, 'runs')}`)).getRowObjectsJson();
    expect(runs.length).toBe(2);
    for (const r of runs) expect(r).toEqual({ framework: 'llamacpp', framework_version: 'b10573-3a1b5c2d', attached: true });
    const [q] = (await c.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(*) FILTER (status = 'ok')::INTEGER AS ok, sum(retries)::INTEGER AS retried FROM ${readParquetSql(out, 'requests')}`)).getRowObjectsJson();
    expect(q).toEqual({ n: 1 + 2 + 3, ok: 6, retried: 0 });
    const stats = server.stats();
    // Calibration (4) and the single point (3) ask for no prompt cache; the prefix-cache point (3) does not.
    expect(stats.generations).toBe(4 + 3 + 3);
    expect(stats.cachePromptOff).toBe(stats.generations - 3);
    expect(stats.connectionClose).toBe(stats.generations);
    expect(stats.dropped).toBe(0);
  });
});
