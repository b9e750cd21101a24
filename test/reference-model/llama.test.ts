// The generated tiny model under real llama.cpp (node-llama-cpp's CPU binary): it loads, its tokenization is the
// JS tokenizer's, and greedy decoding is deterministic.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel, resolveChatWrapper, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHATML_TEMPLATE, ensureReferenceModel, loadCorpora, type Tokenizer } from '../../runner/lib/reference/model/index.ts';

let dir: string;
let llama: Llama;
let model: LlamaModel;
let tokenizer: Tokenizer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'servebench-llama-'));
  const ref = await ensureReferenceModel({ preset: 'tiny', cacheDir: dir });
  tokenizer = ref.tokenizer;
  llama = await getLlama({ build: 'never', gpu: false, logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath: ref.path });
});

afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const SAMPLES = [
  "Hello world, it's a test. Don't panic!  Two  spaces\n\nand lines.",
  '안녕하세요. 오늘은 날씨가 좋네요! 김장 123개, 3.5킬로그램.',
  'mixed 한국어 and English: 3.14%, 😀 emoji\t tab   ',
  "IT'S SHOUTING'LL WORK'VE",
  '    leading spaces and trailing\n\n\n',
  'a\u0085b\ufeffc\u00a0d\u3000e\u2028f',
  'unicode: café naïve Ωmega Ж 中文 日本語 🇰🇷 ١٢٣ ½ ²',
  'code: const x = arr.map((v) => v * 2); // 42\n\tif (x) { return; }',
  'rare bytes \u0001\u007f and a lone surrogate \ud83d here',
  '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n질문?<|im_end|>\n<|im_start|>assistant\n',
  'Hello , world . What ? No ! it \'s we \'re a \' b',
  '',
];

describe('llama.cpp loads the generated model', () => {
  it('reads the hyperparameters, special tokens and chat template', () => {
    expect(model.trainContextSize).toBe(8192);
    expect(model.tokens.eos).toBe(tokenizer.special.imEnd);
    expect(model.tokens.bos).toBe(tokenizer.special.endOfText);
    expect(model.tokens.nl).toBe(10);
    const meta = model.fileInfo.metadata;
    expect(meta.tokenizer.ggml.pre).toBe('gpt-2');
    expect(meta.tokenizer.chat_template).toBe(CHATML_TEMPLATE);
    expect(model.isEogToken(tokenizer.special.imEnd as Token)).toBe(true);
    expect(model.detokenize([tokenizer.special.imStart as Token])).toBe('');
    expect(resolveChatWrapper(model).wrapperName).toBe('ChatML');
  });
});

describe('JS tokenizer equals llama.cpp', () => {
  it.each(SAMPLES.map((s) => [s]))('%j', (text) => {
    expect(tokenizer.encode(text)).toEqual(model.tokenize(text));
    expect(tokenizer.encode(text, { specialTokens: true })).toEqual(model.tokenize(text, true));
  });

  it('on the whole English and Korean corpora', async () => {
    const { texts } = await loadCorpora();
    for (const text of texts) expect(tokenizer.encode(text)).toEqual(model.tokenize(text));
  });

  it('decodes as llama.cpp detokenizes (with its clean-up of spaces)', async () => {
    const { texts } = await loadCorpora();
    for (const text of [...SAMPLES, ...texts]) {
      const ids = model.tokenize(text, true);
      expect(tokenizer.decode(ids, { cleanSpaces: true })).toBe(model.detokenize(ids));
      expect(tokenizer.decode(ids, { cleanSpaces: true, specialTokens: true })).toBe(model.detokenize(ids, true));
    }
    // Every single token, normal and control, as a streaming detokenizer would see it.
    const all = Array.from({ length: tokenizer.vocabSize }, (_, i) => i);
    for (const id of all) {
      const js = new TextEncoder().encode(tokenizer.decode([id], { cleanSpaces: true }));
      const cpp = new TextEncoder().encode(model.detokenize([id as Token]));
      expect(js, `token ${id}`).toEqual(cpp);
    }
  });
});

describe('generation', () => {
  const greedy = async (prompt: readonly number[], n: number): Promise<number[]> => {
    const ctx = await model.createContext({ contextSize: 8192, threads: 1, sequences: 1 });
    try {
      const out: number[] = [];
      for await (const t of ctx.getSequence().evaluate(prompt as Token[], { temperature: 0 })) {
        out.push(t);
        if (out.length >= n) break;
      }
      return out;
    } finally {
      await ctx.dispose();
    }
  };

  it('greedy decoding is deterministic and not degenerate', async () => {
    const prompt = tokenizer.encode('<|im_start|>user\nTell me about bread.<|im_end|>\n<|im_start|>assistant\n', { specialTokens: true });
    const a = await greedy(prompt, 48);
    const b = await greedy(prompt, 48);
    expect(a).toHaveLength(48);
    expect(b).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(3);
    expect(a.every((t) => t >= 0 && t < tokenizer.vocabSize)).toBe(true);
  });

  it('fits a 4096-token prompt plus 256 generated tokens in its context', async () => {
    const { texts } = await loadCorpora();
    const prompt = tokenizer.encode(texts[0]!).slice(0, 4096);
    expect(prompt).toHaveLength(4096);
    const out = await greedy(prompt, 256);
    expect(out).toHaveLength(256);
  });
});
