import { describe, expect, it } from 'vitest';
import { ndjsonFramer, sseFramer, type FramedEvent } from '../../runner/lib/client/framing.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('SSE framing', () => {
  it('joins events split across reads and stamps each with the read that completed it', () => {
    const f = sseFramer();
    const out: FramedEvent[] = [];
    f.push(enc('data: {"a":'), 1, out);
    expect(out).toEqual([]);
    f.push(enc('1}\n\ndata: {"b":2}\n\nda'), 2, out);
    f.push(enc('ta: [DONE]\n\n'), 3, out);
    expect(out).toEqual([
      { kind: 'data', text: '{"a":1}', arrival: 2 },
      { kind: 'data', text: '{"b":2}', arrival: 2 },
      { kind: 'data', text: '[DONE]', arrival: 3 },
    ]);
  });

  it('handles CRLF, comments (keep-alive), multi-line data and a multi-byte character split across reads', () => {
    const f = sseFramer();
    const out: FramedEvent[] = [];
    const bytes = enc(': ping\r\ndata: {"t":\r\ndata: "한"}\r\n\r\n');
    // Split inside the 3-byte UTF-8 sequence of 한.
    const cut = bytes.indexOf(0xed) + 1;
    f.push(bytes.slice(0, cut), 1, out);
    f.push(bytes.slice(cut), 2, out);
    expect(out).toEqual([{ kind: 'data', text: '{"t":\n"한"}', arrival: 2 }]);
  });

  it("reports llama.cpp's old `error:` field as an error event", () => {
    const f = sseFramer();
    const out: FramedEvent[] = [];
    f.push(enc('error: {"code":500,"message":"boom"}\n\n'), 5, out);
    expect(out).toEqual([{ kind: 'error', text: '{"code":500,"message":"boom"}', arrival: 5 }]);
  });

  it('keeps an unterminated last event for the caller', () => {
    const f = sseFramer();
    const out: FramedEvent[] = [];
    f.push(enc('data: {"x":1}\n'), 1, out);
    expect(out).toEqual([]);
    expect(f.rest()).toBe('{"x":1}');
  });
});

describe('NDJSON framing', () => {
  it('splits lines across reads and skips blank lines', () => {
    const f = ndjsonFramer();
    const out: FramedEvent[] = [];
    f.push(enc('{"a":1}\n\n{"b"'), 1, out);
    f.push(enc(':2}\n{"c":3}'), 2, out);
    expect(out.map((e) => [e.text, e.arrival])).toEqual([
      ['{"a":1}', 1],
      ['{"b":2}', 2],
    ]);
    expect(f.rest()).toBe('{"c":3}');
  });
});
