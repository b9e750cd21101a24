// The /tokenize pre-check through each adapter, in each server's real request and answer shape (docs/wire.md).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../runner/lib/adapters/index.ts';
import type { RequestSettings } from '../../runner/lib/sweep/materialize.ts';
import { checkWithTokenize } from '../../runner/lib/sweep/sweep.ts';
import type { RunningTarget } from '../../runner/lib/sweep/target.ts';

const prompt = { prompt_id: 'p', language: 'en', messages: [{ role: 'user' as const, content: 'hello' }], content_tokens: 30, input_chars: 5 };
const settings = { template_overhead: { base: 10, per_message: 0 }, token_ratio: { en: 1, ko: 1 } } as RequestSettings;

async function withServer(handler: (body: string) => [number, unknown], run: (url: string) => Promise<void>): Promise<void> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const [status, json] = handler(body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

const targetOf = (framework: string, url: string): RunningTarget =>
  ({ tokenize: async (messages) => (await adapterFor(framework).tokenize?.(url, fetch, { model: 'm', messages, headers: {} })) ?? null }) as RunningTarget;

describe('the /tokenize pre-check', () => {
  it("vLLM: sends the prompt's messages with the model, reads the count with the template included", async () => {
    let seen: Record<string, unknown> = {};
    await withServer(
      (body) => {
        seen = JSON.parse(body);
        return [200, { count: 42, max_model_len: 8192, tokens: [] }];
      },
      async (url) => expect(await checkWithTokenize(targetOf('vllm', url), prompt, settings)).toEqual({ expected: 40, server: 42, templated: true }),
    );
    expect(seen).toEqual({ model: 'm', messages: prompt.messages });
  });

  it('llama.cpp: sends {content}, counts the tokens list, and compares with the text alone (no template)', async () => {
    let seen: Record<string, unknown> = {};
    await withServer(
      (body) => {
        seen = JSON.parse(body);
        // llama.cpp answers {content} with a list of ids and no count; {messages} is not its shape.
        return 'content' in seen ? [200, { tokens: Array.from({ length: 31 }, (_, i) => i) }] : [400, { error: { message: '"content" must be provided' } }];
      },
      async (url) => expect(await checkWithTokenize(targetOf('llamacpp', url), prompt, settings)).toEqual({ expected: 30, server: 31, templated: false }),
    );
    expect(seen).toEqual({ content: 'hello' });
  });

  it('servers without it are skipped', async () => {
    await withServer(
      () => [404, { error: 'no route' }],
      async (url) => {
        expect(await checkWithTokenize(targetOf('vllm', url), prompt, settings)).toBeNull();
        expect(await checkWithTokenize(targetOf('sglang', url), prompt, settings)).toBeNull();
        expect(await checkWithTokenize(targetOf('openai', url), prompt, settings)).toBeNull();
      },
    );
  });
});
