// Tokenizers that cut prompts to an exact length for the model under test: gpt-oss's o200k family, Llama 3.1's own,
// and the reference model's (the same vocabulary llama.cpp loads from the generated GGUF).
import o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { decode as o200kLibraryDecode, encode as o200kEncode } from 'gpt-tokenizer/encoding/o200k_base';
import llama3 from 'llama3-tokenizer-js';

export const TOKENIZER_NAMES = ['o200k', 'llama3', 'reference-tiny', 'reference-default'] as const;
export type TokenizerName = (typeof TOKENIZER_NAMES)[number];

/** Plain-text tokenization: no BOS/EOS and no chat template, so counts are of the text alone. */
export interface CountingTokenizer {
  name: TokenizerName;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  count(text: string): number;
}

export function isTokenizerName(name: string): name is TokenizerName {
  return (TOKENIZER_NAMES as readonly string[]).includes(name);
}

export function countingTokenizer(
  name: TokenizerName,
  encode: (text: string) => number[],
  decode: (ids: readonly number[]) => string,
): CountingTokenizer {
  return { name, encode, decode, count: (t) => (t === '' ? 0 : encode(t).length) };
}

/**
 * o200k decode from the rank table (token id → text or bytes). gpt-tokenizer 4.0's own decode() streams bytes through
 * one TextDecoder shared by every call and never flushes it: a decode that ends inside a character leaves its bytes
 * behind, and they come out as "\uFFFD" at the start of the next, unrelated decode. Cutting prompts decodes token
 * prefixes that end inside Hangul syllables all the time. Here every call starts clean, and a split character at the
 * end comes out as U+FFFD in that call only.
 */
export function makeO200kDecode(
  ranks: readonly (string | readonly number[])[] = o200kRanks,
  special: (id: number) => string = (id) => o200kLibraryDecode([id]),
): (ids: readonly number[]) => string {
  const utf8 = new TextEncoder();
  const bytes: Array<Uint8Array | undefined> = [];
  const bytesOf = (id: number): Uint8Array => {
    let b = bytes[id];
    if (b === undefined) {
      const r = ranks[id];
      // Ids past the rank table are special tokens (<|endoftext|>, Harmony's markers): plain strings.
      b = r === undefined ? utf8.encode(special(id)) : typeof r === 'string' ? utf8.encode(r) : Uint8Array.from(r);
      bytes[id] = b;
    }
    return b;
  };
  return (ids) => {
    const parts = ids.map(bytesOf);
    const all = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
    let o = 0;
    for (const b of parts) {
      all.set(b, o);
      o += b.length;
    }
    return new TextDecoder().decode(all);
  };
}

/** Chunks longer than this are encoded but not kept: the cache is for the words of prose, not for blobs. */
const MAX_CACHED_CHUNK = 256;
const MAX_CACHE_ENTRIES = 200_000;

/**
 * `encode` memoized per chunk, where a chunk boundary is a single space between two non-space characters. o200k's and
 * Llama 3's pre-tokenizers (like GPT-2's) never merge across that spot: the space always opens the next pre-token
 * (" word", " 123" as " " + "123", " ." as " ."), and no pre-token ends in a space that precedes a non-space. So
 * encoding chunk by chunk gives the same ids as encoding the text, and prose, whose chunks are words that recur
 * across prompts, is encoded once per distinct word. The test suite checks the equality on both corpora.
 */
export function memoizedEncode(encode: (text: string) => number[]): (text: string) => number[] {
  const cache = new Map<string, number[]>();
  return (text) => {
    const out: number[] = [];
    for (const chunk of text.split(/(?<=\S)(?= \S)/)) {
      let ids = cache.get(chunk);
      if (ids === undefined) {
        ids = encode(chunk);
        if (chunk.length <= MAX_CACHED_CHUNK) {
          if (cache.size >= MAX_CACHE_ENTRIES) cache.clear();
          cache.set(chunk, ids);
        }
      }
      for (const id of ids) out.push(id);
    }
    return out;
  };
}

async function referenceTokenizer(name: 'reference-tiny' | 'reference-default'): Promise<CountingTokenizer> {
  // Imported lazily: the reference model trains its vocabulary on first use, which o200k/llama3 users never need.
  let mod: typeof import('../reference/model/index.ts');
  try {
    mod = await import('../reference/model/index.ts');
  } catch (err) {
    throw new Error(`tokenizer "${name}" needs the reference model (runner/lib/reference/model/index.ts), which failed to load: ${(err as Error).message}`);
  }
  const tok = await mod.loadTokenizer(name === 'reference-tiny' ? 'tiny' : 'default');
  return countingTokenizer(name, (s) => tok.encode(s), (ids) => tok.decode(ids));
}

const cache = new Map<TokenizerName, Promise<CountingTokenizer>>();

/** The tokenizer by name, loaded once per process. `name` is usually user input, so it is checked here. */
export function loadCountingTokenizer(name: string): Promise<CountingTokenizer> {
  if (!isTokenizerName(name)) {
    return Promise.reject(new Error(`unknown tokenizer "${name}"; one of ${TOKENIZER_NAMES.join(', ')}`));
  }
  let t = cache.get(name);
  if (t === undefined) {
    t = (async (): Promise<CountingTokenizer> => {
      switch (name) {
        case 'o200k':
          return countingTokenizer(name, memoizedEncode((s) => o200kEncode(s)), makeO200kDecode());
        case 'llama3':
          return countingTokenizer(name, memoizedEncode((s) => llama3.encode(s, { bos: false, eos: false })), (ids) => llama3.decode([...ids]));
        case 'reference-tiny':
        case 'reference-default':
          return referenceTokenizer(name);
      }
    })();
    // A failed load is not cached: the next call tries again (e.g. after the model module appears).
    t.catch(() => cache.delete(name));
    cache.set(name, t);
  }
  return t;
}
