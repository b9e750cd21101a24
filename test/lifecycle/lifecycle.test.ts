// Framework lifecycle against fake `vllm`, `python3 -m sglang.launch_server`, `ollama` and `nvidia-smi` executables put
// first on PATH: they start the faithful test servers with each framework's real readiness behaviour.
import { createServer, type Server } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS } from '../../runner/lib/adapters/index.ts';
import { freePort, waitForGpuRelease } from '../../runner/lib/lifecycle/launch.ts';
import { parsePrometheus } from '../../runner/lib/monitors/prometheus.ts';
import { gpuEnvironment, parseGpuCsv, readGpus } from '../../runner/lib/monitors/gpu.ts';
import { redact } from '../../runner/lib/monitors/redact.ts';
import { StreamingClient } from '../../runner/lib/client/send.ts';
import { launchTarget } from '../../runner/lib/sweep/start-target.ts';
import type { ModelConfig, TargetConfig } from '../../runner/lib/config/config.ts';

const BIN = resolve('test/fixtures/bin');
const GPT_OSS: ModelConfig = { hf: 'openai/gpt-oss-20b', ollama: 'gpt-oss:20b', tokenizer: 'o200k', quantization: { vllm: 'MXFP4', ollama: 'GGUF MXFP4' } };
let logDir: string;
const savedPath = process.env.PATH;

/** Fake framework servers still running (they carry `--tag fake-gpu` on their command line). */
/**
 * Fake framework servers on this port still running: their command line carries the port and the fake tag. By port,
 * never all of them: other test files run fake servers at the same time.
 */
const fakeServerPids = async (port: number): Promise<number[]> => {
  const { execSync } = await import('node:child_process');
  try {
    return execSync(`pgrep -f "port ${port} .*tag fake-gp[u]"`).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const fakeServers = async (port: number): Promise<number> => (await fakeServerPids(port)).length;

beforeAll(async () => {
  process.env.PATH = `${BIN}${delimiter}${savedPath}`;
  // This file's fake servers and fake nvidia-smi see only each other, not the fakes other test files run meanwhile.
  process.env.FAKE_GPU_TAG = `fake-gpu-life-${process.pid}`;
  logDir = await mkdtemp(join(tmpdir(), 'sb-life-'));
});
afterAll(() => {
  process.env.PATH = savedPath;
  delete process.env.FAKE_GPU_TAG;
});

const quiet = { onProgress: () => {} };

describe('launch commands: the design defaults, every value overridable (docs/wire.md)', () => {
  const t = (framework: string, extra: Record<string, unknown> = {}): TargetConfig => ({ framework: framework as TargetConfig['framework'], model: 'gpt-oss-20b', ...extra });
  const line = (spec: { command: string; args: string[] } | null) => [spec!.command, ...spec!.args].join(' ');

  it('vLLM: dev mode for /reset_prefix_cache (so loopback), cached-token details, caching off only with the negative flag', () => {
    const v = ADAPTERS.vllm!.launch(t('vllm'), GPT_OSS, 'gpt-oss-20b')!;
    expect(line(v)).toBe('vllm serve openai/gpt-oss-20b --host 127.0.0.1 --port 8000 --tensor-parallel-size 1 --gpu-memory-utilization 0.85 --enable-prompt-tokens-details');
    expect(v.env.VLLM_SERVER_DEV_MODE).toBe('1');
    const over = ADAPTERS.vllm!.launch(t('vllm', { port: 9000, gpu_memory_utilization: 0.5, tp: 2, prefix_caching: false, extra_args: ['--max-model-len', '8192'], venv: 'vllm/vllm_env' }), GPT_OSS, 'gpt-oss-20b')!;
    expect(over.args.join(' ')).toContain('--port 9000 --tensor-parallel-size 2 --gpu-memory-utilization 0.5 --no-enable-prefix-caching --enable-prompt-tokens-details --max-model-len 8192');
    expect(over.pathPrefix).toEqual(['vllm/vllm_env/bin']);
    const open = ADAPTERS.vllm!.launch(t('vllm', { dev_mode: false }), GPT_OSS, 'gpt-oss-20b')!;
    expect(open.host).toBe('0.0.0.0');
    expect(open.env.VLLM_SERVER_DEV_MODE).toBeUndefined();
  });

  it('vLLM never sends ignore_eos for a harmony model and says the output length was not forced', () => {
    expect(ADAPTERS.vllm!.capabilitiesFor!(GPT_OSS, 'gpt-oss-20b')).toMatchObject({ ignoreEos: false, ignoreEosNote: expect.stringMatching(/not forced/) });
    expect(ADAPTERS.vllm!.capabilitiesFor!({ hf: 'meta-llama/Llama-3.1-8B-Instruct', tokenizer: 'llama3' }, 'llama3.1-8b')).toMatchObject({ ignoreEos: true, ignoreEosNote: null });
  });

  it('SGLang: --tp-size, cache report, the gpt-oss reasoning parser for harmony models', () => {
    const s = ADAPTERS.sglang!.launch(t('sglang', { tp: 2 }), GPT_OSS, 'gpt-oss-20b')!;
    expect(line(s)).toBe('python3 -m sglang.launch_server --model-path openai/gpt-oss-20b --tp-size 2 --host 0.0.0.0 --port 30000 --mem-fraction-static 0.85 --enable-metrics --enable-cache-report --reasoning-parser gpt-oss');
    const llama = ADAPTERS.sglang!.launch(t('sglang', { model: 'llama3.1-8b' }), { hf: 'meta-llama/Llama-3.1-8B-Instruct', tokenizer: 'llama3' }, 'llama3.1-8b')!;
    expect(llama.args).not.toContain('--reasoning-parser');
    expect(ADAPTERS.sglang!.capabilities.continuousUsage).toBe(true);
  });

  it('Ollama: parallelism and context length go into the server environment', () => {
    const o = ADAPTERS.ollama!.launch(t('ollama', { parallel: 4, context_length: 8192 }), GPT_OSS, 'gpt-oss-20b')!;
    expect(line(o)).toBe('ollama serve');
    expect(o.env).toMatchObject({ OLLAMA_HOST: '0.0.0.0:11434', OLLAMA_NUM_PARALLEL: '4', OLLAMA_CONTEXT_LENGTH: '8192' });
    expect(ADAPTERS.ollama!.servedModel('gpt-oss-20b', GPT_OSS)).toBe('gpt-oss:20b');
    expect(ADAPTERS.ollama!.nativeOptions!(t('ollama', { context_length: 8192 }))).toEqual({ num_ctx: 8192 });
    expect(ADAPTERS.openai!.launch(t('openai'), GPT_OSS, 'x')).toBeNull();
  });

  it('llama.cpp: -c holds the longest request in every slot (an explicit -np splits it), or one unified cache', () => {
    const l = ADAPTERS.llamacpp!.launch(t('llamacpp', { model_path: '/m/gpt-oss-20b.gguf', parallel: 4 }), GPT_OSS, 'gpt-oss-20b', { maxSequenceTokens: 4352 })!;
    expect(line(l)).toBe('llama-server -m /m/gpt-oss-20b.gguf --host 127.0.0.1 --port 8080 -c 17664 -np 4 --metrics');
    const u = ADAPTERS.llamacpp!.launch(t('llamacpp', { model_path: '/m/x.gguf', parallel: 4, kv_unified: true }), GPT_OSS, 'gpt-oss-20b', { maxSequenceTokens: 4352 })!;
    expect(u.args.join(' ')).toContain('-c 4416 -np 4 --kv-unified');
  });

  it('a key an adapter does not read, a wrong type or a missing .gguf is an error naming the key and the adapter', async () => {
    const { targetProblems } = await import('../../runner/lib/adapters/types.ts');
    expect(targetProblems('v', t('vllm', { tensor_parallel_size: 2 }), ADAPTERS.vllm!)).toEqual([expect.stringMatching(/^targets\.v\.tensor_parallel_size: "tensor_parallel_size" is not a setting of the vllm adapter \(its settings: tp, /)]);
    expect(targetProblems('s', t('sglang', { tp: '2' }), ADAPTERS.sglang!)).toEqual([expect.stringMatching(/targets\.s\.tp must be an integer/)]);
    expect(targetProblems('l', t('llamacpp'), ADAPTERS.llamacpp!)).toEqual(['targets.l: model_path is required to start llama-server: the path of a .gguf file']);
    expect(targetProblems('l', t('llamacpp', { model_path: 'model.bin' }), ADAPTERS.llamacpp!)).toEqual(['targets.l: model_path must be a .gguf file, got model.bin']);
    expect(targetProblems('v', t('vllm', { protocol: 'ollama-chat' }), ADAPTERS.vllm!)).toEqual(['targets.v.protocol: vllm speaks openai-chat, openai-completions, not ollama-chat']);
    expect(targetProblems('o', t('ollama', { protocol: 'ollama-chat', parallel: 2 }), ADAPTERS.ollama!)).toEqual([]);
  });
});

describe('lifecycle with fake frameworks', () => {
  it('vLLM: refused while loading, then ready; serves; GPU seen; stops its whole group; memory back to baseline', async () => {
    const port = await freePort();
    const target = await launchTarget('vllm', { framework: 'vllm', model: 'gpt-oss-20b', port }, GPT_OSS, { logDir, ...quiet });
    try {
      expect(target.version).toBe('0.11.0');
      const env = await target.environment();
      expect(env.gpu).toEqual({ gpus: ['NVIDIA H100 80GB HBM3'], driver: '550.54.15', cuda: '12.4' });
      const monitors = target.startMonitors();
      const client = new StreamingClient({ baseUrl: target.baseUrl });
      const r = await client.send({ protocol: 'openai-chat', model: target.modelId, messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 4, include_usage: true }, { requestId: 'x', tScheduled: performance.now() });
      await client.close();
      expect(r.status).toBe('ok');
      await new Promise((res) => setTimeout(res, 600));
      const samples = await monitors.stop();
      expect(samples.gpu.length).toBeGreaterThan(0);
      expect(samples.gpu[0]).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', memory_used_mib: 61234 });
      expect(samples.server_metrics.some((m) => m.name === 'vllm:generation_tokens_total')).toBe(true);
      expect(samples.host[0]?.server_rss_mib).toBeGreaterThan(0);
      // The adapter starts vLLM in dev mode, so the reset endpoint exists (the fake mounts it only then, as vLLM does).
      expect(await target.resetPrefixCache()).toEqual({ ok: true, detail: 'reset' });
    } finally {
      await target.stop();
    }
    expect(await target.alive()).toBe(false);
    expect(await fakeServers(port)).toBe(0);
    expect((await readGpus())![0]!.memory_used_mib).toBe(512);
  }, 60_000);

  it('SGLang: /health 503 until warm, then 200', async () => {
    const port = await freePort();
    const t0 = performance.now();
    const target = await launchTarget('sglang', { framework: 'sglang', model: 'gpt-oss-20b', port, env: { FAKE_LOAD_MS: '800' } }, GPT_OSS, { logDir, ...quiet });
    try {
      expect(performance.now() - t0).toBeGreaterThanOrEqual(700);
      expect(target.version).toBe('0.5.3');
    } finally {
      await target.stop();
    }
  }, 60_000);

  it('Ollama: pulls with progress and preloads, so the first request does not pay the model load', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const target = await launchTarget('ollama', { framework: 'ollama', model: 'gpt-oss-20b', port, env: { FAKE_LOAD_MS: '700' } }, GPT_OSS, { logDir, onProgress: (l) => lines.push(l) });
    try {
      expect(lines.some((l) => /pull gpt-oss:20b: pulling .* 50%/.test(l))).toBe(true);
      expect(lines.some((l) => /success/.test(l))).toBe(true);
      expect(target.capabilities.ignoreEos).toBe(false);
      const client = new StreamingClient({ baseUrl: target.baseUrl });
      const r = await client.send({ protocol: 'openai-chat', model: target.modelId, messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 2 }, { requestId: 'o', tScheduled: performance.now() });
      await client.close();
      expect(r.t_first_token! - r.t_sent).toBeLessThan(400);
      expect((await target.environment()).effective_config).toMatchObject({ context_length: 4096 });
    } finally {
      await target.stop();
    }
  }, 60_000);
});

describe('failures: a clear message and no process left behind', () => {
  it('executable not found', async () => {
    await expect(launchTarget('v', { framework: 'vllm', model: 'm', command: 'vllm-not-installed', port: await freePort() }, GPT_OSS, { logDir, ...quiet })).rejects.toThrow(/executable "vllm-not-installed" not found on PATH/);
  });

  it('exits during start: the log tail is in the error', async () => {
    await expect(launchTarget('v', { framework: 'vllm', model: 'm', port: await freePort(), env: { FAKE_EXIT: '1' } }, GPT_OSS, { logDir, ...quiet })).rejects.toThrow(/exited \(code 1\)[\s\S]*CUDA out of memory/);
  });

  it.each([
    ['vllm', { extra_args: ['--enable-prefix-cache'] }, /vllm serve: error: unrecognized arguments: --enable-prefix-cache/],
    ['sglang', { extra_args: ['--tensor-parallel', '2'] }, /sglang serve: error: unrecognized arguments: --tensor-parallel 2/],
    ['ollama', { extra_args: ['--port', '1'] }, /Error: unknown flag: --port/],
  ])('%s: a flag the real CLI does not know fails the launch with that CLI\'s own message', async (framework, extra, message) => {
    const t = { framework: framework as TargetConfig['framework'], model: 'gpt-oss-20b', port: await freePort(), ...extra };
    await expect(launchTarget(framework, t, GPT_OSS, { logDir, ...quiet })).rejects.toThrow(message);
  });

  it('llama.cpp: starts from a .gguf, sized for the sweep; a missing file fails with the model-load error', async () => {
    const gguf = join(logDir, 'gpt-oss-20b-mxfp4.gguf');
    await writeFile(gguf, 'GGUF');
    const port = await freePort();
    const target = await launchTarget('l', { framework: 'llamacpp', model: 'gpt-oss-20b', model_path: gguf, port }, { tokenizer: 'o200k' }, { logDir, maxSequenceTokens: 1000, ...quiet });
    try {
      expect(target.launchCommand).toMatch(/-c 4256 -np 4 --metrics$/);
      expect(target.version).toBe('b10573-3a1b5c2d');
      expect(target.reuseConnections).toBe(false);
    } finally {
      await target.stop();
    }
    await expect(launchTarget('l', { framework: 'llamacpp', model: 'x', model_path: join(logDir, 'missing.gguf'), port: await freePort() }, { tokenizer: 'o200k' }, { logDir, ...quiet })).rejects.toThrow(/failed to open GGUF file[\s\S]*exiting due to model loading error/);
  }, 30_000);

  it('never ready: times out, stops the group', async () => {
    const port = await freePort();
    await expect(launchTarget('slow', { framework: 'vllm', model: 'm', port, env: { FAKE_LOAD_MS: '600000' } }, GPT_OSS, { logDir, readyTimeoutMs: 1500, ...quiet })).rejects.toThrow(/not ready after 2 s/);
    // The fake's server process was in the launched group; it must be gone (its port is free again).
    const s: Server = createServer();
    await new Promise<void>((r, j) => { s.once('error', j); s.listen(port, '127.0.0.1', () => r()); });
    await new Promise((r) => s.close(r));
    expect(await fakeServers(port)).toBe(0);
  }, 30_000);

  it('port already in use', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as { port: number }).port;
    try {
      await expect(launchTarget('v', { framework: 'vllm', model: 'm', host: '127.0.0.1', port }, GPT_OSS, { logDir, ...quiet })).rejects.toThrow(new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      await new Promise((r) => s.close(r));
    }
  });

  it('GPU memory not released', async () => {
    process.env.FAKE_GPU_STUCK = '1';
    try {
      await expect(waitForGpuRelease(512, { timeoutMs: 800 })).rejects.toThrow(/GPU memory not released: 61234 MiB in use, baseline was 512 MiB/);
    } finally {
      delete process.env.FAKE_GPU_STUCK;
    }
  });

  it('server dies mid-scenario: alive() turns false', async () => {
    const port = await freePort();
    const target = await launchTarget('vllm', { framework: 'vllm', model: 'gpt-oss-20b', port, env: { FAKE_LOAD_MS: '100' } }, GPT_OSS, { logDir, ...quiet });
    try {
      expect(await target.alive()).toBe(true);
      const [pid] = await fakeServerPids(port);
      process.kill(pid!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      expect(await target.alive()).toBe(false);
    } finally {
      await target.stop();
    }
    expect(await fakeServers(port)).toBe(0);
  }, 30_000);
});

describe('monitors', () => {
  it('nvidia-smi rows with [N/A] and [Not Supported] parse to nulls; no nvidia-smi is "no GPU"', async () => {
    const rows = parseGpuCsv('0, NVIDIA A100-SXM4-80GB, 1024, 81920, [N/A], [Not Supported], 40, 1410, 535.1\n1, NVIDIA A100-SXM4-80GB, 2048, 81920, 50, 250.5, 41, 1410, 535.1\n', 7);
    expect(rows[0]).toMatchObject({ gpu_index: 0, memory_used_mib: 1024, util_pct: null, power_w: null, t_ms: 7 });
    expect(rows[1]).toMatchObject({ gpu_index: 1, util_pct: 50, power_w: 250.5 });
    const absent = async () => {
      throw Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
    };
    expect(await readGpus(absent)).toBeNull();
    expect(await gpuEnvironment(absent)).toBeNull();
  });

  it('Prometheus text: counters and gauges as they are, histograms as _bucket/_sum/_count series with their labels', () => {
    const text = [
      '# TYPE vllm:num_requests_running gauge',
      'vllm:num_requests_running{model_name="m"} 3',
      '# TYPE vllm:time_to_first_token_seconds histogram',
      'vllm:time_to_first_token_seconds_bucket{model_name="m",le="0.1"} 2',
      'vllm:time_to_first_token_seconds_bucket{model_name="m",le="+Inf"} 5',
      'vllm:time_to_first_token_seconds_sum{model_name="m"} 1.25',
      'vllm:time_to_first_token_seconds_count{model_name="m"} 5',
      '',
    ].join('\n');
    const rows = parsePrometheus(text);
    expect(rows).toContainEqual({ name: 'vllm:num_requests_running', labels: JSON.stringify({ model_name: 'm' }), value: 3 });
    expect(rows).toContainEqual({ name: 'vllm:time_to_first_token_seconds_bucket', labels: JSON.stringify({ model_name: 'm', le: '0.1' }), value: 2 });
    expect(rows.find((r) => r.name === 'vllm:time_to_first_token_seconds_count')?.value).toBe(5);
    expect(rows.find((r) => r.name === 'vllm:time_to_first_token_seconds_sum')?.value).toBe(1.25);
    expect(rows).toHaveLength(5);
  });

  it('Prometheus text: several label sets, escaped label values, timestamps, and lines that are not samples', () => {
    const rows = parsePrometheus(
      [
        'sglang:token_usage{model_name="a",tp_rank="0"} 0.25 1733000000000',
        'sglang:token_usage{model_name="b \\"quoted\\" \\\\ x",tp_rank="1"} 0.5',
        'not a sample line',
        'up NaN',
        'process_start_time_seconds 1.7e9',
      ].join('\n'),
    );
    expect(rows.map((r) => [r.name, JSON.parse(r.labels), r.value])).toEqual([
      ['sglang:token_usage', { model_name: 'a', tp_rank: '0' }, 0.25],
      ['sglang:token_usage', { model_name: 'b "quoted" \\ x', tp_rank: '1' }, 0.5],
      ['process_start_time_seconds', {}, 1.7e9],
    ]);
  });

  it('secrets are redacted from launch commands', () => {
    expect(redact('vllm serve m --api-key sk-123 HF_TOKEN=hf_abc --port 1')).toBe('vllm serve m --api-key *** HF_TOKEN=*** --port 1');
    expect(redact('Authorization: Bearer sk-zzz')).toBe('Authorization: Bearer ***');
  });
});
