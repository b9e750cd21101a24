// Prompt material for the design's scenarios that is cut to length: filler prompts and the prefix-cache set.
import { exactTokenPrompt, loadCorpus, type Language } from './exact.ts';
import type { CountingTokenizer } from './tokenizers.ts';

const SYSTEM_LEAD: Record<Language, string> = {
  en: 'You are a careful assistant. Answer the question that follows using the reference notes below.\n\nReference notes: ',
  ko: '당신은 신중한 도우미입니다. 아래 참고 자료를 바탕으로 이어지는 질문에 답하세요.\n\n참고 자료: ',
};

const QUESTION_LEAD: Record<Language, (i: number) => string> = {
  en: (i) => `Question ${i + 1}: with the notes in mind, explain this passage. `,
  ko: (i) => `질문 ${i + 1}: 참고 자료를 생각하며 다음 내용을 설명해 주세요. `,
};

/**
 * One shared system prompt of exactly `systemTokens` tokens and `questions` distinct questions of exactly
 * `questionTokens` tokens each. Questions differ from their very first tokens, so only the system prompt is shared.
 */
export function prefixCachePrompts(opts: {
  systemTokens: number;
  questions: number;
  questionTokens: number;
  tokenizer: CountingTokenizer;
  language: Language;
}): { system: string; questions: string[] } {
  const corpus = loadCorpus(opts.language);
  const system = exactTokenPrompt({ language: opts.language, tokens: opts.systemTokens, tokenizer: opts.tokenizer, corpus: SYSTEM_LEAD[opts.language] + corpus }).text;
  const questions = Array.from({ length: opts.questions }, (_, i) => {
    const from = (i * 997 + corpus.length / 2) % corpus.length;
    const body = QUESTION_LEAD[opts.language](i) + corpus.slice(from) + ' ' + corpus;
    return exactTokenPrompt({ language: opts.language, tokens: opts.questionTokens, tokenizer: opts.tokenizer, corpus: body }).text;
  });
  return { system, questions };
}
