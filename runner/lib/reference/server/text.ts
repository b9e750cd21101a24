// Generated token ids → streamed text. A token can end inside a UTF-8 character (byte-level BPE), so text is decoded
// from all ids so far and a trailing partial character is held back until it completes; stop strings cut the text.
import type { Tokenizer } from '../model/index.ts';

export class TextStream {
  private readonly tokenizer: Tokenizer;
  private readonly stops: readonly string[];
  private readonly ids: number[] = [];
  private emitted = '';
  stopped = false;

  constructor(tokenizer: Tokenizer, stops: readonly string[]) {
    this.tokenizer = tokenizer;
    this.stops = stops;
  }

  /** Adds a token; returns the new text that can be sent now, and whether a stop string was reached. */
  push(token: number): { piece: string; stopped: boolean } {
    this.ids.push(token);
    let text = this.tokenizer.decode(this.ids);
    // Hold back an incomplete character (it decodes as U+FFFD until its last byte arrives), at most 3 bytes' worth.
    const held = /\uFFFD{1,3}$/.exec(text);
    if (held !== null) text = text.slice(0, held.index);
    for (const stop of this.stops) {
      const at = text.indexOf(stop, Math.max(0, this.emitted.length - stop.length + 1));
      if (at >= 0) {
        this.stopped = true;
        text = text.slice(0, at);
      }
    }
    if (text.length < this.emitted.length) return { piece: '', stopped: this.stopped };
    const piece = text.slice(this.emitted.length);
    this.emitted = text;
    return { piece, stopped: this.stopped };
  }

  /** Whatever is still held back (an invalid byte sequence stays as U+FFFD, as any server would send it). */
  flush(): string {
    if (this.stopped) return '';
    const text = this.tokenizer.decode(this.ids);
    const piece = text.slice(this.emitted.length);
    this.emitted = text;
    return piece;
  }
}
