// Disk space: what a point will write, whether the data directory has room for it, and the error that stops a sweep
// at the first write that did not fit. A full disk must never turn into points measured and then lost.
import { statfs } from 'node:fs/promises';
import type { ScenarioPoint } from '../scenarios/points.ts';

export class DiskFullError extends Error {
  override name = 'DiskFullError';
}

/** Free bytes for an unprivileged writer under `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/**
 * A generous estimate of what one point writes: each request row keeps its event stamps and token counts (two
 * numbers per event) and up to 2000 characters of text; staging (NDJSON) and Parquet both exist for a moment. Open-loop
 * points are sized from their rate and duration.
 */
export function pointBytes(p: ScenarioPoint): number {
  const mode = p.plan.mode;
  const requests = (p.plan.bound.count ?? (mode.kind === 'open' ? Math.ceil(mode.arrival.rate * ((p.plan.bound.durationMs ?? 0) / 1000)) : 100)) + p.plan.warmups;
  const perRequest = 6_000 + 40 * p.max_tokens;
  // Monitors: GPU, host and server-metric samples for the point's duration, a few MB at most.
  return 2 * requests * perRequest + 4 * 1024 * 1024;
}

/** True for a write that failed because the disk (or quota) is full. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || /No space left on device|ENOSPC/i.test(String((err as Error | null)?.message ?? ''));
}
