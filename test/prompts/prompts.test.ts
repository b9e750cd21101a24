import { describe, expect, it } from 'vitest';
import {
  exactTokenPrompt, KOREAN_TASK_NAMES, koreanTasks, loadCountingTokenizer, loadJsonlPrompts, prefixCachePrompts, taskPrompts, TASKS,
} from '../../runner/lib/prompts/index.ts';

const fixture = (f: string) => new URL(`./fixtures/${f}`, import.meta.url).pathname;

describe('prompts of exact token length', async () => {
  const tokenizers = await Promise.all(['o200k', 'llama3', 'reference-tiny'].map(loadCountingTokenizer));
  for (const tok of tokenizers) {
    for (const language of ['en', 'ko'] as const) {
      it(`${tok.name} ${language}: exactly N tokens, clean text`, () => {
        for (const n of [128, 512, 1024, 2048, 4096]) {
          const p = exactTokenPrompt({ language, tokens: n, tokenizer: tok, offset: n });
          expect(tok.count(p.text)).toBe(n);
          expect(p.tokens).toBe(n);
          expect(p.text).not.toContain('\uFFFD');
        }
      });
    }
  }

  it('offsets give distinct prompts; the same offset the same prompt', async () => {
    const tok = tokenizers[0]!;
    const a = exactTokenPrompt({ language: 'ko', tokens: 64, tokenizer: tok, offset: 0 }).text;
    expect(exactTokenPrompt({ language: 'ko', tokens: 64, tokenizer: tok, offset: 0 }).text).toBe(a);
    expect(exactTokenPrompt({ language: 'ko', tokens: 64, tokenizer: tok, offset: 7919 }).text).not.toBe(a);
  });

  it('rejects nonsense lengths and unknown tokenizers by name', async () => {
    expect(() => exactTokenPrompt({ language: 'en', tokens: 0, tokenizer: tokenizers[0]! })).toThrow(/≥ 1 token/);
    await expect(loadCountingTokenizer('bert')).rejects.toThrow(/unknown tokenizer "bert"/);
  });
});

describe('prefix cache prompts', async () => {
  const tok = await loadCountingTokenizer('o200k');
  it('one shared system prompt and distinct questions, each of exact length', () => {
    const p = prefixCachePrompts({ systemTokens: 2048, questions: 50, questionTokens: 128, tokenizer: tok, language: 'en' });
    expect(tok.count(p.system)).toBe(2048);
    expect(p.questions).toHaveLength(50);
    expect(new Set(p.questions.map((q) => tok.encode(q).slice(0, 3).join(','))).size).toBe(50);
    for (const q of p.questions) expect(tok.count(q)).toBe(128);
  });
});

describe('Korean/English pairs', async () => {
  const o200k = await loadCountingTokenizer('o200k');
  const llama3 = await loadCountingTokenizer('llama3');
  const hangul = (s: string) => (s.match(/[\uAC00-\uD7A3]/g) ?? []).length / s.replace(/\s/g, '').length;
  it('all four tasks, Korean side in Hangul, English side in ASCII', () => {
    expect(koreanTasks().map((p) => p.task)).toEqual([...KOREAN_TASK_NAMES]);
    for (const p of koreanTasks()) {
      const ko = p.ko.map((m) => m.content).join(' ');
      const en = p.en.map((m) => m.content).join(' ');
      expect(hangul(ko)).toBeGreaterThan(0.6);
      expect(hangul(en)).toBe(0);
      for (const tok of [o200k, llama3]) {
        const ratio = tok.count(ko) / tok.count(en);
        expect(ratio).toBeGreaterThan(0.5);
        expect(ratio).toBeLessThan(5);
      }
    }
  });
  it('lengths match the design: a short question, a long passage, an essay request', () => {
    const [short, long] = koreanTasks();
    expect(o200k.count(short!.ko[1]!.content)).toBeGreaterThan(60);
    expect(o200k.count(short!.ko[1]!.content)).toBeLessThan(200);
    expect(o200k.count(long!.en[1]!.content)).toBeGreaterThan(300);
    expect(o200k.count(long!.ko[1]!.content)).toBeGreaterThan(400);
  });
});

describe('task sets', () => {
  it.each(TASKS)('%s: 100 distinct prompts, in English and Korean', (task) => {
    for (const language of ['en', 'ko'] as const) {
      const ps = taskPrompts(task, 100, { language });
      expect(new Set(ps.map((p) => p.messages[0]!.content)).size).toBe(100);
    }
  });
});

describe('JSONL exports', () => {
  it('ShareGPT and messages shapes give the first user turn', async () => {
    expect((await loadJsonlPrompts(fixture('sharegpt.jsonl'))).map((p) => p.messages[0]!.content)).toEqual(['How do I boil an egg?', 'Name a planet.']);
  });
  it('{"prompt"}, {"instruction","input"} and {"text"} lines', async () => {
    expect((await loadJsonlPrompts(fixture('prompts.jsonl'))).map((p) => p.messages[0]!.content)).toEqual([
      'Write a haiku about rain.',
      'Translate to French\n\ngood morning',
      'Explain TCP in one line.',
    ]);
  });
  it('oasst trees and flat rows: only conversation roots', async () => {
    expect((await loadJsonlPrompts(fixture('oasst.jsonl'), { task: 'qa' })).map((p) => [p.task, p.messages[0]!.content])).toEqual([
      ['qa', 'What is a prime number?'],
      ['qa', 'Why is the sky blue?'],
    ]);
  });
  it('a broken line is named by file:line; limit caps the count', async () => {
    await expect(loadJsonlPrompts(fixture('bad.jsonl'))).rejects.toThrow(/bad\.jsonl:2: not valid JSON/);
    expect(await loadJsonlPrompts(fixture('bad.jsonl'), { skipInvalid: true })).toHaveLength(1);
    expect(await loadJsonlPrompts(fixture('sharegpt.jsonl'), { limit: 1 })).toHaveLength(1);
    await expect(loadJsonlPrompts('/nope.jsonl')).rejects.toThrow(/cannot read prompts file \/nope\.jsonl/);
  });
});
