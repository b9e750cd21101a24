// GPT-2's byte-level alphabet: every byte gets a printable code point so that token texts and merges stored in the
// GGUF are valid UTF-8 without spaces (llama.cpp splits each merge line on its first space). The table must be
// llama.cpp's unicode_byte_to_utf8_map exactly, or its detokenizer maps our token texts to the wrong bytes.

function buildByteToCodePoint(): readonly number[] {
  const map = new Array<number>(256).fill(-1);
  const keep = (lo: number, hi: number): void => {
    for (let b = lo; b <= hi; b++) map[b] = b;
  };
  keep(0x21, 0x7e);
  keep(0xa1, 0xac);
  keep(0xae, 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (map[b] === -1) map[b] = 256 + n++;
  }
  return map;
}

/** Byte value → code point of its printable stand-in. */
export const BYTE_TO_CODE_POINT: readonly number[] = buildByteToCodePoint();

/** Printable stand-in → byte value. */
export const CODE_POINT_TO_BYTE: ReadonlyMap<number, number> = new Map(BYTE_TO_CODE_POINT.map((cp, b) => [cp, b]));

/** The printable form of a byte string, as stored in `tokenizer.ggml.tokens` and `tokenizer.ggml.merges`. */
export function bytesToSymbolText(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCodePoint(BYTE_TO_CODE_POINT[bytes[i]!]!);
  return s;
}

/** Inverse of bytesToSymbolText; throws on a code point outside the alphabet (llama.cpp would throw too). */
export function symbolTextToBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = CODE_POINT_TO_BYTE.get(ch.codePointAt(0)!);
    if (b === undefined) throw new Error(`not a byte-level symbol: ${JSON.stringify(ch)}`);
    out.push(b);
  }
  return Uint8Array.from(out);
}

/** UTF-8 bytes of one code point (lone surrogates must already be replaced). */
export function pushUtf8(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
}
