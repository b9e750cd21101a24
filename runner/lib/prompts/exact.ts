// Prompts of an exact token length, cut from the project's own filler corpora with the target model's tokenizer.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CountingTokenizer } from './tokenizers.ts';

export const LANGUAGES = ['en', 'ko'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Paragraphs are joined with this, inside the corpus and where a prompt wraps around its end. */
const PARAGRAPH = '\n\n';

export function corpusPath(language: Language): string {
  return fileURLToPath(new URL(`./corpus/${language}.txt`, import.meta.url));
}

/**
 * Paragraphs kept (prompts read as prose), whitespace inside a paragraph collapsed to one space (so a word start is
 * unambiguous), U+FFFD removed (the cut uses it to spot a split character).
 */
export function normalizeCorpus(raw: string): string {
  return raw
    .replace(/\uFEFF|\uFFFD/g, '')
    .split(/\r?\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '')
    .join(PARAGRAPH);
}

const corpora = new Map<Language, string>();

/**
 * The filler corpus of a language, normalized; read once per process. A `read` function replaces the file system
 * (tests) and bypasses the cache.
 */
export function loadCorpus(language: Language, read?: (path: string) => string): string {
  if (!(LANGUAGES as readonly string[]).includes(language)) throw new Error(`unknown prompt language "${language}"; one of ${LANGUAGES.join(', ')}`);
  const cached = read === undefined ? corpora.get(language) : undefined;
  if (cached !== undefined) return cached;
  const path = corpusPath(language);
  let text: string;
  try {
    text = normalizeCorpus((read ?? ((p: string) => readFileSync(p, 'utf8')))(path));
  } catch (err) {
    throw new Error(`cannot read the ${language} filler corpus ${path}: ${(err as Error).message}`);
  }
  if (text === '') throw new Error(`the ${language} filler corpus ${path} is empty`);
  if (read === undefined) corpora.set(language, text);
  return text;
}

const starts = new Map<string, number[]>();

/** Indices where a word begins (a non-space after a space, or the very start). */
export function wordStarts(corpus: string): number[] {
  let s = starts.get(corpus);
  if (s === undefined) {
    s = [];
    for (let i = 0; i < corpus.length; i++) if (!/\s/.test(corpus[i]!) && (i === 0 || /\s/.test(corpus[i - 1]!))) s.push(i);
    // A handful of corpora per process (two languages, a few framed variants in tests): keep the cache small.
    if (starts.size > 16) starts.clear();
    starts.set(corpus, s);
  }
  return s;
}

/** Word indices (into wordStarts) where a sentence or paragraph begins: the nicest places for a prompt to start. */
export function sentenceStarts(corpus: string): number[] {
  return wordStarts(corpus).flatMap((at, w) => (w === 0 || /[.!?]\s$|\n$/.test(corpus.slice(Math.max(0, at - 2), at)) ? [w] : []));
}

/**
 * `list` reordered by walking it from its middle with a prime stride that does not divide its length: consecutive
 * picks land far apart in the corpus, and every element comes up once.
 */
export function spread<T>(list: readonly T[], stride = 211): T[] {
  let s = stride;
  while (list.length % s === 0) s += 2;
  return list.map((_, k) => list[(Math.floor(list.length / 2) + k * s) % list.length]!);
}

/** `chars` characters of the corpus from `start`, wrapping around to its beginning as a new paragraph. */
function windowFrom(corpus: string, start: number, chars: number): string {
  const parts = [corpus.slice(start)];
  let len = parts[0]!.length;
  while (len < chars) {
    parts.push(PARAGRAPH, corpus);
    len += PARAGRAPH.length + corpus.length;
  }
  return parts.join('').slice(0, chars);
}

function commonPrefixLength(a: string, b: string, from: number): number {
  const n = Math.min(a.length, b.length);
  let i = from;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** The text a token prefix stands for, cut back to whole characters and without trailing whitespace. */
function cleanEnd(text: string): string {
  let t = text.replace(/\s+$/, '');
  // A lone high surrogate is half a character (an emoji split by the cut).
  if (/[\uD800-\uDBFF]$/.test(t)) t = t.slice(0, -1);
  return t;
}

/**
 * `text(m)`: the window text covered by its first m tokens, for m ≥ `from`, on whole characters. The decode of a
 * token prefix can end inside a character (a Hangul syllable is 3 UTF-8 bytes, often 2 tokens); it then disagrees
 * with the window from the split character on, and the common prefix is the clean text. The head up to `from` is
 * decoded once, on a character boundary, so each candidate decodes only its last few tokens.
 */
function prefixTexts(tok: CountingTokenizer, window: string, ids: readonly number[], from: number): (m: number) => string {
  let h = Math.max(0, from);
  let head = '';
  for (; h > 0; h--) {
    head = tok.decode(ids.slice(0, h));
    if (window.startsWith(head)) break;
  }
  if (h === 0) head = '';
  return (m) => {
    const decoded = m >= h ? head + tok.decode(ids.slice(h, m)) : tok.decode(ids.slice(0, m));
    return cleanEnd(window.slice(0, commonPrefixLength(decoded, window, m >= h ? head.length : 0)));
  };
}

interface Frame {
  before: string;
  after: string;
}

/** Slack either side of the first guess: bodies whose count is checked before giving up on a start position. */
const SPAN = 16;

/**
 * A body of the window such that before + body + after has exactly `n` tokens, or null when no token prefix of this
 * window gives one (a character worth two tokens straddles the boundary: the caller starts a word later).
 * Cost: one full count in the common case; candidates are first judged on their last few hundred characters, because
 * tokenization does not look across a space, and only a promising one is counted in full.
 */
function cutWindow(tok: CountingTokenizer, window: string, ids: readonly number[], n: number, m0: number, frame: Frame): string | null {
  const full = (body: string): string => frame.before + body + frame.after;
  const text = prefixTexts(tok, window, ids, m0 - SPAN - 4);
  const body0 = text(m0);
  const c0 = tok.count(full(body0));
  if (c0 === n && body0 !== '') return full(body0);
  // Split the estimate at a space well before the end: everything before it is shared by all candidates.
  const ws = Math.max(body0.lastIndexOf(' ', body0.length - 200), body0.lastIndexOf('\n', body0.length - 200));
  const p = ws > 0 ? ws : 0;
  const tail = (body: string): string => (p === 0 ? frame.before : '') + body.slice(p) + frame.after;
  const shared = c0 - tok.count(tail(body0));
  const guess = m0 + (n - c0);
  const ms: number[] = [];
  for (let d = 0; d <= SPAN; d++) for (const m of d === 0 ? [guess] : [guess + d, guess - d]) if (m >= 1 && m < ids.length - 1) ms.push(m);
  const seen = new Set<string>([body0]);
  let checks = 0;
  for (const m of ms) {
    const body = text(m);
    if (body === '' || seen.has(body)) continue;
    seen.add(body);
    if (shared + tok.count(tail(body)) !== n) continue;
    if (tok.count(full(body)) === n) return full(body);
    if (++checks >= 4) break;
  }
  return null;
}

export interface ExactPromptOptions {
  language: Language;
  tokens: number;
  tokenizer: CountingTokenizer;
  /**
   * Where in the corpus to start, counted in words (wrapped around the corpus): prompts at different offsets differ,
   * the same offset gives the same prompt. Words rather than characters, so a prompt never starts mid-word.
   */
  offset?: number;
  /** The filler text to cut instead of the language's corpus (tests, or a caller's own material). */
  corpus?: string;
  /** Fixed text before / after the filler, counted in the total: a lead-in or a closing question. */
  before?: string;
  after?: string;
}

/**
 * Text of exactly `tokens` tokens under the tokenizer (the cut is checked by re-encoding it), made of corpus text from
 * a word start, wrapped around the corpus if it is too short, and ending on whole characters. The cut is at token
 * granularity: the first N tokens of the window, decoded; when that decode splits a character or the re-encoded
 * prefix counts differently, nearby token prefixes are tried, then a start one word later.
 */
export function exactTokenPrompt(opts: ExactPromptOptions): { text: string; tokens: number } {
  const n = opts.tokens;
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`prompt length must be an integer ≥ 1 token, got ${n}`);
  const tok = opts.tokenizer;
  const corpus = opts.corpus === undefined ? loadCorpus(opts.language) : normalizeCorpus(opts.corpus);
  if (corpus === '') throw new Error('the filler text to cut a prompt from is empty');
  const frame: Frame = { before: opts.before ?? '', after: opts.after ?? '' };
  const frameTokens = tok.count(frame.before) + tok.count(frame.after);
  const m0 = n - frameTokens;
  if (m0 < 1) throw new Error(`the fixed text around the filler already has ${frameTokens} tokens, no room in ${n}`);
  const words = wordStarts(corpus);
  const offset = Math.trunc(opts.offset ?? 0);
  for (let shift = 0; shift < 32; shift++) {
    const start = words[(((offset + shift) % words.length) + words.length) % words.length]!;
    // Size the window from this spot's characters per token, so one encode usually covers N tokens and a margin.
    const sample = windowFrom(corpus, start, 2000);
    const perToken = sample.length / Math.max(1, tok.count(sample));
    let chars = Math.ceil((m0 + SPAN + 8) * perToken * 1.15) + 64;
    for (;;) {
      const window = windowFrom(corpus, start, chars);
      const ids = tok.encode(window);
      if (ids.length >= m0 + SPAN + 2) {
        const text = cutWindow(tok, window, ids, n, m0, frame);
        if (text !== null) return { text, tokens: n };
        break;
      }
      chars = Math.ceil((chars * (m0 + SPAN + 8)) / Math.max(1, ids.length) * 1.25) + 64;
    }
  }
  throw new Error(`could not cut an exact ${n}-token ${opts.language} prompt with ${tok.name} (32 start positions tried)`);
}
