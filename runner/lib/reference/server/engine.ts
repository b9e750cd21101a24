// The inference engine behind the reference server: node-llama-cpp on the generated GGUF, one context with N
// sequences. It knows nothing of HTTP; the scheduler hands it a sequence and a prompt, it yields tokens.
import { getLlama, TokenBias, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';
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

class LlamaSequence implements EngineSequence {
  readonly index: number;
  private readonly seq: LlamaContextSequence;
  private readonly noEnd: TokenBias;

  constructor(index: number, seq: LlamaContextSequence, model: LlamaModel, controlTokens: readonly number[]) {
    this.index = index;
    this.seq = seq;
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
    if (keep === 0) await this.seq.clearHistory();
    else if (this.seq.nextTokenIndex > keep) await this.seq.eraseContextTokenRanges([{ start: keep, end: this.seq.nextTokenIndex }]);
    onCached(keep);
    const it = this.seq.evaluate(prompt.slice(keep) as Token[], {
      temperature: opts.temperature,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.ignoreEos ? { tokenBias: this.noEnd } : {}),
    });
    let produced = 0;
    try {
      for await (const token of it) {
        if (opts.signal.aborted) break;
        yield token;
        if (++produced >= opts.maxTokens) break;
      }
    } finally {
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
  const context: LlamaContext = await model.createContext({
    sequences: opts.parallel,
    contextSize: opts.contextPerSequence * opts.parallel,
    threads: opts.threads,
    batchSize: 512,
  });
  const s = opts.tokenizer.special;
  const sequences = Array.from({ length: opts.parallel }, (_, i) => new LlamaSequence(i, context.getSequence(), model, [s.endOfText, s.imStart, s.imEnd]));
  return {
    modelName: opts.modelName,
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
