import { describe, expect, it } from 'vitest';
import { TextStream } from '../../runner/lib/reference/server/text.ts';
import type { Tokenizer } from '../../runner/lib/reference/model/index.ts';

// Token ids are UTF-8 bytes here, so a character can be split across tokens exactly as byte-level BPE splits it.
const bytes: Tokenizer = {
  encode: (s) => [...new TextEncoder().encode(s)],
  decode: (ids) => new TextDecoder().decode(new Uint8Array(ids)),
  vocabSize: 256,
  special: { endOfText: 0, imStart: 1, imEnd: 2 },
};
const stream = (text: string, stops: string[] = []) => {
  const s = new TextStream(bytes, stops);
  const pieces: string[] = [];
  for (const id of bytes.encode(text)) {
    const { piece, stopped } = s.push(id);
    if (piece) pieces.push(piece);
    if (stopped) break;
  }
  const tail = s.flush();
  if (tail) pieces.push(tail);
  return { pieces, stopped: s.stopped };
};

describe('TextStream', () => {
  it('holds a split Hangul syllable until it completes, never sending U+FFFD', () => {
    const { pieces } = stream('가a나');
    expect(pieces).toEqual(['가', 'a', '나']);
  });
  it('cuts at a stop string, even one straddling two pieces', () => {
    expect(stream('hello END world', ['END'])).toEqual({ pieces: ['h', 'e', 'l', 'l', 'o', ' '], stopped: true });
    // A held prefix that turns out not to be the stop string is sent after all.
    expect(stream('ENx', ['END']).pieces.join('')).toBe('ENx');
  });
  it('flushes an invalid byte sequence as U+FFFD instead of waiting forever', () => {
    const s = new TextStream(bytes, []);
    expect(s.push(0xea).piece).toBe('');
    expect(s.flush()).toBe('\uFFFD');
  });
});
