// Feeds raw wire bytes through the real framer and builder, read by read, so tests see what the sender would.
import { RecordBuilder, type BuilderOptions } from '../../runner/lib/client/builder.ts';
import { ndjsonFramer, sseFramer, type FramedEvent } from '../../runner/lib/client/framing.ts';
import { emptyRecord, type Protocol, type RequestRecord } from '../../runner/lib/client/record.ts';

export const sse = (json: unknown): string => `data: ${JSON.stringify(json)}\n\n`;
export const DONE = 'data: [DONE]\n\n';

/** Each read is [arrival ms, bytes]; t_sent is 0. */
export function replay(
  reads: Array<[number, string]>,
  opts: Partial<BuilderOptions> & { protocol?: Protocol; expectedInputTokens?: number; tDone?: number } = {},
): RequestRecord {
  const wire = opts.wire ?? (opts.protocol?.startsWith('ollama') ? 'ollama' : 'openai');
  const record = emptyRecord({ request_id: 'r', protocol: opts.protocol ?? 'openai-chat', stream: true, is_warmup: false, t_scheduled: 0 });
  record.t_sent = 0;
  record.expected_input_tokens = opts.expectedInputTokens ?? null;
  const builder = new RecordBuilder(record, { ...opts, wire });
  const framer = wire === 'ollama' ? ndjsonFramer() : sseFramer();
  const out: FramedEvent[] = [];
  let last = 0;
  for (const [arrival, text] of reads) {
    out.length = 0;
    framer.push(new TextEncoder().encode(text), arrival, out);
    builder.events(out);
    last = arrival;
  }
  return builder.finish(opts.tDone ?? last, framer.rest());
}

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm' };
export const chat = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
  sse({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra });
export const usageChunk = (prompt: number, completion: number, cached?: number) =>
  sse({
    ...base,
    choices: [],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      ...(cached !== undefined ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
    },
  });
