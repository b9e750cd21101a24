import { describe, expect, it } from 'vitest';
import { BYTE_TO_CODE_POINT, bytesToSymbolText, symbolTextToBytes } from '../../runner/lib/reference/model/bytes.ts';
import { trainBpe } from '../../runner/lib/reference/model/bpe.ts';
import { f16ToNumber, f32BitsToF16, toF16Bytes } from '../../runner/lib/reference/model/f16.ts';
import { loadCorpora, loadTokenizer } from '../../runner/lib/reference/model/index.ts';
import { pretokenize } from '../../runner/lib/reference/model/pretokenize.ts';
import { buildVocabulary, cleanSpaces, createTokenizer } from '../../runner/lib/reference/model/tokenizer.ts';

describe('byte-level alphabet', () => {
  it('matches GPT-2: printable bytes are themselves, the rest shift past 255', () => {
    expect(BYTE_TO_CODE_POINT[0x41]).toBe(0x41);
    expect(BYTE_TO_CODE_POINT[0x20]).toBe(0x120); // "Ġ"
    expect(BYTE_TO_CODE_POINT[0x0a]).toBe(0x10a); // "Ċ"
    expect(BYTE_TO_CODE_POINT[0xad]).toBe(0x143);
    expect(new Set(BYTE_TO_CODE_POINT).size).toBe(256);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(symbolTextToBytes(bytesToSymbolText(all))).toEqual(all);
    expect(bytesToSymbolText([0x20, 0x61])).toBe('Ġa');
  });
});

describe('gpt-2 pre-tokenizer (llama.cpp custom split)', () => {
  it.each([
    ["Hello world, it's fine", ['Hello', ' world', ',', ' it', "'s", ' fine']],
    ["we'll they're I've you'd", ['we', "'ll", ' they', "'re", ' I', "'ve", ' you', "'d"]],
    ["IT'S", ['IT', "'", 'S']], // contractions are case-sensitive in the gpt-2 rule
    ['a  b', ['a', ' ', ' b']],
    ['a\n\nb', ['a', '\n', '\n', 'b']],
    ['end   ', ['end', '   ']],
    ['x = 3.14;', ['x', ' =', ' 3', '.', '14', ';']],
    ['안녕하세요. 반가워요!', ['안녕하세요', '.', ' 반가워요', '!']],
    ['2026년 11월', ['2026', '년', ' 11', '월']],
    ['a\u0085b', ['a', '\u0085', 'b']], // NEL is whitespace for llama.cpp, not for JS \s
    ['a\ufeffb', ['a', '\ufeff', 'b']], // BOM is not whitespace for llama.cpp
    [' \t x', [' \t', ' x']],
    ['', []],
  ])('%j', (text, words) => {
    expect(pretokenize(text)).toEqual(words);
  });
});

describe('BPE training', () => {
  it('is deterministic and breaks count ties by the lower ids', () => {
    // ab, bc, cd all occur twice: "ab" wins on the lower left id; then "cd" (99) beats "abc" (256 + c).
    const r = trainBpe(['abcd abcd'], 258);
    expect(r.merges).toEqual([
      [97, 98],
      [99, 100],
    ]);
    const texts = ['the quick brown fox jumps over the lazy dog; the dog sleeps', '다람쥐 헌 쳇바퀴에 타고파 다람쥐'];
    expect(trainBpe(texts, 400)).toEqual(trainBpe(texts, 400));
  });

  it('gives every token a unique text and pads with normal tokens when merges run out', () => {
    const vocab = buildVocabulary(trainBpe(['aaa bbb'], 300), 310);
    expect(vocab.tokens).toHaveLength(310);
    expect(new Set(vocab.tokens).size).toBe(310);
    expect(vocab.tokens.filter((t) => t.startsWith('[pad')).length).toBeGreaterThan(0);
    expect(vocab.tokenTypes.slice(-3)).toEqual([3, 3, 3]);
    expect(vocab.tokenTypes.slice(0, -3).every((t) => t === 1)).toBe(true);
  });
});

describe('JS tokenizer', () => {
  it('round-trips the English and Korean corpora and mixed text', async () => {
    const tok = await loadTokenizer('tiny');
    const { texts } = await loadCorpora();
    for (const text of [...texts, 'mixed 한국어 and English: 3.14%, 😀 emoji\t tab   \n\n', '']) {
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
    const [en, ko] = texts.map((t) => tok.encode(t));
    // Trained on these texts, so both compress well below one token per UTF-8 byte.
    expect(en!.length).toBeLessThan(texts[0]!.length / 3);
    expect(ko!.length).toBeLessThan(Buffer.byteLength(texts[1]!) / 4);
  });

  it('replaces lone surrogates by U+FFFD, as the conversion to UTF-8 does', async () => {
    const tok = await loadTokenizer('tiny');
    expect(tok.decode(tok.encode('a\ud800b'))).toBe('a\ufffdb');
  });

  it('parses control tokens only when asked, and drops them on decode unless asked', async () => {
    const tok = await loadTokenizer('tiny');
    const chat = '<|im_start|>user\nhi<|im_end|>';
    const special = tok.encode(chat, { specialTokens: true });
    expect(special[0]).toBe(tok.special.imStart);
    expect(special.at(-1)).toBe(tok.special.imEnd);
    expect(tok.encode(chat)).not.toContain(tok.special.imStart);
    expect(tok.decode(special)).toBe('user\nhi');
    expect(tok.decode(special, { specialTokens: true })).toBe(chat);
    expect(tok.decode(tok.encode(chat))).toBe(chat);
  });

  it('loadTokenizer is cached and the presets differ in size', async () => {
    expect(await loadTokenizer('tiny')).toBe(await loadTokenizer('tiny'));
    expect((await loadTokenizer('tiny')).vocabSize).toBe(4096);
    expect((await loadTokenizer('default')).vocabSize).toBe(8192);
  });

  it('builds from a vocabulary alone (the GGUF contents)', () => {
    const vocab = buildVocabulary(trainBpe(['hello hello help'], 270), 280);
    const tok = createTokenizer(vocab);
    expect(tok.decode(tok.encode(' hello help'))).toBe(' hello help');
    expect(tok.encode(' hello')).toHaveLength(1);
  });
});

describe('cleanSpaces (llama.cpp clean_up_tokenization_spaces)', () => {
  const clean = (s: string) => new TextDecoder().decode(cleanSpaces(new TextEncoder().encode(s)));
  it.each([
    ['Hello , world .', 'Hello, world.'],
    ['what ? no !', 'what? no!'],
    ["a ' b", "a'b"],
    ["it 's he 'd we 're they 've I 'm", "it's he 'd we're they've I'm"],
    ['plain text', 'plain text'],
    ['', ''],
  ])('%j', (input, output) => {
    expect(clean(input)).toBe(output);
  });
});

describe('F16 conversion', () => {
  const bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0]!;
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up to Inf
    [Infinity, 0x7c00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // below half of it
    [1 + 2 ** -11, 0x3c00], // tie: to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // tie: to even (up)
    [2 ** -14, 0x0400], // smallest normal
  ])('%f → %i', (x, h) => {
    expect(f32BitsToF16(bits(x))).toBe(h);
  });

  it('keeps NaN a NaN and is within half an ulp on random values', () => {
    expect(Number.isNaN(f16ToNumber(f32BitsToF16(bits(NaN))))).toBe(true);
    const xs = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 0.05);
    const h = new Uint16Array(toF16Bytes(xs).buffer);
    xs.forEach((x, i) => expect(Math.abs(f16ToNumber(h[i]!) - x)).toBeLessThanOrEqual(Math.max(Math.abs(x) * 2 ** -11, 2 ** -25)));
  });
});
