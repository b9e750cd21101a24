// The shape cache must never change a record: every stream below is replayed with it and without it, and the records
// must be identical. Streams are built to trip a naive template: escapes, quotes, decoy keys, duplicate keys, fields
// that change per event, literals that are not one string.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventShape, stringLiteral } from '../../runner/lib/client/shape.ts';
import { readOpenAIEvent } from '../../runner/lib/client/chunk.ts';
import { seededRng } from '../../runner/lib/random.ts';
import { DONE, replay } from './helpers.ts';

const PIECES = [' the', ' 모델', ' "quoted"', ' back\\slash', ' tab\there', ' line\nbreak', ' é', ' 🙂', '', ' a/b', ' }]', ' "content":"x"', '\u0000'];

/** JSON.stringify, or the same string with every non-ASCII character and `/` escaped, as some servers write it. */
function literal(s: string, escapeAll: boolean): string {
  const plain = JSON.stringify(s);
  return escapeAll ? plain.replace(/[^\x20-\x7e]|\//g, (c) => (c === '/' ? '\\/' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)) : plain;
}

type Shape = 'chat' | 'reasoning' | 'reasoning_content' | 'completions' | 'continuous' | 'changing-id' | 'decoy' | 'duplicate-key' | 'two-choices';
const SHAPES: Shape[] = ['chat', 'reasoning', 'reasoning_content', 'completions', 'continuous', 'changing-id', 'decoy', 'duplicate-key', 'two-choices'];

function tokenEvent(shape: Shape, i: number, text: string, escapeAll: boolean): string {
  const t = literal(text, escapeAll);
  const head = `{"id":"chatcmpl-${shape === 'changing-id' ? i : 7}","object":"chat.completion.chunk","created":1,"model":"m",`;
  switch (shape) {
    case 'chat':
    case 'changing-id':
      return `${head}"choices":[{"index":0,"delta":{"content":${t}},"logprobs":null,"finish_reason":null}]}`;
    case 'reasoning':
      return `${head}"choices":[{"index":0,"delta":{"reasoning":${t},"content":null},"finish_reason":null}]}`;
    case 'reasoning_content':
      return `${head}"choices":[{"index":0,"delta":{"reasoning_content":${t}},"finish_reason":null}]}`;
    case 'completions':
      return `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":${t},"logprobs":null,"finish_reason":null}]}`;
    case 'continuous':
      return `${head}"choices":[{"index":0,"delta":{"content":${t}},"finish_reason":null}],"usage":{"prompt_tokens":3,"completion_tokens":${i + 1},"total_tokens":${i + 4}}}`;
    case 'decoy':
      // The same text under a key nothing reads, before the real one: only a probe tells them apart.
      return `{"meta":{"content":${literal(i % 3 === 0 ? text : 'tok', false)}},"choices":[{"index":0,"text":${t}}]}`;
    case 'duplicate-key':
      // JSON.parse keeps the last of two equal keys.
      return `${head}"choices":[{"index":0,"delta":{"content":"first","content":${t}},"finish_reason":null}]}`;
    case 'two-choices':
      return `${head}"choices":[{"index":0,"delta":{"content":${t}}},{"index":1,"delta":{"content":${t}}}]}`;
  }
}

/** One stream: role chunk, token events with odd texts, sometimes a fault, a finish chunk, usage, [DONE]. */
function stream(seed: number): { shape: Shape; reads: Array<[number, string]> } {
  const r = seededRng(seed);
  const shape = SHAPES[Math.floor(r() * SHAPES.length)]!;
  const escapeAll = r() < 0.3;
  const n = 1 + Math.floor(r() * 40);
  const events: string[] = [`{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`];
  for (let i = 0; i < n; i++) {
    const fault = r();
    if (fault < 0.02) events.push('{"error":{"message":"engine failure","code":500}}');
    else if (fault < 0.04) {
      // Same prefix and suffix as a token event, but the middle is two values, not one string.
      events.push(tokenEvent(shape, i, 'x', false).replace('"x"', '"a","role":"b"'));
    } else if (fault < 0.05) events.push(tokenEvent(shape, i, 'x', false).replace('"x"', '"unterminated'));
    else events.push(tokenEvent(shape, i, PIECES[Math.floor(r() * PIECES.length)]! + (r() < 0.5 ? String(i) : ''), escapeAll));
  }
  events.push(`{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`);
  events.push(`{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":${n},"total_tokens":${n + 3}}}`);
  const wire = events.map((e) => `data: ${e}\n\n`).join('') + DONE;
  // Cut into reads at random places, so events straddle reads as on a real socket.
  const reads: Array<[number, string]> = [];
  for (let at = 0, t = 1; at < wire.length; t++) {
    const len = 1 + Math.floor(r() * 400);
    reads.push([t, wire.slice(at, at + len)]);
    at += len;
  }
  return { shape, reads };
}

describe('shape cache', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives the same record as parsing every event, over 600 adversarial streams', () => {
    const seen = new Set<Shape>();
    for (let seed = 1; seed <= 600; seed++) {
      const { shape, reads } = stream(seed);
      seen.add(shape);
      const cached = replay(reads, { shapeCache: true });
      const full = replay(reads, { shapeCache: false });
      expect(cached, `seed ${seed} (${shape})`).toEqual(full);
    }
    expect(seen.size).toBe(SHAPES.length);
  });

  it('parses a plain stream in full only where its shape changes', () => {
    const events = Array.from({ length: 200 }, (_, i) => tokenEvent('chat', i, ` w${i}`, false));
    const reads: Array<[number, string]> = events.map((e, i) => [i + 1, `data: ${e}\n\n`]);
    reads.push([300, DONE]);
    const parse = vi.spyOn(JSON, 'parse');
    const cached = replay(reads, { shapeCache: true });
    const parsesCached = parse.mock.calls.length;
    parse.mockClear();
    const full = replay(reads, { shapeCache: false });
    expect(cached).toEqual(full);
    expect(full.event_times).toHaveLength(200);
    expect(parse.mock.calls.length).toBe(200);
    // The first token event, and the probe that learns its shape; the other 199 compare bytes and slice the text.
    expect(parsesCached).toBe(2);
  });

  it('does not take a decoy key with the same text for the text', () => {
    const shape = new EventShape(readOpenAIEvent);
    const learnt = '{"meta":{"content":"tok"},"choices":[{"index":0,"text":"tok"}]}';
    shape.learn(learnt, readOpenAIEvent(JSON.parse(learnt)));
    // Had it learnt meta.content, this would read "new"; the text is still "tok" and the prefix differs, so: parse it.
    expect(shape.match('{"meta":{"content":"new"},"choices":[{"index":0,"text":"tok"}]}')).toBeNull();
    expect(shape.match('{"meta":{"content":"tok"},"choices":[{"index":0,"text":"next"}]}')?.content).toBe('next');
  });

  it('stops learning on a stream whose events differ in more than their text', () => {
    const shape = new EventShape(readOpenAIEvent);
    const parse = vi.spyOn(JSON, 'parse');
    for (let i = 0; i < 20; i++) {
      const text = tokenEvent('changing-id', i, 'x', false);
      expect(shape.match(text)).toBeNull();
      shape.learn(text, readOpenAIEvent(JSON.parse(text)));
    }
    // Each learn costs a probe parse; after three templates no event matched, there are no more probes.
    expect(parse.mock.calls.length).toBeLessThan(20 + 5);
  });
});

describe('stringLiteral', () => {
  const lit = (s: string) => stringLiteral(s, 0, s.length);
  it('reads exactly one JSON string, escapes included', () => {
    expect(lit('"plain"')).toBe('plain');
    expect(lit('"a\\"b"')).toBe('a"b');
    expect(lit('"\\u00e9\\ud83d\\ude42"')).toBe('é🙂');
    expect(lit('""')).toBe('');
  });
  it('refuses anything else', () => {
    expect(lit('"a","b"')).toBeNull();
    expect(lit('"a\\"')).toBeNull();
    expect(lit('"tab\there"')).toBeNull();
    expect(lit('null')).toBeNull();
    expect(lit('"')).toBeNull();
  });
});
