// GPU figures over a measurement window: memory, utilisation, power, and energy per generated token.

export interface GpuSample {
  t_ms: number;
  gpu_index: number;
  memory_used_mib: number | null;
  memory_total_mib: number | null;
  util_pct: number | null;
  power_w: number | null;
}

export interface GpuSummary {
  memory_peak_mib: number | null;
  memory_mean_mib: number | null;
  util_mean_pct: number | null;
  power_mean_w: number | null;
  /** ∫ power dt (trapezoid) summed over GPUs, inside the window. */
  energy_j: number | null;
  output_tokens_per_joule: number | null;
}

const mean = (xs: number[]): number | null => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const present = (xs: Array<number | null>): number[] => xs.filter((x): x is number => x !== null && Number.isFinite(x));

export function summariseGpu(samples: readonly GpuSample[], window: { start_ms: number; end_ms: number }, outputTokens: number): GpuSummary {
  const inside = samples.filter((s) => s.t_ms >= window.start_ms && s.t_ms <= window.end_ms);
  if (inside.length === 0) {
    return { memory_peak_mib: null, memory_mean_mib: null, util_mean_pct: null, power_mean_w: null, energy_j: null, output_tokens_per_joule: null };
  }
  const mem = present(inside.map((s) => s.memory_used_mib));
  // Memory is per GPU; peak and mean are of the total across GPUs at each sample time.
  const byTime = new Map<number, number>();
  for (const s of inside) if (s.memory_used_mib !== null) byTime.set(s.t_ms, (byTime.get(s.t_ms) ?? 0) + s.memory_used_mib);
  let energy: number | null = null;
  const gpus = new Set(inside.map((s) => s.gpu_index));
  for (const g of gpus) {
    const series = inside.filter((s) => s.gpu_index === g && s.power_w !== null).sort((a, b) => a.t_ms - b.t_ms);
    for (let i = 1; i < series.length; i++) {
      const a = series[i - 1]!;
      const b = series[i]!;
      energy = (energy ?? 0) + ((a.power_w! + b.power_w!) / 2) * ((b.t_ms - a.t_ms) / 1000);
    }
  }
  const totals = [...byTime.values()];
  return {
    memory_peak_mib: mem.length > 0 ? Math.max(...totals) : null,
    memory_mean_mib: mean(totals),
    util_mean_pct: mean(present(inside.map((s) => s.util_pct))),
    power_mean_w: mean(present(inside.map((s) => s.power_w))),
    energy_j: energy,
    output_tokens_per_joule: energy !== null && energy > 0 ? outputTokens / energy : null,
  };
}

/** Peak memory of the server process tree and of the client over the point (host samples), MiB. */
export function summariseHost(rows: ReadonlyArray<{ server_rss_mib?: unknown; client_rss_mib?: unknown }>): { server_rss_peak_mib: number | null; client_rss_peak_mib: number | null } {
  const peak = (xs: unknown[]): number | null => {
    const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return v.length > 0 ? Math.max(...v) : null;
  };
  return { server_rss_peak_mib: peak(rows.map((r) => r.server_rss_mib)), client_rss_peak_mib: peak(rows.map((r) => r.client_rss_mib)) };
}
