// A point's prompt plan → the concrete request for every send. Prompts are cut with the target model's tokenizer, so
// "512 input tokens" means 512 tokens to that model; the chat template's own tokens are measured per target and added
// to what the client expects the server to count.
import type { ChatMessage, GenerationRequest } from '../client/body.ts';
import type { PlannedRequest } from '../load/generator.ts';
import { readFile } from 'node:fs/promises';
import { exactTokenPrompt, koreanTasks, loadJsonlPrompts, parseJsonlPrompts, prefixCachePrompts, taskPrompts, type CountingTokenizer } from '../prompts/index.ts';
import type { Salter } from '../prompts/salt.ts';
import type { PromptPlan, ScenarioPoint } from '../scenarios/points.ts';

export interface PromptInstance {
  prompt_id: string;
  language: string;
  messages: ChatMessage[];
  /** Content tokens under the target tokenizer. */
  content_tokens: number;
  input_chars: number;
}

export interface RequestSettings {
  protocol: GenerationRequest['protocol'];
  model: string;
  temperature: number;
  seed: number;
  ignore_eos: boolean;
  include_usage: boolean;
  continuous_usage: boolean;
  /** Template tokens the server adds around one user message, and per extra (system) message. */
  template_overhead: { base: number; per_message: number };
  /** Server tokens per client token on plain text, per language: 1 when the client tokenizer is the server's. */
  token_ratio: { en: number; ko: number };
  /** Shortfall tolerated before a request counts as truncated: wider when the tokenizers differ. */
  truncation_tolerance: number;
  ollama_options?: Record<string, unknown>;
  /** Framework-specific top-level request fields for this point (the adapter's, e.g. llama.cpp's `cache_prompt`). */
  extra?: Record<string, unknown>;
}

const chars = (messages: ChatMessage[]): number => messages.reduce((a, m) => a + [...m.content].length, 0);

function instance(id: string, language: string, messages: ChatMessage[], tokenizer: CountingTokenizer): PromptInstance {
  return {
    prompt_id: id,
    language,
    messages,
    content_tokens: messages.reduce((a, m) => a + tokenizer.count(m.content), 0),
    input_chars: chars(messages),
  };
}

/**
 * Every distinct prompt a point can send, in order, before salting; sends cycle through them. Filler is cut
 * `salter.tokens` short, so a salted filler prompt has exactly the point's input length.
 */
export async function promptInstances(plan: PromptPlan, tokenizer: CountingTokenizer, count: number, salter: Pick<Salter, 'tokens'>): Promise<PromptInstance[]> {
  switch (plan.kind) {
    case 'filler': {
      const n = plan.same_prompt ? 1 : Math.max(1, count);
      const body = plan.input_tokens - salter.tokens;
      if (body < 1) throw new Error(`input_tokens ${plan.input_tokens} leaves no room after the ${salter.tokens}-token salt`);
      return Array.from({ length: n }, (_, i) => {
        const p = exactTokenPrompt({ language: plan.language, tokens: body, tokenizer, offset: i * 7919 });
        return instance(`filler-${plan.language}-${plan.input_tokens}-${i}`, plan.language, [{ role: 'user', content: p.text }], tokenizer);
      });
    }
    case 'prefix': {
      const p = prefixCachePrompts({
        systemTokens: plan.system_tokens,
        questions: plan.questions,
        questionTokens: plan.question_tokens,
        tokenizer,
        language: plan.language,
      });
      return p.questions.map((q, i) =>
        instance(`prefix-q${i}`, plan.language, [{ role: 'system', content: p.system }, { role: 'user', content: q }], tokenizer),
      );
    }
    case 'korean': {
      const pair = koreanTasks().find((t) => t.task === plan.task);
      if (pair === undefined) throw new Error(`no Korean/English prompt pair for task "${plan.task}"`);
      const messages = plan.language === 'ko' ? pair.ko : pair.en;
      return [instance(`korean-${plan.task}-${plan.language}`, plan.language, messages, tokenizer)];
    }
    case 'task': {
      const prompts = plan.jsonl !== null ? await loadJsonlPrompts(plan.jsonl, { limit: plan.prompts, task: plan.task }) : taskPrompts(plan.task as Parameters<typeof taskPrompts>[0], plan.prompts, { language: plan.language });
      if (prompts.length === 0) throw new Error(`task "${plan.task}" has no prompts`);
      return prompts.map((p) => instance(p.id, plan.language, p.messages, tokenizer));
    }
  }
}

export function expectedInputTokens(p: PromptInstance, s: RequestSettings): number {
  const ratio = p.language === 'ko' ? s.token_ratio.ko : s.token_ratio.en;
  return Math.round(p.content_tokens * ratio) + s.template_overhead.base + s.template_overhead.per_message * (p.messages.length - 1);
}

/**
 * A warmup prompt as long as the point's first prompt but with other text: warming the engine must not put a measured
 * prompt into a prefix cache, or the first measured TTFT would be a cache hit.
 */
export function warmupPrompt(like: PromptInstance, tokenizer: CountingTokenizer): PromptInstance {
  const language = like.language === 'ko' ? 'ko' : 'en';
  const text = exactTokenPrompt({ language, tokens: Math.max(1, like.content_tokens), tokenizer, offset: 104_729 }).text;
  return instance(`warmup-${language}-${like.content_tokens}`, language, [{ role: 'user', content: text }], tokenizer);
}

/** The prompt with its salt at the very start of its first message (the system prompt where there is one). */
export function saltPrompt(p: PromptInstance, salt: string, saltTokens: number): PromptInstance {
  const [first, ...rest] = p.messages;
  if (first === undefined) return p;
  return { ...p, messages: [{ ...first, content: salt + first.content }, ...rest], content_tokens: p.content_tokens + saltTokens };
}

/** Prompts that several requests of a point are meant to share (the design's same-prompt and prefix scenarios). */
export const sharesPrompt = (plan: PromptPlan): boolean => plan.kind === 'prefix' || (plan.kind === 'filler' && plan.same_prompt);

/**
 * The salt key of each send: `runKey` (scenario, point, trial) plus the send's index, so no two requests of a sweep
 * share a prefix. Measured sends of a point that shares its prompt by design share one key, and so one prompt.
 */
export function saltKey(runKey: string, plan: PromptPlan, index: number, isWarmup: boolean): string {
  return !isWarmup && sharesPrompt(plan) ? `${runKey}/shared` : `${runKey}/${index}`;
}

/** The request maker the load generator calls: warmups send the warmup prompt, measured sends cycle the prompts. */
export function requestMaker(point: ScenarioPoint, prompts: readonly PromptInstance[], s: RequestSettings, warmup: PromptInstance, salting: { salter: Salter; runKey: string }) {
  return (index: number, isWarmup: boolean): PlannedRequest & { prompt: PromptInstance } => {
    const measured = index - point.plan.warmups;
    const plain = isWarmup ? warmup : prompts[measured % prompts.length]!;
    const prompt = saltPrompt(plain, salting.salter.salt(saltKey(salting.runKey, point.prompts, index, isWarmup)), salting.salter.tokens);
    const request: GenerationRequest = {
      protocol: s.protocol,
      model: s.model,
      messages: prompt.messages,
      stream: point.stream,
      max_tokens: point.max_tokens,
      temperature: s.temperature,
      seed: s.seed,
      ignore_eos: s.ignore_eos,
      include_usage: s.include_usage,
      continuous_usage: s.continuous_usage,
      ...(s.ollama_options !== undefined ? { ollama_options: s.ollama_options } : {}),
      ...(s.extra !== undefined ? { extra: s.extra } : {}),
    };
    return { request, expectedInputTokens: expectedInputTokens(prompt, s), prompt };
  };
}

/**
 * Reads and checks every prompts file the points use, before any server starts: each bad line is reported once, as
 * `file:line: why`, and a file that cannot be read or yields no prompt is an error too. Returns the problems.
 */
export async function checkPromptFiles(points: readonly ScenarioPoint[]): Promise<string[]> {
  const files = [...new Set(points.flatMap((p) => (p.prompts.kind === 'task' && p.prompts.jsonl !== null ? [p.prompts.jsonl] : [])))];
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push(`cannot read prompts file ${file}: ${(err as Error).message}`);
      continue;
    }
    try {
      const { prompts, invalid } = parseJsonlPrompts(text, file, { skipInvalid: true });
      problems.push(...invalid);
      if (prompts.length === 0 && invalid.length === 0) problems.push(`${file}: no prompts found`);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}
