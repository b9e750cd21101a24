// Deterministic byte-level BPE training. Token ids 0–255 are the bytes themselves; every merge appends the token its
// two parts concatenate to (or reuses it when an earlier merge already produced the same bytes, so token texts stay
// unique, which llama.cpp's text→id map requires).
//
// Speed: pair counts are kept over unique pre-token words weighted by frequency and updated only for the words that
// contain the merged pair; the best pair comes from a lazily-invalidated heap. Ties are broken by the lower left id,
// then the lower right id, so the result depends on nothing but the input texts and the target size.

import { pushUtf8 } from './bytes.ts';
import { createHeap } from './heap.ts';
import { codePoints, splitOffsets } from './pretokenize.ts';

export interface BpeResult {
  /** Bytes of each normal token, by id. */
  tokenBytes: Uint8Array[];
  /** Merges in rank order, as [left id, right id]. */
  merges: Array<[number, number]>;
}

/** Counts pre-token words (as UTF-8 byte strings keyed in latin1 form) over all texts, in first-seen order. */
export function countWords(texts: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    const cpts = codePoints(text);
    let start = 0;
    for (const end of splitOffsets(cpts)) {
      const bytes: number[] = [];
      for (let i = start; i < end; i++) pushUtf8(bytes, cpts[i]!);
      const key = latin1(bytes);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      start = end;
    }
  }
  return counts;
}

/** One char per byte: a cheap, exact Map key for a byte string. */
export function latin1(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...Array.prototype.slice.call(bytes, i, Math.min(bytes.length, i + 4096)) as number[]);
  }
  return s;
}

const pairKey = (a: number, b: number): number => a * 0x10000 + b;

interface Candidate {
  count: number;
  a: number;
  b: number;
}

// Higher count first; then lower ids, a fixed total order.
const better = (x: Candidate, y: Candidate): boolean =>
  x.count !== y.count ? x.count > y.count : x.a !== y.a ? x.a < y.a : x.b < y.b;

/** Learns merges until there are `targetTokens` normal tokens or no pair is left. */
export function trainBpe(texts: readonly string[], targetTokens: number): BpeResult {
  if (targetTokens < 256 || targetTokens > 0x10000) throw new RangeError(`targetTokens must be in [256, 65536], got ${targetTokens}`);
  const wordCounts = countWords(texts);
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [key, n] of wordCounts) {
    const w: number[] = [];
    for (let i = 0; i < key.length; i++) w.push(key.charCodeAt(i));
    words.push(w);
    freqs.push(n);
  }

  const tokenBytes: Uint8Array[] = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
  const idByBytes = new Map<string, number>(tokenBytes.map((t, id) => [latin1(t), id]));
  const merges: Array<[number, number]> = [];
  const merged = new Set<number>();

  const counts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const heap = createHeap<Candidate>(better);
  const touched = new Set<number>();
  const bump = (a: number, b: number, delta: number, word: number): void => {
    const k = pairKey(a, b);
    counts.set(k, (counts.get(k) ?? 0) + delta);
    touched.add(k);
    if (delta > 0) {
      let s = where.get(k);
      if (!s) where.set(k, (s = new Set()));
      s.add(word);
    }
  };
  const flush = (): void => {
    for (const k of touched) {
      const c = counts.get(k)!;
      if (c > 0) heap.push({ count: c, a: Math.floor(k / 0x10000), b: k % 0x10000 });
      else counts.delete(k);
    }
    touched.clear();
  };

  for (let w = 0; w < words.length; w++) {
    const word = words[w]!;
    for (let i = 0; i + 1 < word.length; i++) bump(word[i]!, word[i + 1]!, freqs[w]!, w);
  }
  flush();

  while (tokenBytes.length < targetTokens) {
    const top = heap.pop();
    if (!top) break;
    const k = pairKey(top.a, top.b);
    if (counts.get(k) !== top.count) continue; // stale entry
    const bytes = new Uint8Array(tokenBytes[top.a]!.length + tokenBytes[top.b]!.length);
    bytes.set(tokenBytes[top.a]!);
    bytes.set(tokenBytes[top.b]!, tokenBytes[top.a]!.length);
    const text = latin1(bytes);
    let id = idByBytes.get(text);
    if (id === undefined) {
      id = tokenBytes.length;
      tokenBytes.push(bytes);
      idByBytes.set(text, id);
    }
    // A pair can come back after its merge (via a token reused above); llama.cpp keeps the first rank of a pair.
    if (!merged.has(k)) {
      merged.add(k);
      merges.push([top.a, top.b]);
    }

    const holders = where.get(k);
    where.delete(k);
    for (const w of holders ?? []) {
      const old = words[w]!;
      const next: number[] = [];
      let hit = false;
      for (let i = 0; i < old.length; i++) {
        if (i + 1 < old.length && old[i] === top.a && old[i + 1] === top.b) {
          next.push(id);
          i++;
          hit = true;
        } else next.push(old[i]!);
      }
      if (!hit) continue;
      const f = freqs[w]!;
      for (let i = 0; i + 1 < old.length; i++) bump(old[i]!, old[i + 1]!, -f, w);
      for (let i = 0; i + 1 < next.length; i++) bump(next[i]!, next[i + 1]!, f, w);
      words[w] = next;
    }
    flush();
  }
  return { tokenBytes, merges };
}
