// Turns a configured target into a RunningTarget: attach to a base URL, or start the built-in reference server.
// Framework servers on GPU boxes (vLLM, SGLang, Ollama) go through the adapters' lifecycle (runner/lib/adapters).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { apiKeyFromEnv } from '../client/send.ts';
import type { ModelConfig, TargetConfig } from '../config/config.ts';
import type { Row } from '../store/writer.ts';
import type { MonitorSamples, RunningTarget, TargetCapabilities } from './target.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** What each framework supports (shared/WIRE.md), used when attaching and for the built-in targets. */
export const CAPABILITIES: Record<string, TargetCapabilities> = {
  vllm: { ignoreEos: true, includeUsage: true, continuousUsage: true, prefixCacheReset: true },
  sglang: { ignoreEos: true, includeUsage: true, continuousUsage: false, prefixCacheReset: true },
  ollama: { ignoreEos: false, includeUsage: true, continuousUsage: false, prefixCacheReset: false },
  llamacpp: { ignoreEos: true, includeUsage: true, continuousUsage: false, prefixCacheReset: false },
  openai: { ignoreEos: false, includeUsage: true, continuousUsage: false, prefixCacheReset: false },
  reference: { ignoreEos: true, includeUsage: true, continuousUsage: true, prefixCacheReset: true },
};

const RESET_PATHS: Record<string, string> = { vllm: '/reset_prefix_cache', sglang: '/flush_cache', reference: '/reset_prefix_cache' };
const METRICS_FRAMEWORKS = new Set(['vllm', 'sglang', 'llamacpp', 'reference']);

export function servedModelName(framework: string, modelKey: string, model: ModelConfig): string {
  if (model.served_name) return model.served_name;
  if (framework === 'ollama') return model.ollama ?? modelKey;
  if (framework === 'reference') return `servebench-reference-${model.preset ?? 'default'}`;
  return model.hf ?? modelKey;
}

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
  const rows: Row[] = [];
  let pending: Promise<void> = Promise.resolve();
  const sample = (): void => {
    pending = (async () => {
      const t = performance.now();
      const sys = await systemMemory();
      rows.push({
        t_ms: t,
        server_rss_mib: serverPid !== null ? await rssMiB(serverPid) : null,
        client_rss_mib: process.memoryUsage().rss / 2 ** 20,
        system_used_mib: sys.used,
        system_total_mib: sys.total,
      });
    })();
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

/** Scrapes Prometheus text from /metrics into samples; one line per series. */
export function metricsScraper(url: string, intervalMs = 1000): { stop(): Promise<Row[]> } {
  const rows: Row[] = [];
  let pending: Promise<void> = Promise.resolve();
  const scrape = (): void => {
    pending = (async () => {
      const t = performance.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (!res.ok) return;
        rows.push(...parsePrometheus(await res.text()).map((s) => ({ t_ms: t, ...s })));
      } catch {
        // A missed scrape is a gap in the series, not a failed benchmark.
      }
    })();
  };
  scrape();
  const timer = setInterval(scrape, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      scrape();
      await pending;
      return rows;
    },
  };
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
  return {
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
  const caps = CAPABILITIES[framework] ?? CAPABILITIES.openai!;
  const notes: string[] = [];
  if (!caps.ignoreEos) notes.push(`${framework} has no ignore_eos: answers may end before max_tokens`);
  return {
    name,
    framework,
    baseUrl,
    apiKey: apiKeyFromEnv(target.api_key_env),
    modelId: servedModelName(framework, target.model, model),
    quantization: model.quantization?.[framework] ?? null,
    version: null,
    protocol: 'openai-chat',
    capabilities: caps,
    notes,
    async resetPrefixCache() {
      const path = RESET_PATHS[framework];
      if (path === undefined) return false;
      const res = await fetch(baseUrl.replace(/\/$/, '') + path, { method: 'POST' }).catch(() => null);
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
      const metrics = METRICS_FRAMEWORKS.has(target.framework) ? metricsScraper(baseUrl.replace(/\/$/, '') + '/metrics') : null;
      return { stop: async (): Promise<MonitorSamples> => ({ gpu: [], host: await host.stop(), server_metrics: (await metrics?.stop()) ?? [] }) };
    },
    async stop() {},
  };
}

/** Stops a process group: SIGTERM, then SIGKILL after the grace period. */
export async function stopGroup(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  signal('SIGKILL'); // anything the server left behind in its group
}

/** The built-in reference server, started as a child process group like any framework. */
export async function startReferenceTarget(name: string, target: TargetConfig, model: ModelConfig, ctx: { logDir: string }): Promise<RunningTarget> {
  const args = [
    join(REPO, 'runner/reference-server.mjs'),
    '--preset', String(model.preset ?? 'default'),
    '--port', String(target.port ?? 0),
    '--parallel', String(target.parallel ?? 4),
    '--threads', String(target.threads ?? 1),
    ...(target.prefix_cache === false ? [] : ['--prefix-cache']),
  ];
  const logPath = join(ctx.logDir, `${name}.log`);
  const log = createWriteStream(logPath, { flags: 'a' });
  const zx = join(REPO, 'node_modules/zx/build/cli.js');
  const child = spawn(process.execPath, [zx, ...args], { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.pipe(log);
  const launchCommand = `zx ${args.map((a) => a.replace(REPO, '')).join(' ')}`;
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`reference server not listening after 600 s; see ${logPath}`)), 600_000);
    child.stdout.on('data', (d: Buffer) => {
      log.write(d);
      out += d.toString();
      const m = /listening (http\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', async (code) => {
      clearTimeout(timer);
      const tail = (await readFile(logPath, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
      reject(new Error(`reference server exited (code ${code}) before it was ready; log tail:\n${tail}`));
    });
  });
  const health = async (): Promise<boolean> => {
    const res = await fetch(url + '/health', { signal: AbortSignal.timeout(5000) }).catch(() => null);
    return res !== null && res.status === 200;
  };
  const deadline = performance.now() + 600_000;
  while (!(await health())) {
    if (child.exitCode !== null) throw new Error(`reference server exited during start; see ${logPath}`);
    if (performance.now() > deadline) {
      await stopGroup(child);
      throw new Error(`reference server never became healthy; see ${logPath}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const base = baseTarget(name, target, model, url);
  return {
    ...base,
    attached: false,
    launchCommand,
    serverLogPath: logPath,
    version: base.version,
    alive: async () => child.exitCode === null && (await health()),
    startMonitors() {
      const host = hostSampler(child.pid ?? null);
      const metrics = metricsScraper(url + '/metrics');
      return { stop: async (): Promise<MonitorSamples> => ({ gpu: [], host: await host.stop(), server_metrics: await metrics.stop() }) };
    },
    async environment() {
      return { ...(await hostEnvironment()), gpu: null, gpu_note: 'no GPU: CPU inference on the reference server', reference: { preset: model.preset ?? 'default', parallel: target.parallel ?? 4, threads: target.threads ?? 1, prefix_cache: target.prefix_cache !== false } };
    },
    async stop() {
      await stopGroup(child);
      log.end();
    },
  };
}
