// Framework servers started by servebench (vLLM, SGLang, Ollama, llama.cpp, the reference server) through the
// adapters and the lifecycle: launch, ready, prepare, monitors, stop, and GPU memory back to baseline.
import { join } from 'node:path';
import { adapterFor } from '../adapters/index.ts';
import type { ModelConfig, TargetConfig } from '../config/config.ts';
import { freePort, launchServer, LaunchError, waitForGpuRelease } from '../lifecycle/launch.ts';
import { gpuEnvironment, gpuMemoryUsed, gpuSampler } from '../monitors/gpu.ts';
import { redact } from '../monitors/redact.ts';
import type { MonitorSamples, RunningTarget } from './target.ts';
import { hostEnvironment, hostSampler, metricsScraper } from '../monitors/host.ts';

export async function startFrameworkTarget(
  name: string,
  target: TargetConfig,
  model: ModelConfig,
  ctx: { logDir: string; onProgress?: (line: string) => void; readyTimeoutMs?: number; signal?: AbortSignal },
): Promise<RunningTarget> {
  const adapter = adapterFor(target.framework);
  const log = ctx.onProgress ?? ((l: string) => process.stderr.write(`  ${l}\n`));
  // The reference server on a CPU box needs no fixed port; any free one keeps parallel test runs apart.
  const effective = target.framework === 'reference' && target.port === undefined ? { ...target, port: await freePort() } : target;
  const spec = adapter.launch(effective, model, target.model);
  if (spec === null) throw new LaunchError(`${name}: ${target.framework} is attach-only; give its base_url (--base-url)`);
  const host = spec.host === '0.0.0.0' ? '127.0.0.1' : spec.host;
  const baseUrl = `http://${host}:${spec.port}`;
  const baseline = await gpuMemoryUsed().catch(() => null);
  const logPath = join(ctx.logDir, `${name}.log`);
  log(`${name}: ${redact([spec.command, ...spec.args].join(' '))} (log: ${logPath})`);
  const proc = await launchServer(spec, { logPath, ready: () => adapter.ready(baseUrl, fetch), timeoutMs: ctx.readyTimeoutMs ?? Number(target.ready_timeout_s ?? 1800) * 1000, onProgress: log, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const modelName = adapter.servedModel(target.model, model);
  try {
    await adapter.prepare?.(baseUrl, modelName, fetch, log);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  const notes: string[] = [];
  if (!adapter.capabilities.ignoreEos) notes.push(`${target.framework} has no ignore_eos: answers may end before max_tokens`);
  if (baseline === null) notes.push('no GPU (nvidia-smi absent)');
  const version = await adapter.version(baseUrl, fetch);
  return {
    name,
    framework: target.framework,
    baseUrl,
    modelId: modelName,
    quantization: model.quantization?.[target.framework] ?? null,
    version,
    launchCommand: redact(proc.commandLine),
    serverLogPath: logPath,
    attached: false,
    protocol: 'openai-chat',
    capabilities: adapter.capabilities,
    reuseConnections: adapter.reuseConnections ?? true,
    requestExtras: (ctx) => adapter.requestExtras?.(ctx) ?? {},
    tokenize: async (messages) => (await adapter.tokenize?.(baseUrl.replace(/\/$/, ''), fetch, { model: modelName, messages, headers: {} })) ?? null,
    notes,
    async resetPrefixCache() {
      if (adapter.prefixResetPath === null) return false;
      const res = await fetch(baseUrl + adapter.prefixResetPath, { method: 'POST' }).catch(() => null);
      return res !== null && res.ok;
    },
    async environment() {
      return {
        ...(await hostEnvironment()),
        gpu: await gpuEnvironment(),
        gpu_exclusive: 'servebench runs one framework at a time and waits for GPU memory to return to its baseline',
        framework: target.framework,
        framework_version: version,
        model: modelName,
        quantization: model.quantization?.[target.framework] ?? null,
        effective_config: await adapter.effectiveConfig(baseUrl, fetch).catch(() => ({})),
      };
    },
    startMonitors() {
      const gpu = gpuSampler();
      const hostS = hostSampler(proc.pid);
      const metrics = adapter.metricsPath !== null ? metricsScraper(baseUrl + adapter.metricsPath) : null;
      return {
        stop: async (): Promise<MonitorSamples> => ({ gpu: (await gpu.stop()).samples.map((s) => ({ ...s })), host: await hostS.stop(), server_metrics: (await metrics?.stop()) ?? [] }),
      };
    },
    alive: async () => !proc.exited() && (await adapter.ready(baseUrl, fetch)),
    async stop() {
      await proc.stop();
      await waitForGpuRelease(baseline);
    },
  };
}
