// How a test-server response behaves: timing, shape and faults, set per server and overridable per request with the
// `x-test-behaviour` header, so one server can play every case a test needs.

export interface Behaviour {
  ttftMs: number;
  tokenDelayMs: number;
  /** Tokens carried by each content event (speculative decoding, batching under load). */
  tokensPerEvent: number;
  /** SSE/NDJSON events coalesced into one socket write (llama.cpp does this). */
  eventsPerWrite: number;
  /** Generated tokens; null → the request's max_tokens (num_predict), else 16. */
  outputTokens: number | null;
  /** Tokens sent in the reasoning channel first (gpt-oss), counted in completion tokens. */
  reasoningTokens: number;
  language: 'en' | 'ko';
  /** Ollama: prompts longer than this are silently truncated. */
  numCtx: number | null;
  /** Stamps every event with its send time (epoch ms, sub-ms precision) so clients can measure their own latency (stamps.ts). */
  stampEvents: boolean;
  /**
   * Advertise keep-alive but close a connection once it has served a streamed response: llama.cpp's server does
   * this after every one (docs/wire.md). The close is made to land when the next request arrives on that connection,
   * so the race a client meets at random becomes certain: that request dies before its first response byte.
   */
  dropReusedConnections: boolean;
  failStatus: number | null;
  /** With failStatus: generation requests answer normally until this many have, then fail (a server tipping over). */
  failAfterRequests: number | null;
  /** The server dies (stops listening, drops every connection) once this many generation requests have reached it. */
  dieAfterRequests: number | null;
  errorAfterEvents: number | null;
  truncateAfterEvents: number | null;
  malformedAfterEvents: number | null;
  stallAfterEvents: number | null;
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  ttftMs: 0,
  tokenDelayMs: 0,
  tokensPerEvent: 1,
  eventsPerWrite: 1,
  outputTokens: null,
  reasoningTokens: 0,
  language: 'en',
  numCtx: null,
  stampEvents: false,
  dropReusedConnections: false,
  failStatus: null,
  failAfterRequests: null,
  dieAfterRequests: null,
  errorAfterEvents: null,
  truncateAfterEvents: null,
  malformedAfterEvents: null,
  stallAfterEvents: null,
};

export const BEHAVIOUR_HEADER = 'x-test-behaviour';

export function resolveBehaviour(base: Behaviour, header: string | string[] | undefined): Behaviour {
  if (typeof header !== 'string' || header === '') return base;
  let over: unknown;
  try {
    over = JSON.parse(header);
  } catch {
    throw new Error(`${BEHAVIOUR_HEADER} is not JSON: ${header.slice(0, 80)}`);
  }
  if (typeof over !== 'object' || over === null) throw new Error(`${BEHAVIOUR_HEADER} must be a JSON object`);
  for (const k of Object.keys(over)) if (!(k in DEFAULT_BEHAVIOUR)) throw new Error(`${BEHAVIOUR_HEADER}: unknown field ${k}`);
  return { ...base, ...(over as Partial<Behaviour>) };
}

const EN = ['the', 'quick', 'model', 'answers', 'with', 'plain', 'words', 'and', 'steady', 'tokens'];
const KO = ['모델은', '질문에', '차분하게', '답하고', '있습니다', '오늘도', '서버가', '빠르게', '응답합니다', '그리고'];

/** The text of generated token i: one word per token. */
export function tokenText(i: number, language: 'en' | 'ko'): string {
  const words = language === 'ko' ? KO : EN;
  return ' ' + words[i % words.length]!;
}

/** Prompt tokens of a test server: whitespace-separated words. */
export function countWords(text: string): number {
  const t = text.trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}
