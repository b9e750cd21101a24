// Faults around the data directory: a corrupt file stops the sweep before anything starts, two sweeps of the same
// targets never write at once, --resume without an id continues the latest sweep of the same targets, and bad input is
// refused before any server is touched.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetSql } from '../../runner/lib/store/schema.ts';
import { duck } from '../../runner/lib/store/writer.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

const exec = promisify(execFile);
const ZX = 'node_modules/zx/build/cli.js';
let server: TestServer;
let slow: TestServer;
let config: string;
let dir: string;

beforeAll(async () => {
  server = await startTestServer({ profile: 'vllm' });
  slow = await startTestServer({ profile: 'vllm', behaviour: { tokenDelayMs: 1500 } });
  dir = await mkdtemp(join(tmpdir(), 'sb-data-'));
  config = join(dir, 'c.yaml');
  await writeFile(
    config,
    `defaults: { max_tokens: 4, warmups: 0 }
targets:
  a: { framework: vllm, model: openai/gpt-oss-20b, base_url: ${server.url} }
  b: { framework: vllm, model: openai/gpt-oss-20b, base_url: ${server.url} }
  slow: { framework: vllm, model: openai/gpt-oss-20b, base_url: ${slow.url} }
scenarios:
  single: { concurrency: [1], input_tokens: [16], repetitions: 2 }
`,
  );
});
afterAll(async () => {
  await server.close();
  await slow.close();
});

function sweep(out: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, [ZX, 'runner/sweep.mjs', '--config', config, '--output-dir', out, '--profile', 'full', '-s', 'single', ...args], { maxBuffer: 1 << 24 })
    .then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }))
    .catch((e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));
}
const rows = async (sql: string) => (await (await duck()).runAndReadAll(sql)).getRowObjectsJson();

describe('the data directory', () => {
  it('a truncated runs file stops the sweep before any request, naming the file and the way out', async () => {
    const out = join(dir, 'corrupt');
    expect((await sweep(out, '-f', 'a')).code).toBe(0);
    const runsDir = join(out, 'runs');
    const files = (await readdir(runsDir, { recursive: true })).filter((f) => String(f).endsWith('.parquet'));
    await truncate(join(runsDir, String(files[0])), 40);
    const before = server.stats().generations;
    const r = await sweep(out, '-f', 'a', '--resume');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 Parquet file under .* cannot be read/);
    expect(r.stderr).toContain(String(files[0]).split('/').pop());
    expect(r.stderr).toMatch(/--quarantine/);
    expect(server.stats().generations).toBe(before);
  });

  it('a second sweep of the same targets into the same directory is refused while the first runs, saying who holds it', { timeout: 60_000 }, async () => {
    const out = join(dir, 'locked');
    const first = spawn(process.execPath, [ZX, 'runner/sweep.mjs', '--config', config, '--output-dir', out, '--profile', 'full', '-s', 'single', '-f', 'slow'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    first.stderr.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 200 && !/• slow · single/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
    const second = await sweep(out, '-f', 'slow');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`pid ${first.pid}`));
    const done = await new Promise<number | null>((r) => first.once('exit', (c) => r(c)));
    expect(done).toBe(0);
    // Another target in the same directory is not blocked by it.
    expect((await sweep(out, '-f', 'a')).code).toBe(0);
  });

  it('--resume without an id continues the latest sweep of the same targets, never another framework\'s', async () => {
    const out = join(dir, 'resume');
    await sweep(out, '-f', 'a');
    await new Promise((r) => setTimeout(r, 1100)); // sweep ids carry the second
    await sweep(out, '-f', 'b');
    const sweeps = await rows(`SELECT DISTINCT sweep_id, json_extract_string(params, '$.target') AS target FROM ${readParquetSql(out, 'runs')} ORDER BY 1`);
    expect(sweeps.map((s) => s.target)).toEqual(['a', 'b']);
    // Both sweeps are complete: there is nothing to resume, and it says so rather than redoing or picking b's.
    const done = await sweep(out, '-f', 'a', '--resume');
    expect(done.code).toBe(2);
    expect(done.stderr).toMatch(new RegExp(`every sweep of a under .* is complete \\(latest ${String(sweeps[0]!.sweep_id)}\\)`));
    // With a second trial asked for, a's sweep lacks points: it is the one continued, its first trial kept.
    const r = await sweep(out, '-f', 'a', '--resume', '--trials', '2');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`sweep ${String(sweeps[0]!.sweep_id)}`);
    expect(r.stderr).toMatch(/↷ a · single .*already on disk/);
    expect(r.stderr).toMatch(/✔ a · single · c=1 in=16 · trial 2/);
  });

  it.each([
    ['ftp://127.0.0.1:21', /--base-url "ftp:\/\/127\.0\.0\.1:21" must start with http:\/\/ or https:\/\//],
    ['localhost 8000', /--base-url "localhost 8000" is not a URL/],
  ])('--base-url %s is refused before anything starts', async (url, message) => {
    const r = await sweep(join(dir, 'never'), '-f', 'vllm', '--base-url', url);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
