// Who runs next, and on which sequence. parallel=1 is the seed's naive server (and Ollama's default): one request at a
// time. parallel=N is continuous batching: N sequences decode together and a waiting request takes the first sequence
// that frees. With the prefix cache on, a request goes to the free sequence holding the longest common prefix.
import { commonPrefix, type EngineSequence } from './engine.ts';

export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

interface Waiter {
  prompt: readonly number[];
  resolve: (s: EngineSequence) => void;
  reject: (e: Error) => void;
}

export class Scheduler {
  private readonly free: EngineSequence[];
  private readonly queue: Waiter[] = [];
  private readonly queueLimit: number;
  private readonly prefixCache: boolean;
  running = 0;

  constructor(sequences: readonly EngineSequence[], opts: { queueLimit: number; prefixCache: boolean }) {
    this.free = [...sequences];
    this.queueLimit = opts.queueLimit;
    this.prefixCache = opts.prefixCache;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** A sequence for this prompt, now or when one frees; a full queue refuses at once. */
  acquire(prompt: readonly number[], signal: AbortSignal): Promise<EngineSequence> {
    if (this.free.length > 0 && this.queue.length === 0) return Promise.resolve(this.take(prompt));
    if (this.queue.length >= this.queueLimit) return Promise.reject(new QueueFullError(`queue full (${this.queueLimit} waiting)`));
    return new Promise<EngineSequence>((resolve, reject) => {
      const waiter: Waiter = { prompt, resolve, reject };
      this.queue.push(waiter);
      signal.addEventListener(
        'abort',
        () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) {
            this.queue.splice(i, 1);
            reject(new Error('client went away while queued'));
          }
        },
        { once: true },
      );
    });
  }

  release(seq: EngineSequence): void {
    this.running--;
    this.free.push(seq);
    const next = this.queue.shift();
    if (next !== undefined) next.resolve(this.take(next.prompt));
  }

  private take(prompt: readonly number[]): EngineSequence {
    let best = 0;
    if (this.prefixCache) {
      let bestLen = -1;
      this.free.forEach((s, i) => {
        const len = commonPrefix(s.cachedTokens(), prompt);
        if (len > bestLen) {
          bestLen = len;
          best = i;
        }
      });
    }
    this.running++;
    return this.free.splice(best, 1)[0]!;
  }
}
