// What one parsed event means, whatever server sent it. Lenient by design: docs/wire.md says missing keys, nulls and
// extra keys are normal, so nothing here assumes a key exists.

export interface Usage {
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
}

export interface StreamDelta {
  content: string;
  reasoning: string;
  toolCalls: boolean;
  finishReason: string | null;
  usage: Usage | null;
  error: string | null;
  timings: Record<string, number> | null;
  /** Ollama's final NDJSON line (`done: true`). */
  done: boolean;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function emptyDelta(): StreamDelta {
  return { content: '', reasoning: '', toolCalls: false, finishReason: null, usage: null, error: null, timings: null, done: false };
}

/** Both error shapes: newer `{"error":{message,...}}`, older flat `{"object":"error","message",...}`, Ollama's `{"error":"..."}`. */
export function errorMessage(json: unknown): string | null {
  if (!isObject(json)) return null;
  const e = json.error;
  if (typeof e === 'string') return e;
  if (isObject(e)) return str(e.message) || JSON.stringify(e);
  if (json.object === 'error') return str(json.message) || 'error';
  return null;
}

function readUsage(u: unknown): Usage | null {
  if (!isObject(u)) return null;
  const details = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : null;
  return {
    prompt_tokens: num(u.prompt_tokens),
    completion_tokens: num(u.completion_tokens),
    cached_tokens: details ? num(details.cached_tokens) : num(u.cached_tokens),
  };
}

function readTimings(t: unknown): Record<string, number> | null {
  if (!isObject(t)) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(t)) if (typeof v === 'number') out[k] = v;
  return out;
}

/** One OpenAI-style chunk (chat or completions) or a whole non-streamed body. */
export function readOpenAIEvent(json: unknown): StreamDelta {
  const d = emptyDelta();
  d.error = errorMessage(json);
  if (!isObject(json) || d.error !== null) return d;
  d.usage = readUsage(json.usage);
  d.timings = readTimings(json.timings);
  const choices = Array.isArray(json.choices) ? json.choices : [];
  for (const c of choices) {
    if (!isObject(c)) continue;
    // Streamed chat carries `delta`, a non-streamed body `message`, completions `text`.
    const m = isObject(c.delta) ? c.delta : isObject(c.message) ? c.message : null;
    if (m) {
      d.content += str(m.content);
      // NOTE: vLLM renamed reasoning_content to reasoning; a server may send either, never both with text.
      d.reasoning += str(m.reasoning) || str(m.reasoning_content);
      if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) d.toolCalls = true;
    }
    d.content += str(c.text);
    if (typeof c.finish_reason === 'string') d.finishReason = c.finish_reason;
  }
  return d;
}

const OLLAMA_TIMINGS = ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration'] as const;

/** One line of Ollama's native NDJSON (`/api/chat` or `/api/generate`) or a whole non-streamed body. */
export function readOllamaEvent(json: unknown): StreamDelta {
  const d = emptyDelta();
  d.error = errorMessage(json);
  if (!isObject(json) || d.error !== null) return d;
  const m = isObject(json.message) ? json.message : null;
  d.content = m ? str(m.content) : str(json.response);
  d.reasoning = m ? str(m.thinking) : str(json.thinking);
  if (m && Array.isArray(m.tool_calls) && m.tool_calls.length > 0) d.toolCalls = true;
  if (json.done === true) {
    d.done = true;
    d.finishReason = str(json.done_reason) || null;
    // Zero fields are omitted on the wire, so absent counts mean 0 on a final line.
    d.usage = { prompt_tokens: num(json.prompt_eval_count) ?? 0, completion_tokens: num(json.eval_count) ?? 0, cached_tokens: null };
    const timings: Record<string, number> = {};
    for (const k of OLLAMA_TIMINGS) {
      const v = num(json[k]);
      if (v !== null) timings[k] = v;
    }
    d.timings = timings;
  }
  return d;
}

export function carriesToken(d: StreamDelta): boolean {
  return d.content !== '' || d.reasoning !== '' || d.toolCalls;
}
