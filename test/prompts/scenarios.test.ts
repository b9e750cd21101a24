import { describe, expect, it } from 'vitest';
import { loadCountingTokenizer, prefixCachePrompts, singlePrompt, type CountingTokenizer, type Language } from '../../runner/lib/prompts/index.ts';
import { corpusFor, needsReference, referenceModelPresent } from './helpers.ts';

const withCorpus = (language: Language) => {
  const corpus = corpusFor(language);
  return corpus === undefined ? {} : { corpus };
};

describe('filler prompts for single / concurrent / long_context', async () => {
  const tok = await loadCountingTokenizer('o200k');
  it('index i: one user message of exactly N tokens; indices differ, the same index repeats', () => {
    for (const language of ['en', 'ko'] as const) {
      const ps = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((index) => singlePrompt({ language, tokens: 512, tokenizer: tok, index, ...withCorpus(language) }));
      for (const p of ps) {
        expect(p.messages).toHaveLength(1);
        expect(p.messages[0]!.role).toBe('user');
        expect(tok.count(p.messages[0]!.content)).toBe(512);
        expect(p.tokens).toBe(512);
      }
      expect(new Set(ps.map((p) => p.messages[0]!.content)).size).toBe(10);
      expect(new Set(ps.map((p) => p.id)).size).toBe(10);
      expect(singlePrompt({ language, tokens: 512, tokenizer: tok, index: 3, ...withCorpus(language) })).toEqual(ps[3]);
    }
  });
});

describe('prefix cache prompts', async () => {
  const tokenizers = await Promise.all((['o200k', 'llama3'] as const).map((n) => loadCountingTokenizer(n)));
  const check = (tok: CountingTokenizer, language: Language) => {
    const p = prefixCachePrompts({ systemTokens: 2048, questions: 50, questionTokens: 128, tokenizer: tok, language, ...withCorpus(language) });
    expect(tok.count(p.system)).toBe(2048);
    expect(p.questions).toHaveLength(50);
    for (const q of p.questions) expect(tok.count(q)).toBe(128);
    // Only the system prompt is shared: the questions differ from their very first token.
    expect(new Set(p.questions.map((q) => tok.encode(q)[0])).size).toBe(50);
    expect(new Set(p.questions).size).toBe(50);
    return p;
  };
  it.skipIf(!referenceModelPresent)(needsReference('reference-tiny: distinct questions even with a small vocabulary'), async () => {
    const tok = await loadCountingTokenizer('reference-tiny');
    for (const language of ['en', 'ko'] as const) check(tok, language);
  });
  it('short lengths leave out the lead-in and closing question rather than fail', () => {
    const tok = tokenizers[0]!;
    const p = prefixCachePrompts({ systemTokens: 20, questions: 5, questionTokens: 8, tokenizer: tok, language: 'en', ...withCorpus('en') });
    expect(tok.count(p.system)).toBe(20);
    expect(p.questions.map((q) => tok.count(q))).toEqual([8, 8, 8, 8, 8]);
    expect(p.questions.join(' ')).not.toContain('reference notes');
  });
  for (const tok of tokenizers) {
    for (const language of ['en', 'ko'] as const) {
      it(`${tok.name} ${language}: one 2048-token system prompt, 50 distinct 128-token questions`, () => {
        const p = check(tok, language);
        // Deterministic: the sweep, a resumed sweep and a rerun send the same text.
        expect(prefixCachePrompts({ systemTokens: 2048, questions: 50, questionTokens: 128, tokenizer: tok, language, ...withCorpus(language) })).toEqual(p);
      });
    }
  }
});
