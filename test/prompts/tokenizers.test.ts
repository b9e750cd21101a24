import { encode as rawO200k } from 'gpt-tokenizer/encoding/o200k_base';
import llama3 from 'llama3-tokenizer-js';
import { describe, expect, it } from 'vitest';
import { loadCorpus, loadCountingTokenizer, makeO200kDecode, memoizedEncode, TOKENIZER_NAMES } from '../../runner/lib/prompts/index.ts';
import { corpusFor, needsReference, referenceModelPresent } from './helpers.ts';

describe('counting tokenizers', () => {
  it('rejects an unknown name, listing the known ones', async () => {
    await expect(loadCountingTokenizer('bert')).rejects.toThrow(/unknown tokenizer "bert"; one of o200k, llama3, reference-tiny, reference-default/);
  });

  it('loads each tokenizer once (cached) and counts without BOS/EOS', async () => {
    for (const name of ['o200k', 'llama3'] as const) {
      const tok = await loadCountingTokenizer(name);
      expect(await loadCountingTokenizer(name)).toBe(tok);
      expect(tok.name).toBe(name);
      expect(tok.count('')).toBe(0);
      expect(tok.count('Hello')).toBe(1);
      expect(tok.decode(tok.encode('안녕하세요, 세계!'))).toBe('안녕하세요, 세계!');
    }
    expect(TOKENIZER_NAMES).toEqual(['o200k', 'llama3', 'reference-tiny', 'reference-default']);
  });

  it('encoding memoized per space-separated chunk gives exactly the libraries\' ids', () => {
    const tricky = [
      "it's  a  test", 'a   b', 'x 1234 5678 y', 'end .\n\n Next', ' leading', 'trailing ', 'tab\tsep x', 'a\n b', 'emoji 🍞 빵 ok',
      "I'M HERE 'S", 'a - b -- c', "word's 're", '  two  spaces  ', 'x ’s y', '中文 测试 한글 テスト', 'a .b', 'x\u00a0y z', 'hello   \nworld', '$ 100', "a 's",
    ];
    const corpora = (['en', 'ko'] as const).map((l) => corpusFor(l) ?? loadCorpus(l));
    const raws = [(s: string) => rawO200k(s), (s: string) => llama3.encode(s, { bos: false, eos: false })];
    for (const raw of raws) {
      const memo = memoizedEncode(raw);
      for (const t of [...tricky, ...corpora, ...corpora]) expect(memo(t)).toEqual(raw(t));
    }
  });

  it('o200k decode is lossless on the corpus and has no state between calls', async () => {
    const tok = await loadCountingTokenizer('o200k');
    const ko = corpusFor('ko') ?? loadCorpus('ko');
    expect(tok.decode(tok.encode(ko))).toBe(ko);
    // "뷁" is two o200k tokens: decoding only the first leaves half a syllable. gpt-tokenizer's own decode keeps those
    // bytes in a shared stream decoder and prints them at the start of the next call; ours must not.
    const ids = tok.encode('뷁 가나다');
    expect(tok.decode(ids.slice(0, 1))).toMatch(/\uFFFD$/);
    expect(tok.decode(tok.encode('가나다'))).toBe('가나다');
    const decode = makeO200kDecode(['a', [0xea, 0xb0], [0x80]], () => '<|special|>');
    expect(decode([0, 1, 2, 9])).toBe('a가<|special|>');
    expect(decode([1])).toBe('\uFFFD');
    expect(decode([0])).toBe('a');
  });

  it.skipIf(!referenceModelPresent)(needsReference('reference tokenizers load lazily and cut exactly'), async () => {
    for (const name of ['reference-tiny', 'reference-default'] as const) {
      const tok = await loadCountingTokenizer(name);
      expect(tok.name).toBe(name);
      expect(tok.decode(tok.encode('도서관 library 123'))).toBe('도서관 library 123');
    }
  });
});
