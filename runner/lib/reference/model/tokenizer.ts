// The vocabulary stored in the GGUF and a JS tokenizer that reproduces llama.cpp's tokenization of it token for
// token, so clients can count and cut prompts without asking the server.

import { bytesToSymbolText, pushUtf8, symbolTextToBytes } from './bytes.ts';
import { latin1, type BpeResult } from './bpe.ts';
import { createHeap } from './heap.ts';
import { codePoints, splitOffsets } from './pretokenize.ts';

export const TOKEN_TYPE_NORMAL = 1;
export const TOKEN_TYPE_CONTROL = 3;

export const END_OF_TEXT = '<|endoftext|>';
export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

export interface SpecialTokenIds {
  /** `<|endoftext|>`: BOS and padding. */
  endOfText: number;
  imStart: number;
  /** `<|im_end|>`: EOS, ends a ChatML turn. */
  imEnd: number;
}

export interface Vocabulary {
  /** GGUF `tokenizer.ggml.tokens`: byte-level symbol text for normal tokens, literal text for control tokens. */
  tokens: readonly string[];
  /** GGUF `tokenizer.ggml.token_type`. */
  tokenTypes: readonly number[];
  /** GGUF `tokenizer.ggml.merges`: "left right" in rank order. */
  merges: readonly string[];
  special: SpecialTokenIds;
}

export interface EncodeOptions {
  /** Parse `<|im_start|>` and friends as control tokens (node-llama-cpp `tokenize(text, true)`). Default false. */
  specialTokens?: boolean;
}

export interface DecodeOptions {
  /** Render control tokens as their text instead of dropping them (node-llama-cpp `detokenize(ids, true)`). */
  specialTokens?: boolean;
  /**
   * Apply llama.cpp's clean_up_tokenization_spaces, which its detokenizer does for the "gpt-2" pre-tokenizer
   * (" ." → ".", " 's" → "'s", …). Off by default: the plain byte decode is lossless, so decode(encode(x)) === x.
   */
  cleanSpaces?: boolean;
}

export interface Tokenizer {
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  vocabSize: number;
  special: SpecialTokenIds;
}

const PAD_PREFIX = '[pad';

/** Lays out the vocabulary: trained tokens, normal padding up to the target size, then the three control tokens. */
export function buildVocabulary(bpe: BpeResult, vocabSize: number): Vocabulary {
  const normal = vocabSize - 3;
  if (bpe.tokenBytes.length > normal) throw new RangeError(`BPE produced ${bpe.tokenBytes.length} tokens, more than ${normal}`);
  const tokens = bpe.tokenBytes.map((b) => bytesToSymbolText(b));
  // Padding is normal, not control: llama.cpp detokenizes control tokens to "", which would stream empty chunks.
  // Its printable ASCII is its own byte-level form, so it decodes to itself.
  for (let i = 0; tokens.length < normal; i++) tokens.push(`${PAD_PREFIX}${i}]`);
  const tokenTypes = tokens.map(() => TOKEN_TYPE_NORMAL);
  const special: SpecialTokenIds = { endOfText: normal, imStart: normal + 1, imEnd: normal + 2 };
  tokens.push(END_OF_TEXT, IM_START, IM_END);
  tokenTypes.push(TOKEN_TYPE_CONTROL, TOKEN_TYPE_CONTROL, TOKEN_TYPE_CONTROL);
  if (new Set(tokens).size !== tokens.length) throw new Error('vocabulary has duplicate token texts');
  const merges = bpe.merges.map(([a, b]) => `${tokens[a]!} ${tokens[b]!}`);
  return { tokens, tokenTypes, merges, special };
}

interface Bigram {
  rank: number;
  left: number;
  right: number;
  leftId: number;
  rightId: number;
}

// llama.cpp's llm_bigram_bpe::comparator: lowest rank, then leftmost.
const bigramFirst = (x: Bigram, y: Bigram): boolean => (x.rank !== y.rank ? x.rank < y.rank : x.left < y.left);

const WORD_CACHE_LIMIT = 100_000;

export function createTokenizer(vocab: Vocabulary): Tokenizer {
  const n = vocab.tokens.length;
  const idByText = new Map<string, number>();
  vocab.tokens.forEach((t, id) => {
    if (vocab.tokenTypes[id] === TOKEN_TYPE_NORMAL) idByText.set(t, id);
  });
  const bytesOf: Uint8Array[] = vocab.tokens.map((t, id) =>
    vocab.tokenTypes[id] === TOKEN_TYPE_NORMAL ? symbolTextToBytes(t) : new TextEncoder().encode(t),
  );
  // (left id, right id) → rank and result id; by ids rather than texts because texts are unique per id.
  const rankOf = new Map<number, number>();
  const resultOf = new Map<number, number>();
  vocab.merges.forEach((m, rank) => {
    const sp = m.indexOf(' ', 1);
    const l = idByText.get(m.slice(0, sp));
    const r = idByText.get(m.slice(sp + 1));
    const res = idByText.get(m.slice(0, sp) + m.slice(sp + 1));
    if (l === undefined || r === undefined || res === undefined) throw new Error(`merge with unknown token: ${m}`);
    const k = l * n + r;
    if (!rankOf.has(k)) {
      rankOf.set(k, rank);
      resultOf.set(k, res);
    }
  });

  const cache = new Map<string, number[]>();
  const encodeWord = (bytes: readonly number[]): number[] => {
    const len = bytes.length;
    const ids = Int32Array.from(bytes); // byte b is token b
    const next = Int32Array.from({ length: len }, (_, i) => (i + 1 < len ? i + 1 : -1));
    const prev = Int32Array.from({ length: len }, (_, i) => i - 1);
    const alive = new Uint8Array(len).fill(1);
    const heap = createHeap<Bigram>(bigramFirst);
    const offer = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const rank = rankOf.get(ids[left]! * n + ids[right]!);
      if (rank !== undefined) heap.push({ rank, left, right, leftId: ids[left]!, rightId: ids[right]! });
    };
    for (let i = 0; i + 1 < len; i++) offer(i, i + 1);
    for (let bg = heap.pop(); bg; bg = heap.pop()) {
      const { left, right } = bg;
      if (!alive[left] || !alive[right] || ids[left] !== bg.leftId || ids[right] !== bg.rightId) continue;
      ids[left] = resultOf.get(bg.leftId * n + bg.rightId)!;
      alive[right] = 0;
      next[left] = next[right]!;
      if (next[right]! >= 0) prev[next[right]!] = left;
      offer(prev[left]!, left);
      offer(left, next[left]!);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0 && i < len; i = next[i]!) out.push(ids[i]!);
    return out;
  };

  const encodePlain = (text: string, out: number[]): void => {
    const cpts = codePoints(text);
    let start = 0;
    for (const end of splitOffsets(cpts)) {
      const bytes: number[] = [];
      for (let i = start; i < end; i++) pushUtf8(bytes, cpts[i]!);
      start = end;
      const key = latin1(bytes);
      let ids = cache.get(key);
      if (!ids) {
        ids = encodeWord(bytes);
        if (cache.size >= WORD_CACHE_LIMIT) cache.clear();
        cache.set(key, ids);
      }
      for (const id of ids) out.push(id);
    }
  };

  const specials = [
    [END_OF_TEXT, vocab.special.endOfText],
    [IM_START, vocab.special.imStart],
    [IM_END, vocab.special.imEnd],
  ] as const;
  const specialRe = new RegExp(specials.map(([t]) => escapeRegExp(t)).join('|'), 'g');
  const specialId = new Map<string, number>(specials);

  return {
    vocabSize: n,
    special: vocab.special,
    encode(text, opts) {
      const out: number[] = [];
      if (!opts?.specialTokens) {
        encodePlain(text, out);
        return out;
      }
      let last = 0;
      for (const m of text.matchAll(specialRe)) {
        encodePlain(text.slice(last, m.index), out);
        out.push(specialId.get(m[0])!);
        last = m.index + m[0].length;
      }
      encodePlain(text.slice(last), out);
      return out;
    },
    decode(ids, opts) {
      const parts: Uint8Array[] = [];
      let total = 0;
      for (const id of ids) {
        const b = bytesOf[id];
        if (!b) throw new RangeError(`token id ${id} outside the vocabulary of ${n}`);
        if (vocab.tokenTypes[id] !== TOKEN_TYPE_NORMAL && !opts?.specialTokens) continue;
        parts.push(b);
        total += b.length;
      }
      let bytes: Uint8Array = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        bytes.set(p, o);
        o += p.length;
      }
      if (opts?.cleanSpaces) bytes = cleanSpaces(bytes);
      return new TextDecoder().decode(bytes);
    },
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const SP = 0x20;
const APO = 0x27;

/** Port of the clean_spaces passes at the end of llama_vocab::impl::detokenize, on bytes as llama.cpp does. */
export function cleanSpaces(input: Uint8Array): Uint8Array {
  const t = Uint8Array.from(input);
  let total = t.length;

  // " ?", " !", " .", " ," lose the space
  const total1 = total;
  total = total ? 1 : 0;
  for (let i = 1; i < total1; i++) {
    const x = t[i]!;
    if (t[i - 1] === SP && (x === 0x3f || x === 0x21 || x === 0x2e || x === 0x2c)) total--;
    t[total++] = x;
  }

  // " ' " loses both spaces
  const total2 = total;
  total = total ? 1 : 0;
  for (let i = 1; i < total2; i++) {
    const x = t[i]!;
    if (x === APO && i + 1 < total2 && t[i - 1] === SP && t[i + 1] === SP) {
      total--;
      t[++i] = 0;
    }
    t[total++] = x;
  }

  // " 's", " 'm", " 're", " 've" lose the space
  const total3 = total;
  total = total ? 1 : 0;
  for (let i = 1; i < total3; i++) {
    const x = t[i]!;
    if (t[i - 1] === SP && x === APO && i + 1 < total3) {
      const x1 = t[i + 1]!;
      if (x1 === 0x73 || x1 === 0x6d) total--;
      else if (i + 2 < total3) {
        const x2 = t[i + 2]!;
        if ((x1 === 0x72 && x2 === 0x65) || (x1 === 0x76 && x2 === 0x65)) total--;
      }
    }
    t[total++] = x;
  }
  return t.subarray(0, total);
}
