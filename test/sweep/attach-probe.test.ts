// Attach mode's first contact: a base URL with or without /v1, a server that is not an LLM server, one that wants a
// key, and one that serves another model — each a one-line answer before anything is measured.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachTarget, serverRoot } from '../../runner/lib/sweep/start-target.ts';
import type { TargetConfig } from '../../runner/lib/config/config.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

let vllm: TestServer;
let raw: Server;
let rawUrl: string;
let answer: (path: string, auth: string | undefined) => [number, string, string] = () => [404, 'text/plain', 'not found'];

beforeAll(async () => {
  vllm = await startTestServer({ profile: 'vllm' });
  raw = createServer((req, res) => {
    const [status, type, body] = answer(req.url ?? '/', req.headers.authorization);
    res.writeHead(status, { 'content-type': type }).end(body);
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await vllm.close();
  await new Promise((r) => raw.close(r));
});

const target = (base_url: string, extra: Partial<TargetConfig> = {}): TargetConfig => ({ framework: 'vllm', model: 'openai/gpt-oss-20b', base_url, ...extra });
const model = { hf: 'openai/gpt-oss-20b', tokenizer: 'o200k' };
const attach = (t: TargetConfig) => attachTarget('t', t, model, { logDir: '/tmp' });

describe('attach mode', () => {
  it.each(['', '/', '/v1', '/v1/'])('a base URL ending in "%s" names the same server', async (suffix) => {
    expect(serverRoot(`http://h:8000${suffix}`)).toBe('http://h:8000');
    const t = await attach(target(vllm.url + suffix));
    expect(t.baseUrl).toBe(vllm.url);
    expect(t.version).toBe('0.11.0');
  });

  it('a 404 or an HTML page is "not an LLM server at URL", in one line', async () => {
    answer = () => [404, 'text/plain', 'Not Found'];
    await expect(attach(target(rawUrl))).rejects.toThrow(`not an LLM server at ${rawUrl}: GET /v1/models gave HTTP 404`);
    answer = () => [200, 'text/html', '<!doctype html><title>router login</title>'];
    await expect(attach(target(rawUrl))).rejects.toThrow(`not an LLM server at ${rawUrl}: GET /v1/models gave an HTML page`);
  });

  it('an API key is optional until the server answers 401', async () => {
    answer = (_p, auth) => (auth === 'Bearer sk-good-123456' ? [200, 'application/json', JSON.stringify({ object: 'list', data: [{ id: 'openai/gpt-oss-20b' }] })] : [401, 'application/json', '{"error":"unauthorized"}']);
    await expect(attach(target(rawUrl))).rejects.toThrow(/wants an API key .* pass --api-key-env VAR/);
    process.env.SB_TEST_KEY = 'sk-bad-1234567';
    await expect(attach(target(rawUrl, { api_key_env: 'SB_TEST_KEY' }))).rejects.toThrow(/refused the API key from SB_TEST_KEY/);
    process.env.SB_TEST_KEY = 'sk-good-123456';
    const t = await attach(target(rawUrl, { api_key_env: 'SB_TEST_KEY' }));
    expect(t.apiKey).toBe('sk-good-123456');
  });

  it('a server that serves another model says which ones it serves', async () => {
    await expect(attachTarget('t', target(vllm.url, { model: 'meta-llama/Llama-3.1-8B-Instruct' }), { tokenizer: 'llama3' }, { logDir: '/tmp' })).rejects.toThrow(`does not serve "meta-llama/Llama-3.1-8B-Instruct"; it serves openai/gpt-oss-20b`);
  });
});
