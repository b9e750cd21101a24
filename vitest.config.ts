import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests start real servers on loopback; two cores cannot run many files at once without skewing timings.
    maxWorkers: 2,
  },
});
