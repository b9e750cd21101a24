// The pre-tokenizer llama.cpp applies for `tokenizer.ggml.pre = "gpt-2"`. llama.cpp does not run the regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// but a hand-written equivalent (unicode_regex_split_custom_gpt2 in src/unicode.cpp). This is a port of that
// function, because the JS regex engine's `\s` differs from llama.cpp's whitespace table (U+0085, U+FEFF), and the
// client-side token counts must equal the server's exactly.

const C_OUT = 0;
const C_LETTER = 1;
const C_NUMBER = 2;
const C_SPACE = 3;
const C_OTHER = 4;
type CharClass = typeof C_OUT | typeof C_LETTER | typeof C_NUMBER | typeof C_SPACE | typeof C_OTHER;

// llama.cpp's unicode_set_whitespace.
const WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

const LETTER_RE = /^\p{L}$/u;
const NUMBER_RE = /^\p{N}$/u;

function classifyUncached(cp: number): CharClass {
  if (WHITESPACE.has(cp)) return C_SPACE;
  const ch = String.fromCodePoint(cp);
  if (LETTER_RE.test(ch)) return C_LETTER;
  if (NUMBER_RE.test(ch)) return C_NUMBER;
  return C_OTHER;
}

const ASCII_CLASS: readonly CharClass[] = Array.from({ length: 128 }, (_, cp) => classifyUncached(cp));
const classCache = new Map<number, CharClass>();

export function classify(cp: number): CharClass {
  if (cp < 128) return ASCII_CLASS[cp]!;
  if (cp >= 0xac00 && cp <= 0xd7a3) return C_LETTER; // Hangul syllables: the Korean corpus's hot path
  let c = classCache.get(cp);
  if (c === undefined) {
    c = classifyUncached(cp);
    classCache.set(cp, c);
  }
  return c;
}

/** Code points of a JS string, with lone surrogates replaced by U+FFFD as the UTF-8 conversion into llama.cpp does. */
export function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out.push(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
  }
  return out;
}

const APOS = 0x27;
const SPACE = 0x20;

/** Splits code points into pre-token words; returns the end offset (exclusive) of each word. */
export function splitOffsets(cpts: readonly number[]): number[] {
  const n = cpts.length;
  const ends: number[] = [];
  const cls = (pos: number): CharClass => (pos < n ? classify(cpts[pos]!) : C_OUT);
  let prevEnd = 0;
  const add = (end: number): number => {
    const len = end - prevEnd;
    if (len > 0) ends.push(end);
    prevEnd = end;
    return len;
  };

  for (let pos = 0; pos < n; ) {
    const cpt = cpts[pos]!;
    if (cpt === APOS && pos + 1 < n) {
      const next = cpts[pos + 1]!;
      if (next === 0x73 || next === 0x74 || next === 0x6d || next === 0x64) {
        pos += add(pos + 2);
        continue;
      }
      if (pos + 2 < n) {
        const nn = cpts[pos + 2]!;
        if ((next === 0x72 && nn === 0x65) || (next === 0x76 && nn === 0x65) || (next === 0x6c && nn === 0x6c)) {
          pos += add(pos + 3);
          continue;
        }
      }
    }

    let c2 = cpt === SPACE ? cls(pos + 1) : cls(pos);
    if (c2 === C_LETTER || c2 === C_NUMBER || c2 === C_OTHER) {
      const want = c2;
      if (cpt === SPACE) pos++;
      while (c2 === want) c2 = cls(++pos);
      add(pos);
      continue;
    }

    let spaces = 0;
    while (cls(pos + spaces) === C_SPACE) spaces++;
    if (spaces > 1 && pos + spaces < n) {
      // \s+(?!\S): leave the last whitespace to prefix the next word
      pos += spaces - 1;
      add(pos);
      continue;
    }
    if (spaces > 0) {
      pos += spaces;
      add(pos);
      continue;
    }
    add(++pos);
  }
  return ends;
}

/** The pre-token words of a text. */
export function pretokenize(text: string): string[] {
  const cpts = codePoints(text);
  const words: string[] = [];
  let start = 0;
  for (const end of splitOffsets(cpts)) {
    words.push(fromCodePoints(cpts, start, end));
    start = end;
  }
  return words;
}

function fromCodePoints(cpts: readonly number[], start: number, end: number): string {
  // Chunked so that a pathological 100k-character "word" does not overflow the argument stack.
  let s = '';
  for (let i = start; i < end; i += 4096) s += String.fromCodePoint(...cpts.slice(i, Math.min(end, i + 4096)));
  return s;
}
