// Incremental framing of a response body into events, each stamped with the arrival time of the network read that
// completed it. Stamps come from the caller (taken when the bytes arrived), never from here, so parsing cost never
// leaks into latency.

export interface FramedEvent {
  /** `data` for SSE data (and NDJSON lines), `error` for llama.cpp's old `error:` SSE field. */
  kind: 'data' | 'error';
  text: string;
  arrival: number;
}

export interface Framer {
  push(chunk: Uint8Array, arrival: number, out: FramedEvent[]): void;
  /** Text left over after the body ended (an unterminated event or line). */
  rest(): string;
}

/** Server-sent events: `data:` lines accumulate until a blank line; comments and other fields are ignored. */
export function sseFramer(): Framer {
  // Nearly every event has one data line: it is kept as a string, and only a second line starts a list.
  let data: string | null = null;
  let moreData: string[] | null = null;
  let errorField: string | null = null;
  const dataText = (): string => (moreData === null ? (data ?? '') : [data, ...moreData].join('\n'));

  function line(raw: string, arrival: number, out: FramedEvent[]): void {
    if (raw === '') {
      if (data !== null) out.push({ kind: 'data', text: dataText(), arrival });
      if (errorField !== null) out.push({ kind: 'error', text: errorField, arrival });
      data = null;
      moreData = null;
      errorField = null;
      return;
    }
    if (raw.charCodeAt(0) === 58 /* ':' comment, keep-alive */) return;
    const colon = raw.indexOf(':');
    const field = colon === -1 ? raw : raw.slice(0, colon);
    let value = colon === -1 ? '' : raw.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      if (data === null) data = value;
      else (moreData ??= []).push(value);
    } else if (field === 'error') errorField = value;
  }

  const lines = lineSplitter();
  return {
    push(chunk, arrival, out) {
      lines.push(chunk, (text) => line(text, arrival, out));
    },
    rest() {
      const tail = lines.rest();
      return data !== null ? dataText() + tail : tail;
    },
  };
}

/** Newline-delimited JSON (Ollama's native API): one event per non-empty line. */
export function ndjsonFramer(): Framer {
  const lines = lineSplitter();
  return {
    push(chunk, arrival, out) {
      lines.push(chunk, (line) => {
        const text = line.trim();
        if (text !== '') out.push({ kind: 'data', text, arrival });
      });
    },
    rest() {
      return lines.rest().trim();
    },
  };
}

/** UTF-8 bytes → complete lines (without "\n" or a "\r" before it); a split character or line waits for the next read. */
function lineSplitter(): { push(chunk: Uint8Array, onLine: (line: string) => void): void; rest(): string } {
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    push(chunk, onLine) {
      buffer += decoder.decode(chunk, { stream: true });
      let start = 0;
      for (;;) {
        const nl = buffer.indexOf('\n', start);
        if (nl === -1) break;
        const end = nl > start && buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        onLine(buffer.slice(start, end));
        start = nl + 1;
      }
      buffer = start === 0 ? buffer : buffer.slice(start);
    },
    rest() {
      const tail = buffer + decoder.decode();
      buffer = '';
      return tail;
    },
  };
}
