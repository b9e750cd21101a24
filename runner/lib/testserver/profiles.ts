// The byte shapes of each framework and version family (docs/wire.md), as event lists. The server decides timing;
// this module decides only what each event says.

export const TEST_PROFILES = ['vllm', 'vllm-old', 'sglang-old', 'sglang-new', 'ollama-old', 'ollama-new', 'llamacpp-old', 'llamacpp-new'] as const;
export type TestProfile = (typeof TEST_PROFILES)[number];
export type Family = 'vllm' | 'sglang' | 'ollama' | 'llamacpp';

export const familyOf = (p: TestProfile): Family => p.split('-')[0] as Family;

export const DEFAULT_MODEL: Record<Family, string> = {
  vllm: 'openai/gpt-oss-20b',
  sglang: 'openai/gpt-oss-20b',
  ollama: 'gpt-oss:20b',
  llamacpp: 'gpt-oss-20b-mxfp4.gguf',
};

type Json = Record<string, unknown>;

/** One generated event: text in one channel, carrying n tokens. */
export interface TokenGroup {
  text: string;
  channel: 'content' | 'reasoning';
  n: number;
}

/** A stream event; `token` marks events that carry generated text (the server delays those). */
export interface StreamEvent {
  json: Json;
  token: boolean;
}

export interface GenerationShape {
  id: string;
  created: number;
  model: string;
  groups: TokenGroup[];
  finishReason: 'stop' | 'length';
  promptTokens: number;
  includeUsage: boolean;
  continuousUsage: boolean;
  /** When the request started and its first and last token events went out (the server fills them as it streams). */
  clock?: StreamClock;
  /** The stream breaks after its last token (vLLM's harmony failure): no finish, no usage; the server writes the error. */
  broken?: boolean;
}

export interface StreamClock {
  start: number;
  first: number | null;
  last: number | null;
}

/**
 * llama.cpp's per-request `timings`, from what this server really did: prompt time to the first token, generation
 * time from the first token to the last, with `predicted_n` counting the first (tools/server, result_timings;
 * docs/wire.md, llama.cpp).
 */
function llamaTimings(g: GenerationShape, total: number): Json {
  const c = g.clock;
  const first = c?.first ?? null;
  const promptMs = c !== undefined && first !== null ? first - c.start : 0;
  const predictedMs = first !== null && c?.last != null ? c.last - first : 0;
  return { cache_n: 0, prompt_n: g.promptTokens, prompt_ms: promptMs, prompt_per_token_ms: g.promptTokens > 0 ? promptMs / g.promptTokens : 0, predicted_n: total, predicted_ms: predictedMs, predicted_per_token_ms: total > 1 ? predictedMs / (total - 1) : 0 };
}

const reasoningKey = (p: TestProfile): string => (p === 'vllm' || p.startsWith('ollama') ? 'reasoning' : 'reasoning_content');

function usage(prompt: number, completion: number): Json {
  return { prompt_tokens: prompt, total_tokens: prompt + completion, completion_tokens: completion };
}

function tokenDelta(p: TestProfile, g: TokenGroup, first: boolean): Json {
  const key = g.channel === 'reasoning' ? reasoningKey(p) : 'content';
  switch (p) {
    case 'sglang-old':
      return { role: null, content: g.channel === 'content' ? g.text : null, reasoning_content: g.channel === 'reasoning' ? g.text : null, tool_calls: null };
    case 'sglang-new':
      return g.channel === 'content' ? { content: g.text, reasoning_content: null } : { reasoning_content: g.text };
    case 'ollama-old':
      return g.channel === 'content' ? { role: 'assistant', content: g.text } : { role: 'assistant', content: '', reasoning: g.text };
    case 'ollama-new':
      return first ? { role: 'assistant', content: g.channel === 'content' ? g.text : '', ...(g.channel === 'reasoning' ? { reasoning: g.text } : {}) } : { [key]: g.text };
    default:
      return { [key]: g.text };
  }
}

function roleDelta(p: TestProfile): Json | null {
  switch (p) {
    case 'vllm':
    case 'vllm-old':
    case 'sglang-new':
      return { role: 'assistant', content: '' };
    case 'sglang-old':
      return { role: 'assistant', content: '', reasoning_content: null, tool_calls: null };
    case 'llamacpp-new':
      // Role rides on a first chunk whose content is null.
      return { role: 'assistant', content: null };
    default:
      return null;
  }
}

/** Whether finish_reason rides on the last token chunk (vLLM, old Ollama) or comes in a chunk of its own. */
const finishOnLastToken = (p: TestProfile): boolean => p === 'vllm' || p === 'vllm-old' || p === 'ollama-old';

// Streams are generated lazily: a benchmark holds hundreds of long streams open, and events built up front would all
// survive into V8's young-generation collections and stall the server for milliseconds at a time.
export function* chatStream(p: TestProfile, g: GenerationShape): Generator<StreamEvent> {
  const fam = familyOf(p);
  const head: Json = { id: g.id, object: 'chat.completion.chunk', created: g.created, model: g.model };
  const extra = (done: number): Json => {
    const e: Json = {};
    if (p === 'sglang-old') e.usage = null;
    if (g.continuousUsage && fam === 'vllm') e.usage = usage(g.promptTokens, done);
    return e;
  };
  const choice = (delta: Json, finish: string | null): Json => {
    const c: Json = { index: 0, delta };
    if (fam === 'vllm' || fam === 'sglang') c.logprobs = null;
    c.finish_reason = finish;
    if (fam === 'vllm' && finish !== null) c.stop_reason = null;
    if (p === 'sglang-old') c.matched_stop = finish === 'stop' ? 200012 : null;
    return c;
  };
  const role = roleDelta(p);
  if (role !== null) yield { json: { ...head, choices: [choice(role, null)], ...extra(0) }, token: false };
  let done = 0;
  const total = g.groups.reduce((a, x) => a + x.n, 0);
  for (const [i, grp] of g.groups.entries()) {
    done += grp.n;
    const last = i === g.groups.length - 1;
    const finish = last && finishOnLastToken(p) && g.broken !== true ? g.finishReason : null;
    yield { json: { ...head, choices: [choice(tokenDelta(p, grp, i === 0), finish)], ...extra(done) }, token: true };
  }
  if (g.broken === true) return;
  // Endings differ by family and version (docs/wire.md):
  // - llamacpp-old (b4748, 2025-02): the finish chunk carries usage — always — and `timings`; no usage chunk.
  // - llamacpp-new (tools/server, 2025-10 on): usage on its own `choices: []` chunk, only with include_usage; `timings`
  //   on the last event of the response (the usage chunk when there is one, else the finish chunk).
  // - everyone else: a finish chunk unless finish_reason rode on the last token, then the usage chunk if asked.
  if (p === 'llamacpp-old') {
    yield { json: { ...head, choices: [choice({}, g.finishReason)], usage: usage(g.promptTokens, total), timings: llamaTimings(g, total) }, token: false };
    return;
  }
  if (!finishOnLastToken(p) || g.groups.length === 0) {
    const finishDelta = p === 'sglang-old' ? { role: null, content: null, reasoning_content: null, tool_calls: null } : {};
    const timingsHere = p === 'llamacpp-new' && !g.includeUsage ? { timings: llamaTimings(g, total) } : {};
    yield { json: { ...head, choices: [choice(finishDelta, g.finishReason)], ...extra(total), ...timingsHere }, token: false };
  }
  if (g.includeUsage) {
    yield { json: { ...head, choices: [], usage: usage(g.promptTokens, total), ...(p === 'llamacpp-new' ? { timings: llamaTimings(g, total) } : {}) }, token: false };
  }
}

export function* completionStream(p: TestProfile, g: GenerationShape): Generator<StreamEvent> {
  const fam = familyOf(p);
  const head: Json = { id: g.id, object: 'text_completion', created: g.created, model: g.model };
  const total = g.groups.reduce((a, x) => a + x.n, 0);
  const choice = (text: string, finish: string | null): Json => {
    const c: Json = { index: 0, text };
    if (fam !== 'ollama') c.logprobs = null;
    c.finish_reason = finish;
    if (fam === 'vllm') c.stop_reason = null;
    return c;
  };
  // Ollama's /v1/completions with include_usage puts a zero usage on every chunk and the real one on the last.
  const running = (final: boolean): Json => {
    if (fam === 'ollama') return g.includeUsage ? { usage: final ? usage(g.promptTokens, total) : usage(0, 0) } : {};
    if (fam === 'vllm' || p === 'sglang-old') return { usage: null };
    return {};
  };
  if (fam === 'sglang') yield { json: { ...head, choices: [choice('', null)], ...running(false) }, token: false };
  for (const grp of g.groups) yield { json: { ...head, choices: [choice(grp.text, null)], ...running(false) }, token: true };
  yield { json: { ...head, choices: [choice('', g.finishReason)], ...running(fam === 'ollama') }, token: false };
  if (g.includeUsage && fam !== 'ollama') yield { json: { ...head, choices: [], usage: usage(g.promptTokens, total) }, token: false };
}

export function chatBody(p: TestProfile, g: GenerationShape): Json {
  const content = g.groups.filter((x) => x.channel === 'content').map((x) => x.text).join('');
  const reasoning = g.groups.filter((x) => x.channel === 'reasoning').map((x) => x.text).join('');
  const total = g.groups.reduce((a, x) => a + x.n, 0);
  const message: Json = { role: 'assistant', content };
  if (reasoning !== '') message[reasoningKey(p)] = reasoning;
  return {
    id: g.id,
    object: 'chat.completion',
    created: g.created,
    model: g.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: g.finishReason }],
    usage: usage(g.promptTokens, total),
  };
}

export function completionBody(g: GenerationShape): Json {
  const total = g.groups.reduce((a, x) => a + x.n, 0);
  return {
    id: g.id,
    object: 'text_completion',
    created: g.created,
    model: g.model,
    choices: [{ index: 0, text: g.groups.map((x) => x.text).join(''), logprobs: null, finish_reason: g.finishReason }],
    usage: usage(g.promptTokens, total),
  };
}

/** Ollama native lines (`/api/chat` or `/api/generate`), final line included. */
export function* ollamaNativeLines(kind: 'chat' | 'generate', g: GenerationShape, durationsNs: { total: number; load: number; prompt: number; eval: number }): Generator<StreamEvent> {
  const created = new Date(g.created * 1000).toISOString();
  const line = (content: string, thinking: string | null): Json =>
    kind === 'chat'
      ? { model: g.model, created_at: created, message: { role: 'assistant', content, ...(thinking !== null ? { thinking } : {}) }, done: false }
      : { model: g.model, created_at: created, response: content, ...(thinking !== null ? { thinking } : {}), done: false };
  for (const grp of g.groups) yield { json: grp.channel === 'content' ? line(grp.text, null) : line('', grp.text), token: true };
  const total = g.groups.reduce((a, x) => a + x.n, 0);
  const final: Json = { ...line('', null), done: true, done_reason: g.finishReason };
  delete (final as { thinking?: unknown }).thinking;
  // Zero fields are omitted, as Ollama's Go structs do with omitempty.
  const fields: Array<[string, number]> = [
    ['total_duration', durationsNs.total],
    ['load_duration', durationsNs.load],
    ['prompt_eval_count', g.promptTokens],
    ['prompt_eval_duration', durationsNs.prompt],
    ['eval_count', total],
    ['eval_duration', durationsNs.eval],
  ];
  for (const [k, v] of fields) if (v !== 0) final[k] = v;
  yield { json: final, token: false };
}

/** Error bodies in each family's shape (both OpenAI shapes, Ollama's native string). */
export function errorBody(p: TestProfile, status: number, message: string, native = false): Json {
  const type = status === 404 ? 'NotFoundError' : status === 400 ? 'BadRequestError' : status === 503 ? 'ServiceUnavailableError' : 'InternalServerError';
  const fam = familyOf(p);
  if (fam === 'ollama') return native ? { error: message } : { error: { message, type: 'api_error', param: null, code: null } };
  if (p === 'vllm-old' || fam === 'sglang') return { object: 'error', message, type, param: null, code: status };
  if (fam === 'llamacpp') return { error: { code: status, message, type: status === 503 ? 'unavailable_error' : 'invalid_request_error' } };
  return { error: { message, type, param: null, code: status } };
}

export function busyMessage(p: TestProfile): string {
  return familyOf(p) === 'ollama' ? 'server busy, please try again.  maximum pending requests exceeded' : 'Service Unavailable: too many requests';
}
