// A full disk: the sweep checks for room before each point and stops at once at the first write that does not fit,
// keeping every point finished before it, leaving no staging file, and saying how to go on. Through runSweep's real
// path with the store injected (a full disk cannot be made on demand here).
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runner/lib/config/config.ts';
import { loadCountingTokenizer } from '../../runner/lib/prompts/index.ts';
import { readParquetSql } from '../../runner/lib/store/schema.ts';
import { completedRunIds, duck, writePoint } from '../../runner/lib/store/writer.ts';
import { runSweep, type SweepReporter } from '../../runner/lib/sweep/sweep.ts';
import { startTarget } from '../../runner/lib/sweep/start-target.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ profile: 'vllm' });
});
afterAll(async () => {
  await server.close();
});

const quiet: SweepReporter = { targetStarting() {}, targetFailed() {}, pointSkipped() {}, pointStarting() {}, requestDone() {}, pointDone() {}, pointFailed() {} };

async function sweep(store: Parameters<typeof runSweep>[1]['store']) {
  const base = await loadConfig({ profile: 'full' });
  const config = {
    ...base,
    defaults: { ...base.defaults, max_tokens: 4, warmups: 0 },
    targets: { t: { framework: 'vllm' as const, model: 'openai/gpt-oss-20b', base_url: server.url } },
    scenarios: { ...base.scenarios, single: { concurrency: [1], input_tokens: [16, 24, 32], repetitions: 2 } },
  };
  const dataDir = await mkdtemp(join(tmpdir(), 'sb-disk-'));
  const failed: string[] = [];
  const reporter = { ...quiet, targetFailed: (_n: string, e: Error) => failed.push(e.message) };
  const result = await runSweep(
    { config, targets: ['t'], scenarios: ['single'], trials: 1, profile: 'full', dataDir, logDir: join(dataDir, 'logs'), sweepId: 'S1', host: 'h' },
    { startTarget, loadTokenizer: (n) => loadCountingTokenizer(n as 'o200k'), reporter, ...(store ? { store } : {}) },
  );
  return { result, dataDir, failed };
}

describe('a full disk', () => {
  it('ENOSPC at the second point stops the sweep at once: the first point is kept, no third point is measured', async () => {
    let writes = 0;
    const before = server.stats().generations;
    const { result, dataDir } = await sweep({
      freeBytes: async () => 1e12,
      writePoint: async (...args) => {
        writes++;
        if (writes === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return writePoint(...args);
      },
    });
    expect(result.diskFull).toMatch(/writing single c=1 in=24 failed: ENOSPC.*free space under .* and continue with --resume S1/);
    expect(writes).toBe(2);
    expect([...(await completedRunIds(dataDir, 'S1'))]).toEqual(['S1_t_single_c1-in16_t1']);
    // Calibration (4) and two points of two requests; the third point never ran.
    expect(server.stats().generations - before).toBe(4 + 2 * 2);
    const left = (await readdir(dataDir, { recursive: true })).filter((f) => /\.(tmp|ndjson)$/.test(String(f)));
    expect(left).toEqual([]);
  });

  it('too little room for the first point stops the sweep before any server is started, saying how much it needs', async () => {
    const before = server.stats().generations;
    const { result, dataDir } = await sweep({ freeBytes: async () => 10 * 1024 * 1024, writePoint });
    expect(result.diskFull).toMatch(/only 10 MB free under .*single c=1 in=16 needs about \d+ MB/);
    expect(result.points).toEqual([]);
    expect(server.stats().generations - before).toBe(0);
    const rows = (await (await duck()).runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${readParquetSql(dataDir, 'runs')}`).catch(() => null));
    expect(rows === null || rows.getRowObjectsJson()[0]!.n === 0).toBe(true);
  });
});
