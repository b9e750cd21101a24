// Host-side monitors every target shares: memory of the server and the client, the server's Prometheus /metrics, and
// the facts about this machine that a result is stored with.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Row } from '../store/writer.ts';
import { parsePrometheus } from './prometheus.ts';
import { periodicSampler } from './sampler.ts';

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
