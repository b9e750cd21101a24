// Attach mode (a server someone else runs) and the monitors every target shares: host memory and /metrics.
import { readFile } from 'node:fs/promises';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { apiKeyFromEnv } from '../client/send.ts';
import type { ModelConfig, TargetConfig } from '../config/config.ts';
import type { Row } from '../store/writer.ts';
import { adapterFor } from '../adapters/index.ts';
import { periodicSampler } from '../monitors/sampler.ts';
import type { MonitorSamples, RunningTarget } from './target.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

async function rssMiB(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function systemMemory(): Promise<{ used: number | null; total: number | null }> {
  try {
    const info = await readFile('/proc/meminfo', 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(info)?.[1] ?? NaN);
    return { used: (kb('MemTotal') - kb('MemAvailable')) / 1024, total: kb('MemTotal') / 1024 };
  } catch {
    return { used: null, total: totalmem() / 2 ** 20 };
  }
}

/** Samples host memory every interval: the server's RSS (when we know its pid), the client's, the system's. */
export function hostSampler(serverPid: number | null, intervalMs = 500): { stop(): Promise<Row[]> } {
  return periodicSampler(async () => {
    const t = performance.now();
    const sys = await systemMemory();
    return [{ t_ms: t, server_rss_mib: serverPid !== null ? await rssMiB(serverPid) : null, client_rss_mib: process.memoryUsage().rss / 2 ** 20, system_used_mib: sys.used, system_total_mib: sys.total }];
  }, intervalMs);
}

/** Scrapes Prometheus text from /metrics into samples; one row per series. */
export function metricsScraper(url: string, intervalMs = 1000): { stop(): Promise<Row[]> } {
  return periodicSampler(async () => {
    const t = performance.now();
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return [];
    return parsePrometheus(await res.text()).map((s) => ({ t_ms: t, ...s }));
  }, intervalMs);
}

/** Prometheus text exposition → {name, labels (JSON), value}; histograms as _bucket/_sum/_count series. */
export function parsePrometheus(text: string): Array<{ name: string; labels: string; value: number }> {
  const out: Array<{ name: string; labels: string; value: number }> = [];
  const push = (name: string, labels: Record<string, string>, v: string | undefined): void => {
    const value = Number(v);
    if (v !== undefined && Number.isFinite(value)) out.push({ name, labels: JSON.stringify(labels), value });
  };
  for (const family of parsePrometheusTextFormat(text)) {
    for (const m of family.metrics) {
      const labels = m.labels ?? {};
      if (m.buckets !== undefined) {
        for (const [le, v] of Object.entries(m.buckets)) push(`${family.name}_bucket`, { ...labels, le }, v);
        push(`${family.name}_sum`, labels, m.sum);
        push(`${family.name}_count`, labels, m.count);
      } else {
        push(family.name, labels, m.value);
      }
    }
  }
  return out;
}

export async function hostEnvironment(): Promise<Record<string, unknown>> {
  let os = `${process.platform} ${release()}`;
  try {
    const rel = await readFile('/etc/os-release', 'utf8');
    os = /PRETTY_NAME="([^"]+)"/.exec(rel)?.[1] ?? os;
  } catch {
    // Not Linux, or a minimal container.
  }
  let version = null;
  try {
    version = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).version;
  } catch {
    // Running from somewhere unusual; the version stays unknown.
  }
  let commit: string | null = null;
  try {
    commit = (await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: REPO })).stdout.trim() || null;
  } catch {
    // Not a git checkout (an exported copy): the version alone identifies it.
  }
  return {
    servebench_commit: commit,
    host: hostname(),
    cpu: cpus()[0]?.model ?? null,
    cores: cpus().length,
    ram_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os,
    node: process.version,
    servebench_version: version,
  };
}

function baseTarget(name: string, target: TargetConfig, model: ModelConfig, baseUrl: string): Omit<RunningTarget, 'stop' | 'alive' | 'startMonitors' | 'launchCommand' | 'serverLogPath' | 'attached'> {
  const framework = target.framework;
  const adapter = adapterFor(framework);
  const notes: string[] = [];
  if (!adapter.capabilities.ignoreEos) notes.push(`${framework} has no ignore_eos: answers may end before max_tokens`);
  return {
    name,
    framework,
    baseUrl,
    apiKey: apiKeyFromEnv(target.api_key_env),
    modelId: adapter.servedModel(target.model, model),
    quantization: model.quantization?.[framework] ?? null,
    version: null,
    protocol: 'openai-chat',
    capabilities: adapter.capabilities,
    notes,
    async resetPrefixCache() {
      if (adapter.prefixResetPath === null) return false;
      const res = await fetch(baseUrl.replace(/\/$/, '') + adapter.prefixResetPath, { method: 'POST' }).catch(() => null);
      return res !== null && res.ok;
    },
    environment: hostEnvironment,
  };
}

/** A server someone else runs: checked for reachability, never started or stopped. */
export async function attachTarget(name: string, target: TargetConfig, model: ModelConfig): Promise<RunningTarget> {
  const baseUrl = String(target.base_url);
  const base = baseTarget(name, target, model, baseUrl);
  const probe = async (): Promise<boolean> => {
    const res = await fetch(baseUrl.replace(/\/$/, '') + '/v1/models', {
      signal: AbortSignal.timeout(5000),
      headers: base.apiKey ? { authorization: `Bearer ${base.apiKey}` } : {},
    }).catch(() => null);
    return res !== null && res.status < 500;
  };
  if (!(await probe())) throw new Error(`cannot reach ${baseUrl} (GET /v1/models failed): is the server running?`);
  return {
    ...base,
    attached: true,
    launchCommand: null,
    serverLogPath: null,
    alive: probe,
    startMonitors() {
      const host = hostSampler(null);
      const path = adapterFor(target.framework).metricsPath;
      const metrics = path !== null ? metricsScraper(baseUrl.replace(/\/$/, '') + path) : null;
      return { stop: async (): Promise<MonitorSamples> => ({ gpu: [], host: await host.stop(), server_metrics: (await metrics?.stop()) ?? [] }) };
    },
    async stop() {},
  };
}
