// Prompt material for the design's scenarios that is cut to length: filler prompts (single, concurrent,
// long_context) and the prefix-cache set. The korean scenario's pairs are hand-written: see korean-pairs.ts.
import type { ChatMessage } from '../client/body.ts';
import { exactTokenPrompt, loadCorpus, normalizeCorpus, sentenceStarts, spread, wordStarts, type Language } from './exact.ts';
import type { CountingTokenizer } from './tokenizers.ts';

export { koreanPairStats, koreanTasks } from './korean-pairs.ts';

export interface ScenarioPrompt {
  id: string;
  messages: ChatMessage[];
  /** Tokens of the message text under the tokenizer it was cut with (no chat template). */
  tokens: number;
}

/**
 * The `index`-th filler prompt of exactly `tokens` tokens, as one user message. Each index starts at its own sentence
 * (spread over the corpus; indices repeat only after every sentence has been used), so repetitions do not hit a prefix
 * cache filled by their predecessor; the design's concurrent scenario, which sends one prompt to every request, uses
 * index 0 throughout.
 */
export function singlePrompt(opts: { language: Language; tokens: number; tokenizer: CountingTokenizer; index?: number; corpus?: string }): ScenarioPrompt {
  const index = opts.index ?? 0;
  if (!(Number.isInteger(index) && index >= 0)) throw new Error(`prompt index must be a whole number, got ${index}`);
  const corpus = opts.corpus === undefined ? loadCorpus(opts.language) : normalizeCorpus(opts.corpus);
  const starts = spread(sentenceStarts(corpus));
  const p = exactTokenPrompt({ language: opts.language, tokens: opts.tokens, tokenizer: opts.tokenizer, corpus, offset: starts[index % starts.length]! });
  return { id: `filler-${opts.language}-${opts.tokens}-${index}`, messages: [{ role: 'user', content: p.text }], tokens: p.tokens };
}

const SYSTEM_LEAD: Record<Language, string> = {
  en: 'You are a careful assistant. Answer the question that follows using the reference notes below.\n\nReference notes:\n\n',
  ko: '당신은 신중한 도우미입니다. 아래 참고 자료를 바탕으로 이어지는 질문에 답하세요.\n\n참고 자료:\n\n',
};

/** Closes every question; the passage before it is what makes each question different from its first token. */
const QUESTION_ASK: Record<Language, string> = {
  en: '\n\nHow does the passage above relate to the reference notes? Answer briefly.',
  ko: '\n\n위 내용이 참고 자료와 어떻게 연결되는지 간단히 설명해 주세요.',
};

/** Compare the first `k` tokens of two texts by this key. */
const headKey = (tok: CountingTokenizer, text: string, k: number): string => tok.encode(text.slice(0, 64 * k)).slice(0, k).join(',');

/**
 * One shared system prompt of exactly `systemTokens` tokens (an instruction, then reference notes from the corpus)
 * and `questions` questions of exactly `questionTokens` tokens each (a passage from elsewhere in the corpus, then a
 * question about it). The questions differ from their very first token, so the only prefix that requests share is the
 * system prompt (and the chat template around it): a prefix cache can reuse exactly that and nothing more. A
 * tokenizer with too few distinct first tokens (the tiny reference vocabulary on Korean) falls back to questions that
 * differ from their second token, and so on.
 */
export function prefixCachePrompts(opts: {
  systemTokens: number;
  questions: number;
  questionTokens: number;
  tokenizer: CountingTokenizer;
  language: Language;
  corpus?: string;
}): { system: string; questions: string[] } {
  const tok = opts.tokenizer;
  const corpus = opts.corpus === undefined ? loadCorpus(opts.language) : normalizeCorpus(opts.corpus);
  const common = { language: opts.language, tokenizer: tok, corpus };
  // The lead-in and the closing question are left out of prompts too short to be mostly filler around them.
  const fits = (frame: string, tokens: number): string => (tok.count(frame) * 2 <= tokens ? frame : '');
  const system = exactTokenPrompt({ ...common, tokens: opts.systemTokens, before: fits(SYSTEM_LEAD[opts.language], opts.systemTokens) }).text;
  const ask = fits(QUESTION_ASK[opts.language], opts.questionTokens);
  // Candidate starts: sentence beginnings first (the question reads as prose), then any word, spread over the corpus.
  const candidates = [...new Set([...spread(sentenceStarts(corpus)), ...spread(wordStarts(corpus).map((_, w) => w))])];
  const made = new Map<number, string>();
  const question = (word: number): string => {
    let q = made.get(word);
    if (q === undefined) {
      q = exactTokenPrompt({ ...common, tokens: opts.questionTokens, offset: word, after: ask }).text;
      made.set(word, q);
    }
    return q;
  };
  for (let k = 1; k <= 4; k++) {
    const out: string[] = [];
    const keys = new Set<string>();
    // Bounded scan: a tokenizer short of distinct first tokens moves on to the next k quickly.
    for (let i = 0; i < Math.min(candidates.length, opts.questions * 20) && out.length < opts.questions; i++) {
      const q = question(candidates[i]!);
      const key = headKey(tok, q, k);
      if (keys.has(key)) continue;
      keys.add(key);
      out.push(q);
    }
    if (out.length === opts.questions) return { system, questions: out };
  }
  throw new Error(`the ${opts.language} corpus has too few distinct passages for ${opts.questions} prefix-cache questions under ${tok.name}`);
}
