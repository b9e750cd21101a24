import { encode as rawO200k } from 'gpt-tokenizer/encoding/o200k_base';
import llama3 from 'llama3-tokenizer-js';
import { describe, expect, it } from 'vitest';
import { exactTokenPrompt, loadCorpus, loadCountingTokenizer, normalizeCorpus, type Language } from '../../runner/lib/prompts/index.ts';
import { corpusFor, needsReference, referenceModelPresent } from './helpers.ts';

const LENGTHS = [128, 512, 1024, 2048, 4096];
/** The libraries' own encoders, so the check does not rest on the memoized counting it is checking. */
const RAW: Record<string, (s: string) => number[]> = {
  o200k: (s) => rawO200k(s),
  llama3: (s) => llama3.encode(s, { bos: false, eos: false }),
};
const LANGS: Language[] = ['en', 'ko'];
const opt = (language: Language) => {
  const corpus = corpusFor(language);
  return corpus === undefined ? { language } : { language, corpus };
};

describe('prompts of exact token length', async () => {
  const tokenizers = await Promise.all((['o200k', 'llama3'] as const).map((n) => loadCountingTokenizer(n)));

  for (const tok of tokenizers) {
    for (const language of LANGS) {
      it(`${tok.name} ${language}: exactly ${LENGTHS.join('/')} tokens, on clean text`, () => {
        for (const n of LENGTHS) {
          for (const offset of [0, n, 104_729]) {
            const p = exactTokenPrompt({ ...opt(language), tokens: n, tokenizer: tok, offset });
            expect(p.tokens).toBe(n);
            expect(tok.count(p.text)).toBe(n);
            expect(RAW[tok.name]!(p.text)).toHaveLength(n);
            expect(p.text).not.toContain('\uFFFD');
            // Starts on a word, ends on a whole character without trailing space.
            expect(p.text).toMatch(/^\S/);
            expect(p.text).toMatch(/\S$/);
            expect(p.text).not.toMatch(/[\uD800-\uDBFF]$/);
          }
        }
      });
    }
  }

  it.skipIf(!referenceModelPresent)(needsReference('reference tokenizers: exact too'), async () => {
    for (const name of ['reference-tiny', 'reference-default'] as const) {
      const tok = await loadCountingTokenizer(name);
      for (const language of LANGS) {
        for (const n of LENGTHS) {
          const p = exactTokenPrompt({ ...opt(language), tokens: n, tokenizer: tok, offset: n });
          expect(tok.count(p.text)).toBe(n);
          expect(p.text).not.toContain('\uFFFD');
        }
      }
    }
  });

  it('the Korean cut backs off instead of splitting a syllable (rare syllables are 2–3 o200k tokens each)', () => {
    const tok = tokenizers[0]!;
    const corpus = '뷁햏 똠쀍 꿻띵. 쓿읗 휂껰 뙇밟 뷁. 햏똠 쀍꿻 띵쓿 읗휂. 껰뙇 밟뷁 햏똠쀍.';
    let cut = 0;
    for (let n = 20; n <= 60; n++) {
      for (let offset = 0; offset < 4; offset++) {
        let p: { text: string; tokens: number };
        try {
          p = exactTokenPrompt({ language: 'ko', tokens: n, tokenizer: tok, corpus, offset });
        } catch (err) {
          // Some lengths cannot be cut from this tiny periodic text at all; that must be said, not approximated.
          expect(String(err)).toMatch(/could not cut an exact \d+-token ko prompt with o200k/);
          continue;
        }
        cut++;
        expect(tok.count(p.text)).toBe(n);
        expect(p.text).not.toContain('\uFFFD');
      }
    }
    expect(cut).toBeGreaterThan(100);
  });

  it('wraps around a corpus shorter than the prompt', () => {
    const tok = tokenizers[0]!;
    const p = exactTokenPrompt({ language: 'en', tokens: 300, tokenizer: tok, corpus: 'One short paragraph about tea.' });
    expect(tok.count(p.text)).toBe(300);
    expect(p.text.split('One short paragraph').length).toBeGreaterThan(10);
  });

  it('same offset → same prompt; different offsets → different prompts', () => {
    for (const language of LANGS) {
      const tok = tokenizers[1]!;
      const at = (offset: number) => exactTokenPrompt({ ...opt(language), tokens: 256, tokenizer: tok, offset }).text;
      expect(at(5)).toBe(at(5));
      const many = [0, 1, 2, 7919, 15838, 104_729].map(at);
      expect(new Set(many).size).toBe(many.length);
    }
  });

  it('counts fixed text before and after the filler in the total', () => {
    const tok = tokenizers[0]!;
    const p = exactTokenPrompt({ ...opt('ko'), tokens: 200, tokenizer: tok, before: '참고 자료:\n\n', after: '\n\n위 글을 요약해 주세요.' });
    expect(tok.count(p.text)).toBe(200);
    expect(p.text.startsWith('참고 자료:\n\n')).toBe(true);
    expect(p.text.endsWith('\n\n위 글을 요약해 주세요.')).toBe(true);
    expect(() => exactTokenPrompt({ ...opt('en'), tokens: 3, tokenizer: tok, before: 'A rather long lead-in sentence.' })).toThrow(/no room in 3/);
  });

  it('is fast: 4096 tokens well under 100 ms (best of 3)', () => {
    for (const tok of tokenizers) {
      for (const language of LANGS) {
        const times = [1, 2, 3].map((i) => {
          const t0 = performance.now();
          exactTokenPrompt({ ...opt(language), tokens: 4096, tokenizer: tok, offset: i * 7919 });
          return performance.now() - t0;
        });
        console.log(`exactTokenPrompt 4096 ${tok.name} ${language}: ${times.map((t) => t.toFixed(1)).join(' / ')} ms`);
        expect(Math.min(...times)).toBeLessThan(100);
      }
    }
  });

  it('rejects nonsense lengths', () => {
    expect(() => exactTokenPrompt({ language: 'en', tokens: 0, tokenizer: tokenizers[0]! })).toThrow(/≥ 1 token/);
    expect(() => exactTokenPrompt({ language: 'en', tokens: 1.5, tokenizer: tokenizers[0]! })).toThrow(/≥ 1 token/);
  });
});

describe('corpora', () => {
  it('a missing corpus file is named in the error', () => {
    const enoent = () => {
      throw Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
    };
    expect(() => loadCorpus('ko', enoent)).toThrow(/cannot read the ko filler corpus .*runner\/lib\/prompts\/corpus\/ko\.txt: ENOENT/);
    expect(() => loadCorpus('en', () => '  \n\n ')).toThrow(/the en filler corpus .*corpus\/en\.txt is empty/);
    expect(() => loadCorpus('fr' as Language)).toThrow(/unknown prompt language "fr"/);
  });

  it('keeps paragraphs and collapses other whitespace', () => {
    expect(normalizeCorpus('\uFEFFOne  line\nwraps.\r\n\r\n\n  Two\tparas. ')).toBe('One line wraps.\n\nTwo paras.');
  });
});
