// Tokenizers that cut prompts to an exact length for the model under test: gpt-oss's o200k family, Llama 3.1's own,
// and the reference model's (the same vocabulary llama.cpp loads from the generated GGUF).
import { decode as o200kDecode, encode as o200kEncode } from 'gpt-tokenizer/encoding/o200k_base';
import llama3 from 'llama3-tokenizer-js';

export const TOKENIZER_NAMES = ['o200k', 'llama3', 'reference-tiny', 'reference-default'] as const;
export type TokenizerName = (typeof TOKENIZER_NAMES)[number];

export interface CountingTokenizer {
  name: TokenizerName;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  count(text: string): number;
}

function make(name: TokenizerName, encode: (t: string) => number[], decode: (ids: readonly number[]) => string): CountingTokenizer {
  return { name, encode, decode, count: (t) => (t === '' ? 0 : encode(t).length) };
}

const cache = new Map<TokenizerName, Promise<CountingTokenizer>>();

export function loadCountingTokenizer(name: string): Promise<CountingTokenizer> {
  if (!(TOKENIZER_NAMES as readonly string[]).includes(name)) {
    return Promise.reject(new Error(`unknown tokenizer "${name}"; one of ${TOKENIZER_NAMES.join(', ')}`));
  }
  const key = name as TokenizerName;
  let t = cache.get(key);
  if (t === undefined) {
    t = (async () => {
      switch (key) {
        case 'o200k':
          return make(key, (s) => o200kEncode(s), (ids) => o200kDecode([...ids]));
        case 'llama3':
          return make(key, (s) => llama3.encode(s, { bos: false, eos: false }), (ids) => llama3.decode([...ids]));
        case 'reference-tiny':
        case 'reference-default': {
          const { loadTokenizer } = await import('../reference/model/index.ts');
          const tok = await loadTokenizer(key === 'reference-tiny' ? 'tiny' : 'default');
          return make(key, (s) => tok.encode(s), (ids) => tok.decode(ids));
        }
      }
    })();
    cache.set(key, t);
  }
  return t;
}
