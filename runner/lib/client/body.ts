// The request each protocol expects. One function per protocol, same input, as vLLM's benchmark does per backend.
import type { Protocol } from './record.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerationRequest {
  protocol: Protocol;
  model: string;
  /** Chat protocols send messages; completion protocols send `prompt` (messages are joined if only they are given). */
  messages?: ChatMessage[];
  prompt?: string;
  stream: boolean;
  /** Always sent: vLLM and SGLang completions default to 16 tokens otherwise. */
  max_tokens: number;
  temperature?: number;
  seed?: number;
  /** Only sent where the target supports it (adapters know); Ollama has none. */
  ignore_eos?: boolean;
  stop?: string[];
  /** Ask for server token counts in the stream (`stream_options.include_usage`). */
  include_usage?: boolean;
  /** Ask for a running usage on every chunk (vLLM `continuous_usage_stats`). */
  continuous_usage?: boolean;
  /** Ollama native `options` beyond num_predict/temperature/seed, e.g. `num_ctx`. */
  ollama_options?: Record<string, unknown>;
  /** Extra top-level fields, passed as they are. */
  extra?: Record<string, unknown>;
}

export interface HttpRequestSpec {
  path: string;
  body: string;
  /** Ollama's native API streams NDJSON, everything else SSE. */
  wire: 'openai' | 'ollama';
}

function promptOf(r: GenerationRequest): string {
  return r.prompt ?? (r.messages ?? []).map((m) => m.content).join('\n\n');
}

function messagesOf(r: GenerationRequest): ChatMessage[] {
  return r.messages ?? [{ role: 'user', content: r.prompt ?? '' }];
}

function openaiBody(r: GenerationRequest, input: Record<string, unknown>): string {
  const body: Record<string, unknown> = { model: r.model, ...input, max_tokens: r.max_tokens, stream: r.stream };
  if (r.temperature !== undefined) body.temperature = r.temperature;
  if (r.seed !== undefined) body.seed = r.seed;
  if (r.stop !== undefined) body.stop = r.stop;
  if (r.ignore_eos) body.ignore_eos = true;
  // NOTE: vLLM answers 400 to stream_options on a non-streamed request.
  if (r.stream && (r.include_usage || r.continuous_usage)) {
    body.stream_options = { include_usage: true, ...(r.continuous_usage ? { continuous_usage_stats: true } : {}) };
  }
  return JSON.stringify({ ...body, ...r.extra });
}

function ollamaBody(r: GenerationRequest, input: Record<string, unknown>): string {
  const options: Record<string, unknown> = { num_predict: r.max_tokens, ...r.ollama_options };
  if (r.temperature !== undefined) options.temperature = r.temperature;
  if (r.seed !== undefined) options.seed = r.seed;
  if (r.stop !== undefined) options.stop = r.stop;
  return JSON.stringify({ model: r.model, ...input, stream: r.stream, options, ...r.extra });
}

export function buildRequest(r: GenerationRequest): HttpRequestSpec {
  switch (r.protocol) {
    case 'openai-chat':
      return { path: '/v1/chat/completions', body: openaiBody(r, { messages: messagesOf(r) }), wire: 'openai' };
    case 'openai-completions':
      return { path: '/v1/completions', body: openaiBody(r, { prompt: promptOf(r) }), wire: 'openai' };
    case 'ollama-chat':
      return { path: '/api/chat', body: ollamaBody(r, { messages: messagesOf(r) }), wire: 'ollama' };
    case 'ollama-generate':
      return { path: '/api/generate', body: ollamaBody(r, { prompt: promptOf(r) }), wire: 'ollama' };
  }
}
