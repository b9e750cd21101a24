// Send stamps of the test server, read back by tests and benchmarks to measure what the client adds. On SSE wires the
// stamp is a comment line before each event (`: x_sent_at=<epoch ms>`): every client skips comments, so the events
// stay byte-for-byte what the profile sends, and the client is measured on them as it runs against a real server
// (a stamp inside the JSON would change every event and defeat its shape cache). NDJSON has no comments: there the
// stamp is an `x_sent_at` field of the line.

export const STAMP_COMMENT = ': x_sent_at=';
const STAMP_FIELD = '"x_sent_at":';

/** Epoch milliseconds with sub-millisecond precision, on the monotonic clock. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * Finds send stamps in a byte stream read by read, in either form; a stamp split across two reads counts in the
 * second. `onStamp` gets each stamp with the arrival time of the read that completed it.
 */
export function stampScanner(onStamp: (sentAt: number, arrival: number) => void): (chunk: Uint8Array | string, arrival: number) => void {
  let carry = '';
  return (chunk, arrival) => {
    const text = carry + (typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1'));
    let from = 0;
    let pending = -1;
    for (;;) {
      const c = text.indexOf(STAMP_COMMENT, from);
      const f = text.indexOf(STAMP_FIELD, from);
      const at = c === -1 ? f : f === -1 ? c : Math.min(c, f);
      if (at === -1) break;
      const start = at + (at === c ? STAMP_COMMENT.length : STAMP_FIELD.length);
      let end = start;
      while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
      if (end === text.length) {
        pending = at; // the number may go on in the next read
        break;
      }
      onStamp(Number.parseFloat(text.slice(start, end)), arrival);
      from = end;
    }
    const keep = Math.max(STAMP_COMMENT.length, STAMP_FIELD.length);
    carry = pending !== -1 ? text.slice(pending) : text.slice(Math.max(from, text.length - keep));
  };
}

const isNumberChar = (c: number): boolean => (c >= 48 && c <= 57) || c === 46 /* . */ || c === 45 /* - */ || c === 101 /* e */ || c === 43 /* + */;
