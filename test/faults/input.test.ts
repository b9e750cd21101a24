// Bad input is caught before anything starts, and text from servers reaches the terminal without control sequences.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalSafe } from '../../runner/lib/sweep/progress.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

const exec = promisify(execFile);
let server: TestServer;
let hostile: Server;
let hostileUrl: string;
let dir: string;

beforeAll(async () => {
  server = await startTestServer({ profile: 'vllm' });
  // A server whose model list is fine and whose every generation answers 400 with terminal escapes in the message.
  hostile = createServer((req, res) => {
    if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'openai/gpt-oss-20b' }] }));
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'bad \u001b[2J\u001b]0;pwned\u0007request\u0000\u009b31m here' } }));
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'sb-input-'));
});
afterAll(async () => {
  await server.close();
  await new Promise((r) => hostile.close(r));
});

function sweep(config: string, ...args: string[]) {
  return exec(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sweep.mjs', '--config', config, '--output-dir', join(dir, 'data'), '--profile', 'full', ...args], { maxBuffer: 1 << 24 })
    .then((r) => ({ code: 0, stderr: r.stderr, stdout: r.stdout }))
    .catch((e: { code: number; stderr: string; stdout: string }) => ({ code: e.code, stderr: e.stderr, stdout: e.stdout }));
}

describe('bad input', () => {
  it('a prompts file is read whole before any server is touched, every bad line reported once as file:line', async () => {
    const prompts = join(dir, 'prompts.jsonl');
    await writeFile(prompts, '{"prompt": "fine"}\n{"prompt": "broken"\n{"title": "no prompt"}\n{"prompt": "also fine"}\n');
    const config = join(dir, 'p.yaml');
    await writeFile(config, `targets:\n  t: { framework: vllm, model: openai/gpt-oss-20b, base_url: ${server.url} }\nscenarios:\n  task: { jsonl: ${prompts}, prompts: 2 }\n`);
    const before = server.stats().requests;
    const r = await sweep(config, '-f', 't', '-s', 'task');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2 problem\(s\) in prompt files/);
    expect(r.stderr).toContain(`${prompts}:2: not valid JSON`);
    expect(r.stderr).toContain(`${prompts}:3:`);
    expect(r.stderr.match(new RegExp(`${prompts}:3:`, 'g'))).toHaveLength(1);
    expect(server.stats().requests).toBe(before);
  });
});

describe('server text on the terminal', () => {
  it('escape sequences and control characters are removed', () => {
    expect(terminalSafe('a\u001b[2Jb\u001b]0;title\u0007c\u0000d\u009b31me\u0085\tf\ng')).toBe('abcde\tf\ng');
  });

  it('a server error carrying escape codes reaches stderr without them', async () => {
    const config = join(dir, 'h.yaml');
    await writeFile(config, `targets:\n  h: { framework: vllm, model: openai/gpt-oss-20b, base_url: ${hostileUrl} }\nscenarios:\n  single: { concurrency: [1], input_tokens: [16], repetitions: 1 }\n`);
    const r = await sweep(config, '-f', 'h', '-s', 'single');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/calibration request failed \(http_4xx\): bad request here/);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr + r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});
