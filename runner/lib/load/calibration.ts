// The client measuring itself. A benchmark client that falls behind reports its own slowness as the server's, so every
// run stores how late the event loop and the open-loop schedule were, and is flagged when either passes a threshold.
import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import { percentile } from '../metrics/percentile.ts';

export interface CalibrationThresholds {
  loopLagP99Ms: number;
  scheduleLagP99Ms: number;
}

export const DEFAULT_THRESHOLDS: CalibrationThresholds = { loopLagP99Ms: 20, scheduleLagP99Ms: 5 };

export interface ClientCalibration {
  loop_lag_p50_ms: number | null;
  loop_lag_p99_ms: number | null;
  schedule_lag_p50_ms: number | null;
  schedule_lag_p99_ms: number | null;
  client_limited: boolean;
  reasons: string[];
}

export function judgeCalibration(
  loopLag: { p50: number | null; p99: number | null },
  scheduleLagsMs: readonly number[],
  thresholds: CalibrationThresholds = DEFAULT_THRESHOLDS,
): ClientCalibration {
  const s50 = scheduleLagsMs.length > 0 ? percentile(scheduleLagsMs, 50) : null;
  const s99 = scheduleLagsMs.length > 0 ? percentile(scheduleLagsMs, 99) : null;
  const reasons: string[] = [];
  if (loopLag.p99 !== null && loopLag.p99 > thresholds.loopLagP99Ms) {
    reasons.push(`event-loop lag p99 ${loopLag.p99.toFixed(2)} ms > ${thresholds.loopLagP99Ms} ms`);
  }
  if (s99 !== null && s99 > thresholds.scheduleLagP99Ms) {
    reasons.push(`schedule lag p99 ${s99.toFixed(2)} ms > ${thresholds.scheduleLagP99Ms} ms`);
  }
  return {
    loop_lag_p50_ms: loopLag.p50,
    loop_lag_p99_ms: loopLag.p99,
    schedule_lag_p50_ms: s50,
    schedule_lag_p99_ms: s99,
    client_limited: reasons.length > 0,
    reasons,
  };
}

/** Samples event-loop delay for the duration of a run. */
export class LoopLagMonitor {
  private readonly histogram: ELDHistogram;
  private readonly resolutionNs: number;

  constructor(resolutionMs = 10) {
    this.resolutionNs = resolutionMs * 1e6;
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  /** Stops sampling; lag is the delay beyond the sampling interval, in ms. */
  stop(): { p50: number | null; p99: number | null } {
    this.histogram.disable();
    if (this.histogram.count === 0) return { p50: null, p99: null };
    // The histogram records whole timer periods; lag is what exceeds the period.
    const lag = (p: number): number => Math.max(0, this.histogram.percentile(p) - this.resolutionNs) / 1e6;
    return { p50: lag(50), p99: lag(99) };
  }
}
