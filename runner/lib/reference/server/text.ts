// Generated token ids → streamed text. A token can end inside a UTF-8 character (byte-level BPE), so tokens wait in a
// small pending list until they decode without a trailing partial character; only that list is decoded each time,
// keeping the per-token cost flat however long the answer grows. Stop strings cut the text.
import type { Tokenizer } from '../model/index.ts';

/** An incomplete character decodes as U+FFFD; a sequence longer than this is invalid, not incomplete. */
const MAX_PENDING = 4;

export class TextStream {
  private readonly tokenizer: Tokenizer;
  private readonly stops: readonly string[];
  private pending: number[] = [];
  /** Decoded text not sent yet because it could still become a stop string. */
  private unsent = '';
  stopped = false;

  constructor(tokenizer: Tokenizer, stops: readonly string[]) {
    this.tokenizer = tokenizer;
    this.stops = stops;
  }

  /** Adds a token; returns the new text that can be sent now, and whether a stop string was reached. */
  push(token: number): { piece: string; stopped: boolean } {
    if (this.stopped) return { piece: '', stopped: true };
    this.pending.push(token);
    const text = this.tokenizer.decode(this.pending);
    if (text.endsWith('\uFFFD') && this.pending.length < MAX_PENDING) return { piece: '', stopped: false };
    this.pending = [];
    return this.emit(text);
  }

  /** Whatever is still pending (an invalid byte sequence stays as U+FFFD, as any server would send it). */
  flush(): string {
    if (this.stopped) return '';
    const text = this.pending.length > 0 ? this.tokenizer.decode(this.pending) : '';
    this.pending = [];
    const out = this.emit(text).piece + (this.stopped ? '' : this.unsent);
    this.unsent = '';
    return out;
  }

  private emit(piece: string): { piece: string; stopped: boolean } {
    if (this.stops.length === 0) return { piece, stopped: false };
    // Text that might be the start of a stop string is held back until it is known not to be one (as vLLM does).
    this.unsent += piece;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.unsent.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stopped = true;
      const out = this.unsent.slice(0, cut);
      this.unsent = '';
      return { piece: out, stopped: true };
    }
    let hold = 0;
    for (const stop of this.stops) {
      for (let k = Math.min(stop.length - 1, this.unsent.length); k > hold; k--) {
        if (this.unsent.endsWith(stop.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    const out = this.unsent.slice(0, this.unsent.length - hold);
    this.unsent = this.unsent.slice(this.unsent.length - hold);
    return { piece: out, stopped: false };
  }
}
