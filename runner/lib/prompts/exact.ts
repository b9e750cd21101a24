// Prompts of an exact token length, cut from the project's own filler corpora with the target model's tokenizer.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CountingTokenizer } from './tokenizers.ts';

export type Language = 'en' | 'ko';

const corpora = new Map<Language, string>();

export function loadCorpus(language: Language): string {
  let text = corpora.get(language);
  if (text === undefined) {
    const path = fileURLToPath(new URL(`./corpus/${language}.txt`, import.meta.url));
    try {
      text = readFileSync(path, 'utf8').replace(/\s+/g, ' ').trim();
    } catch (err) {
      throw new Error(`cannot read the ${language} filler corpus ${path}: ${(err as Error).message}`);
    }
    corpora.set(language, text);
  }
  return text;
}

export interface ExactPromptOptions {
  language: Language;
  tokens: number;
  tokenizer: CountingTokenizer;
  /** Character offset into the corpus (wrapped), so prompts differ; the same offset gives the same prompt. */
  offset?: number;
  corpus?: string;
}

/**
 * Exactly `tokens` tokens of corpus text, on character boundaries. Token counts grow with the text but not one by one
 * (a Hangul syllable can be two tokens), so the cut is the longest prefix with at most N tokens; when that prefix has
 * N − 1, the start moves by a character and the search runs again.
 */
export function exactTokenPrompt(opts: ExactPromptOptions): { text: string; tokens: number } {
  const n = opts.tokens;
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`prompt length must be an integer ≥ 1 token, got ${n}`);
  const corpus = opts.corpus ?? loadCorpus(opts.language);
  const count = (s: string): number => opts.tokenizer.count(s);
  for (let shift = 0; shift < 32; shift++) {
    const start = ((opts.offset ?? 0) + shift) % corpus.length;
    // Grow a window until it holds more than N tokens (every token is at least one character).
    let window = corpus.slice(start);
    while (count(window) <= n) window += ' ' + corpus;
    let lo = 0;
    let hi = Math.min(window.length, n * 8);
    while (count(window.slice(0, hi)) <= n) hi = Math.min(window.length, hi * 2);
    // Invariant: count(prefix lo) ≤ n < count(prefix hi).
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (count(window.slice(0, mid)) <= n) lo = mid;
      else hi = mid;
    }
    const text = window.slice(0, lo);
    if (count(text) === n && !/[\uD800-\uDBFF]$/.test(text)) return { text, tokens: n };
  }
  throw new Error(`could not cut an exact ${n}-token prompt with ${opts.tokenizer.name}`);
}
