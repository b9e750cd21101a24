// GPU sampling with nvidia-smi, on the request clock. No nvidia-smi means "no GPU", recorded as such, never an error.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { periodicSampler } from './sampler.ts';

const run = promisify(execFile);

export const GPU_QUERY = 'index,name,memory.used,memory.total,utilization.gpu,power.draw,temperature.gpu,clocks.sm,driver_version';

export interface GpuSampleRow {
  t_ms: number;
  gpu_index: number;
  name: string;
  memory_used_mib: number | null;
  memory_total_mib: number | null;
  util_pct: number | null;
  power_w: number | null;
  temperature_c: number | null;
  sm_clock_mhz: number | null;
}

export type Exec = (cmd: string, args: string[]) => Promise<string>;
export const execText: Exec = async (cmd, args) => (await run(cmd, args, { timeout: 5000 })).stdout;

/** `[N/A]`, `[Not Supported]` and blanks become null. */
const num = (s: string | undefined): number | null => {
  const v = Number((s ?? '').trim());
  return (s ?? '').trim() === '' || !Number.isFinite(v) ? null : v;
};

export function parseGpuCsv(text: string, t_ms: number): GpuSampleRow[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const f = line.split(',').map((x) => x.trim());
      return {
        t_ms,
        gpu_index: num(f[0]) ?? 0,
        name: f[1] ?? 'unknown',
        memory_used_mib: num(f[2]),
        memory_total_mib: num(f[3]),
        util_pct: num(f[4]),
        power_w: num(f[5]),
        temperature_c: num(f[6]),
        sm_clock_mhz: num(f[7]),
      };
    });
}

/** One reading of every GPU, or null when nvidia-smi is absent (no GPU). */
export async function readGpus(exec: Exec = execText): Promise<GpuSampleRow[] | null> {
  try {
    return parseGpuCsv(await exec('nvidia-smi', [`--query-gpu=${GPU_QUERY}`, '--format=csv,noheader,nounits']), performance.now());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`nvidia-smi failed: ${(err as Error).message}`);
  }
}

/** GPU model, driver and CUDA version for the environment record (null fields when there is no GPU). */
export async function gpuEnvironment(exec: Exec = execText): Promise<{ gpus: string[]; driver: string | null; cuda: string | null } | null> {
  try {
    const rows = await exec('nvidia-smi', [`--query-gpu=name,driver_version,memory.total`, '--format=csv,noheader']);
    const header = await exec('nvidia-smi', []);
    const lines = rows.split('\n').filter((l) => l.trim() !== '');
    return {
      gpus: lines.map((l) => l.split(',')[0]!.trim()),
      driver: lines[0]?.split(',')[1]?.trim() ?? null,
      cuda: /CUDA Version:\s*([\d.]+)/.exec(header)?.[1] ?? null,
    };
  } catch {
    return null;
  }
}

/** Samples every interval; `available` is false on a machine without nvidia-smi. */
export function gpuSampler(intervalMs = 500, exec: Exec = execText): { stop(): Promise<{ available: boolean; samples: GpuSampleRow[] }> } {
  let available = true;
  const sampler = periodicSampler(async () => {
    if (!available) return [];
    const rows = await readGpus(exec);
    if (rows === null) available = false;
    return rows ?? [];
  }, intervalMs);
  return { stop: async () => ({ samples: await sampler.stop(), available }) };
}

/** Total memory used across GPUs now, or null without a GPU. */
export async function gpuMemoryUsed(exec: Exec = execText): Promise<number | null> {
  const rows = await readGpus(exec);
  if (rows === null) return null;
  return rows.reduce((a, r) => a + (r.memory_used_mib ?? 0), 0);
}
