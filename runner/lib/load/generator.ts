// The load generator: closed loop (N requests always in flight) or open loop (arrivals on a seeded schedule,
// optionally capped), bounded by a request count or a duration, with warmups first. It only decides *when*; what is
// sent and how it is recorded are injected, so it is tested without a network.
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import type { GenerationRequest } from '../client/body.ts';
import type { RequestRecord } from '../client/record.ts';
import { arrivalOffsets, validateArrival, type ArrivalSpec } from './arrivals.ts';
import { DEFAULT_THRESHOLDS, judgeCalibration, LoopLagMonitor, type CalibrationThresholds, type ClientCalibration } from './calibration.ts';

export type LoadMode =
  | { kind: 'closed'; concurrency: number }
  | { kind: 'open'; arrival: ArrivalSpec; maxConcurrency?: number | null };

export interface LoadBound {
  count?: number;
  durationMs?: number;
}

export interface LoadPlan {
  mode: LoadMode;
  bound: LoadBound;
  warmups: number;
}

export interface PlannedRequest {
  request: GenerationRequest;
  expectedInputTokens?: number | null;
  headers?: Record<string, string>;
}

export interface SendContext {
  requestId: string;
  tScheduled: number;
  isWarmup: boolean;
}

export type Sender = (planned: PlannedRequest, context: SendContext) => Promise<RequestRecord>;

export interface LoadHooks {
  /** The request for the i-th send (warmups are numbered first). */
  makeRequest: (index: number, isWarmup: boolean) => PlannedRequest;
  send: Sender;
  /** Sees every finished record, in completion order (progress, incremental writes). */
  onRecord?: (record: RequestRecord, index: number) => void;
  /** Stops scheduling new requests; requests in flight still finish and are kept. */
  signal?: AbortSignal;
  idPrefix?: string;
  thresholds?: CalibrationThresholds;
  now?: () => number;
}

export interface LoadResult {
  /** Warmups first, then measured requests, each at its scheduling index. */
  records: RequestRecord[];
  calibration: ClientCalibration;
  /** True when the signal stopped the run before its bound. */
  interrupted: boolean;
}

export function validatePlan(plan: LoadPlan): void {
  const { mode, bound } = plan;
  if (bound.count === undefined && bound.durationMs === undefined) throw new Error('a load plan needs a request count or a duration');
  if (bound.count !== undefined && !(Number.isInteger(bound.count) && bound.count >= 0)) throw new Error(`request count must be a non-negative integer, got ${bound.count}`);
  if (bound.durationMs !== undefined && !(bound.durationMs > 0)) throw new Error(`duration must be > 0 ms, got ${bound.durationMs}`);
  if (!(Number.isInteger(plan.warmups) && plan.warmups >= 0)) throw new Error(`warmups must be a non-negative integer, got ${plan.warmups}`);
  if (mode.kind === 'closed' && !(Number.isInteger(mode.concurrency) && mode.concurrency >= 1)) {
    throw new Error(`concurrency must be an integer ≥ 1, got ${mode.concurrency}`);
  }
  if (mode.kind === 'open') {
    validateArrival(mode.arrival);
    const cap = mode.maxConcurrency;
    if (cap !== undefined && cap !== null && !(Number.isInteger(cap) && cap >= 1)) throw new Error(`max concurrency must be an integer ≥ 1, got ${cap}`);
  }
}

/**
 * Waits until `target` on the monotonic clock. Timers fire a millisecond or more late, so the last stretch yields to
 * the event loop turn by turn (I/O still runs) instead of trusting one timer.
 */
export async function waitUntil(target: number, now: () => number = () => performance.now()): Promise<void> {
  const remaining = target - now();
  if (remaining > 2) await sleep(remaining - 2);
  while (now() < target) await yieldToLoop();
}

export async function runLoad(plan: LoadPlan, hooks: LoadHooks): Promise<LoadResult> {
  validatePlan(plan);
  const now = hooks.now ?? (() => performance.now());
  const prefix = hooks.idPrefix ?? 'req';
  const records: RequestRecord[] = [];
  const stopped = (): boolean => hooks.signal?.aborted === true;

  const sendOne = async (index: number, isWarmup: boolean, tScheduled: number, prepared?: PlannedRequest): Promise<void> => {
    const planned = prepared ?? hooks.makeRequest(index, isWarmup);
    const record = await hooks.send(planned, { requestId: `${prefix}-${index}`, tScheduled, isWarmup });
    records[index] = record;
    hooks.onRecord?.(record, index);
  };

  // Warmups one at a time: they exist to load weights and compile kernels, not to measure.
  for (let w = 0; w < plan.warmups && !stopped(); w++) await sendOne(w, true, now());

  const lag = new LoopLagMonitor();
  const onTime: number[] = [];
  const first = plan.warmups;
  let interrupted = false;
  let loopLag: { p50: number | null; p99: number | null } = { p50: null, p99: null };
  try {
    if (plan.mode.kind === 'closed') {
      interrupted = await closedLoop(plan.mode.concurrency, plan.bound, first, sendOne, now, stopped);
    } else {
      interrupted = await openLoop(plan.mode.arrival, plan.mode.maxConcurrency ?? null, plan.bound, first, (i) => hooks.makeRequest(i, false), sendOne, now, stopped, onTime);
    }
  } finally {
    loopLag = lag.stop();
  }
  // Schedule lag as docs/metrics.md defines it: t_sent − t_scheduled of the requests the generator sent on time, so the
  // client's own path to the socket counts, not only the wake-up.
  const scheduleLags: number[] = [];
  for (const i of onTime) {
    const r = records[i];
    if (r !== undefined) scheduleLags.push(r.t_sent - r.t_scheduled);
  }
  return {
    records: records.filter((r) => r !== undefined),
    calibration: judgeCalibration(loopLag, scheduleLags, hooks.thresholds ?? DEFAULT_THRESHOLDS),
    interrupted: interrupted || stopped(),
  };
}

type SendOne = (index: number, isWarmup: boolean, tScheduled: number, prepared?: PlannedRequest) => Promise<void>;

async function closedLoop(
  concurrency: number,
  bound: LoadBound,
  first: number,
  sendOne: SendOne,
  now: () => number,
  stopped: () => boolean,
): Promise<boolean> {
  const start = now();
  let next = 0;
  const more = (): boolean =>
    (bound.count === undefined || next < bound.count) && (bound.durationMs === undefined || now() - start < bound.durationMs);
  const worker = async (): Promise<void> => {
    while (more() && !stopped()) {
      const i = next++;
      // Closed loop: the request is due the moment its slot frees, so queue time is the client's own overhead.
      await sendOne(first + i, false, now());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return stopped();
}

async function openLoop(
  arrival: ArrivalSpec,
  cap: number | null,
  bound: LoadBound,
  first: number,
  prepare: (index: number) => PlannedRequest,
  sendOne: SendOne,
  now: () => number,
  stopped: () => boolean,
  onTime: number[],
): Promise<boolean> {
  const offsets = arrivalOffsets(arrival, bound);
  const inFlight = new Set<Promise<void>>();
  const start = now();
  for (let i = 0; i < offsets.length; i++) {
    if (stopped()) break;
    const due = start + (offsets[i] ?? 0);
    // Built while there is time to spare (long prompts take a while), so the due moment only has to send.
    const planned = prepare(first + i);
    await waitUntil(due, now);
    let held = false;
    while (cap !== null && inFlight.size >= cap) {
      held = true;
      await Promise.race(inFlight);
    }
    // Requests held back by the cap keep their intended time: their wait shows as queue_ms, not as schedule lag.
    if (!held) onTime.push(first + i);
    const p = sendOne(first + i, false, due, planned).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return stopped();
}
