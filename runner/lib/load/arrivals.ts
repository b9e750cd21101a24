// When each open-loop request is meant to be sent. Pure and seeded, so a run's schedule can be reproduced and tested.
import { exponential, gamma, seededRng } from '../random.ts';

export type ArrivalKind = 'constant' | 'poisson' | 'gamma';

export interface ArrivalSpec {
  kind: ArrivalKind;
  /** Mean requests per second. */
  rate: number;
  /**
   * Gamma only: the shape, as vLLM's `--burstiness` — 1 is Poisson, below 1 burstier, above 1 more regular.
   * The mean rate is the same for every value.
   */
  burstiness?: number;
  seed: number;
}

export function validateArrival(spec: ArrivalSpec): void {
  if (!(spec.rate > 0) || !Number.isFinite(spec.rate)) throw new Error(`arrival rate must be a positive number of requests/s, got ${spec.rate}`);
  if (spec.kind === 'gamma' && !((spec.burstiness ?? 1) > 0)) throw new Error(`gamma burstiness must be > 0, got ${spec.burstiness}`);
}

/** Gaps between consecutive arrivals in milliseconds, endlessly. */
export function* interArrivalGaps(spec: ArrivalSpec): Generator<number, never> {
  validateArrival(spec);
  const rng = seededRng(spec.seed);
  const meanMs = 1000 / spec.rate;
  for (;;) {
    switch (spec.kind) {
      case 'constant':
        yield meanMs;
        break;
      case 'poisson':
        yield exponential(rng, 1) * meanMs;
        break;
      case 'gamma': {
        const shape = spec.burstiness ?? 1;
        yield gamma(rng, shape, 1 / shape) * meanMs;
        break;
      }
    }
  }
}

/**
 * Offsets (ms from the start) of the arrivals inside the bound: a count, a duration, or both (whichever ends first).
 * The first request goes at 0 so a run never starts with idle time inside its measurement window.
 */
export function arrivalOffsets(spec: ArrivalSpec, bound: { count?: number; durationMs?: number }): number[] {
  if (bound.count === undefined && bound.durationMs === undefined) throw new Error('an open-loop run needs a request count or a duration');
  const out: number[] = [];
  const gaps = interArrivalGaps(spec);
  let t = 0;
  for (;;) {
    if (bound.count !== undefined && out.length >= bound.count) break;
    if (bound.durationMs !== undefined && t >= bound.durationMs) break;
    out.push(t);
    t += gaps.next().value;
  }
  return out;
}
