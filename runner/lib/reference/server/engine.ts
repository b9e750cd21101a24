// The inference engine behind the reference server: node-llama-cpp on the generated GGUF, one context with N
// sequences. It knows nothing of HTTP; the scheduler hands it a sequence and a prompt, it yields tokens.
import { getLlama, TokenBias, type BatchItem, type LlamaContext, type LlamaContextSequence, type LlamaModel, type PrioritizedBatchItem, type Token } from 'node-llama-cpp';
import type { ChatMessage } from '../../client/body.ts';
import type { Tokenizer } from '../model/index.ts';

export interface GenerateOptions {
  maxTokens: number;
  ignoreEos: boolean;
  temperature: number;
  seed: number | undefined;
  signal: AbortSignal;
}

export interface EngineSequence {
  readonly index: number;
  /** Tokens currently held in this sequence's KV cache. */
  cachedTokens(): readonly number[];
  /** Drops the KV cache of this sequence. */
  clear(): Promise<void>;
  /**
   * Evaluates the prompt (reusing the cached common prefix when `reusePrefix`) and yields generated tokens.
   * Returns how many prompt tokens came from the cache.
   */
  generate(prompt: readonly number[], reusePrefix: boolean, opts: GenerateOptions, onCached: (n: number) => void): AsyncGenerator<number>;
}

export interface Engine {
  modelName: string;
  /** Decode steps run so far (prompt chunks included): generated tokens ÷ steps is the batch occupancy. */
  decodeSteps(): number;
  /** Tokens one sequence can hold (prompt + output). */
  contextPerSequence: number;
  sequences: EngineSequence[];
  tokenizer: Tokenizer;
  dispose(): Promise<void>;
}

/** ChatML, the template written into the GGUF. */
export function chatPrompt(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') + '<|im_start|>assistant\n';
}

export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Tokens of one batch shared among the waiting sequences: an even share each, what is left to those that need more. */
export function fairShare(items: readonly BatchItem[], size: number): PrioritizedBatchItem[] {
  if (items.length === 0) return [];
  const share = Math.max(1, Math.floor(size / items.length));
  let left = size;
  const out: PrioritizedBatchItem[] = [];
  for (const item of items) {
    if (left <= 0) break;
    const n = Math.min(item.tokens.length, share, left);
    out.push({ item, processAmount: n });
    left -= n;
  }
  for (const p of out) {
    if (left <= 0) break;
    const more = Math.min(p.item.tokens.length - p.processAmount, left);
    p.processAmount += more;
    left -= more;
  }
  return out;
}

/**
 * Continuous batching in lockstep. node-llama-cpp starts the next decode step with whatever sequences have queued by
 * the time the previous step's bookkeeping ends; a sequence whose sampled token resolves a few microtasks later misses
 * it, and with four sequences the steps settle at three tokens each, every sequence skipping every fourth step: uneven
 * inter-token gaps that a continuous-batching server (vLLM) does not show. On CPU a step costs about the same per token
 * either way, so this is about faithful timing, not throughput. This
 * strategy holds a step (an empty pick makes node-llama-cpp look again at once, still inside its loop) until every
 * generating sequence has queued, for at most `maxHolds` looks in a row: a sequence that has just finished and will not
 * queue again costs those few microtasks and no more.
 */
export function lockstepStrategy(generating: () => number, onStep: () => void, maxHolds = 256) {
  let holds = 0;
  return ({ items, size }: { items: readonly BatchItem[]; size: number }): PrioritizedBatchItem[] => {
    if (items.length < generating() && holds < maxHolds) {
      holds++;
      return [];
    }
    holds = 0;
    const picked = fairShare(items, size);
    if (picked.length > 0) onStep();
    return picked;
  };
}

/**
 * Shared by the sequences of one context. Clearing a sequence for a new request needs the context lock, which
 * node-llama-cpp's decode loop keeps for as long as some sequence has a token queued: with sequences decoding in
 * lockstep that is forever, and the new request would wait for the others to finish. So while a sequence is being
 * admitted the generating ones stop queuing (after their current token), the loop drains and lets go, and they go on.
 */
class Activity {
  generating = 0;
  private admitting = 0;
  private reopen: (() => void) | null = null;
  private open: Promise<void> = Promise.resolve();

  /** Sequences whose next token a decode step should wait for; none while one is being admitted (the loop must drain). */
  awaited(): number {
    return this.admitting > 0 ? 0 : this.generating;
  }

  async admit(clear: () => Promise<void>): Promise<void> {
    if (this.admitting++ === 0) this.open = new Promise<void>((r) => (this.reopen = r));
    try {
      await clear();
    } finally {
      if (--this.admitting === 0) this.reopen?.();
    }
  }

  /** Resolves at once unless a sequence is being admitted. */
  whenOpen(): Promise<void> | null {
    return this.admitting > 0 ? this.open : null;
  }
}

class LlamaSequence implements EngineSequence {
  readonly index: number;
  private readonly seq: LlamaContextSequence;
  private readonly noEnd: TokenBias;
  private readonly activity: Activity;

  constructor(index: number, seq: LlamaContextSequence, model: LlamaModel, controlTokens: readonly number[], activity: Activity) {
    this.index = index;
    this.seq = seq;
    this.activity = activity;
    // ignore_eos: end-of-generation tokens are never sampled, so every generated token is text and counts.
    this.noEnd = new TokenBias(model.tokenizer);
    for (const t of controlTokens) this.noEnd.set(t as Token, 'never');
  }

  cachedTokens(): readonly number[] {
    return this.seq.contextTokens;
  }

  clear(): Promise<void> {
    return this.seq.clearHistory();
  }

  async *generate(prompt: readonly number[], reusePrefix: boolean, opts: GenerateOptions, onCached: (n: number) => void): AsyncGenerator<number> {
    let keep = reusePrefix ? commonPrefix(this.seq.contextTokens, prompt) : 0;
    // At least one prompt token must be evaluated to get logits for the first generated token.
    if (keep >= prompt.length) keep = prompt.length - 1;
    const end = this.seq.nextTokenIndex;
    const admit = keep === 0 ? () => this.seq.clearHistory() : end > keep ? () => this.seq.eraseContextTokenRanges([{ start: keep, end }]) : null;
    if (admit !== null) await this.activity.admit(admit);
    onCached(keep);
    const it = this.seq.evaluate(prompt.slice(keep) as Token[], {
      temperature: opts.temperature,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.ignoreEos ? { tokenBias: this.noEnd } : {}),
    });
    let produced = 0;
    this.activity.generating++;
    try {
      for await (const token of it) {
        if (opts.signal.aborted) break;
        yield token;
        if (++produced >= opts.maxTokens) break;
        const admitting = this.activity.whenOpen();
        if (admitting !== null) await admitting;
      }
    } finally {
      this.activity.generating--;
      await it.return();
    }
  }
}

export async function createLlamaEngine(opts: {
  modelPath: string;
  modelName: string;
  tokenizer: Tokenizer;
  parallel: number;
  contextPerSequence: number;
  threads: number;
}): Promise<Engine> {
  const llama = await getLlama({ build: 'never', gpu: false, maxThreads: opts.threads * opts.parallel });
  const model = await llama.loadModel({ modelPath: opts.modelPath });
  // llama.cpp's KV cache is unified across sequences: N sequences of C tokens need N × C cells in all.
  const activity = new Activity();
  let steps = 0;
  const context: LlamaContext = await model.createContext({
    sequences: opts.parallel,
    contextSize: opts.contextPerSequence * opts.parallel,
    threads: opts.threads,
    batchSize: 512,
    batching: { itemPrioritizationStrategy: lockstepStrategy(() => activity.awaited(), () => steps++) },
  });
  const s = opts.tokenizer.special;
  const sequences = Array.from({ length: opts.parallel }, (_, i) => new LlamaSequence(i, context.getSequence(), model, [s.endOfText, s.imStart, s.imEnd], activity));
  return {
    modelName: opts.modelName,
    decodeSteps: () => steps,
    contextPerSequence: Math.min(opts.contextPerSequence, Math.floor(context.contextSize / opts.parallel)),
    sequences,
    tokenizer: opts.tokenizer,
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
