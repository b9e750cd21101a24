// Periodic sampling shared by every monitor: one reading now, one per interval, one at stop. Readings never overlap
// (a slow one delays the next), and a failed reading is a gap in the series, not a failed benchmark.

export function periodicSampler<T>(read: () => Promise<T[]>, intervalMs: number): { stop(): Promise<T[]> } {
  const rows: T[] = [];
  let pending: Promise<void> = Promise.resolve();
  const sample = (): void => {
    pending = pending.then(async () => {
      try {
        rows.push(...(await read()));
      } catch {
        // Gap in the series.
      }
    });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      sample();
      await pending;
      return rows;
    },
  };
}
