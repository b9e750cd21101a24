// GPU and host figures per point, from the monitors, at write time: memory peak and mean, utilisation, power, energy
// and output tokens per joule — here from the fake nvidia-smi while attached (attach mode samples the GPU too).
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetSql } from '../../runner/lib/store/schema.ts';
import { duck } from '../../runner/lib/store/writer.ts';
import { startTestServer, type TestServer } from '../../runner/lib/testserver/index.ts';

const exec = promisify(execFile);
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ profile: 'vllm', behaviour: { tokenDelayMs: 100 } });
});
afterAll(async () => {
  await server.close();
});

describe('resources per point', () => {
  it('GPU memory, utilisation, power, energy and tokens per joule are in the summary, consistent with each other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-res-'));
    const config = join(dir, 'c.yaml');
    await writeFile(config, `defaults: { max_tokens: 16, warmups: 0 }\ntargets:\n  v: { framework: vllm, model: openai/gpt-oss-20b, base_url: ${server.url} }\nscenarios:\n  single: { concurrency: [1], input_tokens: [16], repetitions: 2 }\n`);
    const out = join(dir, 'data');
    await exec(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sweep.mjs', '--config', config, '--output-dir', out, '-f', 'v', '-s', 'single', '--profile', 'full'], {
      env: { ...process.env, PATH: `${resolve('test/fixtures/bin')}${delimiter}${process.env.PATH}`, FAKE_GPU_STUCK: '1' },
      maxBuffer: 1 << 24,
    });
    const [s] = (await (await duck()).runAndReadAll(
      `SELECT s.gpu_memory_peak_mib, s.gpu_memory_mean_mib, s.gpu_util_mean_pct, s.gpu_power_mean_w, s.gpu_energy_j, s.output_tokens_per_joule, s.client_rss_peak_mib,
              (SELECT sum(output_tokens) FROM ${readParquetSql(out, 'requests')} WHERE status = 'ok' AND NOT is_warmup)::DOUBLE AS tokens
       FROM ${readParquetSql(out, 'summary')} s`,
    )).getRowObjectsJson() as Array<{ gpu_memory_peak_mib: number; gpu_memory_mean_mib: number; gpu_util_mean_pct: number; gpu_power_mean_w: number; gpu_energy_j: number; output_tokens_per_joule: number; client_rss_peak_mib: number; tokens: number }>;
    expect([s!.gpu_memory_peak_mib, s!.gpu_memory_mean_mib, s!.gpu_util_mean_pct]).toEqual([61234, 61234, 87]);
    expect(s!.gpu_power_mean_w).toBeCloseTo(412.35, 6);
    expect(s!.gpu_energy_j).toBeGreaterThan(0);
    expect(s!.output_tokens_per_joule * s!.gpu_energy_j).toBeCloseTo(s!.tokens, 6);
    expect(s!.client_rss_peak_mib).toBeGreaterThan(10);
  });
});
