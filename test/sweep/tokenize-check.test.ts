import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkWithTokenize } from '../../runner/lib/sweep/sweep.ts';
import type { RunningTarget } from '../../runner/lib/sweep/target.ts';

const prompt = { prompt_id: 'p', language: 'en', messages: [{ role: 'user' as const, content: 'hello' }], content_tokens: 1, input_chars: 5 };

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

describe('the /tokenize pre-check', () => {
  it("sends the prompt's messages with the model and reads vLLM's count", async () => {
    let seen: Record<string, unknown> = {};
    await withServer(
      (body) => {
        seen = JSON.parse(body);
        return [200, { count: 42, max_model_len: 8192, tokens: [] }];
      },
      async (url) => {
        const target = { baseUrl: url, modelId: 'm', framework: 'vllm', attached: false } as RunningTarget;
        expect(await checkWithTokenize(target, prompt, 40)).toEqual({ expected: 40, server: 42 });
      },
    );
    expect(seen).toEqual({ model: 'm', messages: prompt.messages });
  });

  it('servers without it are skipped', async () => {
    await withServer(
      () => [404, { error: 'no route' }],
      async (url) => {
        expect(await checkWithTokenize({ baseUrl: url, modelId: 'm', framework: 'sglang', attached: false } as RunningTarget, prompt, 40)).toBeNull();
      },
    );
  });
});
