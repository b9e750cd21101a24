// The streaming client spread over worker threads: each worker owns a connection pool and parses its own streams,
// so one busy event loop cannot delay the arrival stamps of streams it does not serve. Timestamps are moved onto the
// main thread's clock (each thread's performance.now() counts from its own time origin).
import { Worker } from 'node:worker_threads';
import type { GenerationRequest } from './body.ts';
import type { RequestRecord } from './record.ts';
import type { SendOptions, Target } from './send.ts';

interface Pending {
  resolve: (r: WorkerResult) => void;
  reject: (e: Error) => void;
}

export interface WorkerResult {
  record: RequestRecord;
  /** Arrival − server send stamp per event, when asked for and the test server stamps events (testserver/stamps.ts). */
  sendLagsMs?: number[];
}

export type WorkerSendOptions = Omit<SendOptions, 'onEvent' | 'onChunk' | 'countTokens'> & { measureSendLag?: boolean };

const WORKER_SOURCE = new URL('./worker-entry.ts', import.meta.url);

/** Shifts every time of a record from one clock origin to another. */
export function shiftRecord(r: RequestRecord, deltaMs: number): RequestRecord {
  const s = (t: number | null): number | null => (t === null ? null : t + deltaMs);
  return {
    ...r,
    t_scheduled: r.t_scheduled + deltaMs,
    t_sent: r.t_sent + deltaMs,
    t_first_token: s(r.t_first_token),
    t_last_token: s(r.t_last_token),
    t_done: r.t_done + deltaMs,
    event_times: r.event_times.map((t) => t + deltaMs),
  };
}

export class WorkerClient {
  private readonly workers: Worker[] = [];
  private readonly origins: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  private seq = 0;

  private constructor() {}

  static async create(target: Target, threads: number): Promise<WorkerClient> {
    if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`worker threads must be an integer ≥ 1, got ${threads}`);
    const c = new WorkerClient();
    await Promise.all(
      Array.from({ length: threads }, async (_, i) => {
        const w = new Worker(WORKER_SOURCE, { workerData: { target } });
        c.workers[i] = w;
        c.origins[i] = await new Promise<number>((resolve, reject) => {
          w.once('message', (m: { ready: number }) => resolve(m.ready));
          w.once('error', reject);
        });
        w.on('message', (m: { id: number; result?: WorkerResult; error?: string }) => {
          const p = c.pending.get(m.id);
          if (p === undefined) return;
          c.pending.delete(m.id);
          if (m.error !== undefined) p.reject(new Error(m.error));
          else {
            // Worker clock → main clock.
            const delta = c.origins[i]! - performance.timeOrigin;
            p.resolve({ ...m.result!, record: shiftRecord(m.result!.record, delta) });
          }
        });
      }),
    );
    return c;
  }

  /** Sends on the next worker (round robin). `tScheduled` is on the main thread's clock and is returned on it. */
  send(request: GenerationRequest, options: WorkerSendOptions): Promise<WorkerResult> {
    const i = this.next++ % this.workers.length;
    const id = this.seq++;
    const delta = performance.timeOrigin - this.origins[i]!;
    return new Promise<WorkerResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[i]!.postMessage({ id, request, options: { ...options, tScheduled: options.tScheduled + delta } });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
