// Faults: no server left behind. Ctrl-C while a server starts stops it at once; a sweep killed with SIGKILL takes its
// server with it (the supervisor); a server an earlier run left on a port is recognised by its note; secrets in the
// launch flags never reach the server log, even when the server echoes them in its own format.
import { execSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LaunchSpec } from '../../runner/lib/adapters/types.ts';
import { freePort, launchServer, LaunchError } from '../../runner/lib/lifecycle/launch.ts';

const BIN = resolve('test/fixtures/bin');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-faults-'));
});

const spec = (port: number, extra: string[] = [], env: Record<string, string> = {}): LaunchSpec => ({
  command: join(BIN, 'vllm'), args: ['serve', 'openai/gpt-oss-20b', '--port', String(port), ...extra], env, host: '127.0.0.1', port, pathPrefix: [],
});
/** Fake servers listening (or loading) on this port: their command line carries the port and the fake tag. */
const running = (port: number): number[] => {
  try {
    return execSync(`pgrep -f "port ${port} .*fake-gp[u]"`).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const waitFor = async (f: () => boolean, ms: number): Promise<boolean> => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (f()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return f();
};
const ready = (port: number) => async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200;

describe('no server left behind', () => {
  it('Ctrl-C while the server is starting ends the wait at once and stops the server', async () => {
    const port = await freePort();
    const ac = new AbortController();
    // The fake loads for 60 s: without the signal the wait would last the whole ready timeout.
    const started = launchServer(spec(port, [], { FAKE_LOAD_MS: '60000' }), { logPath: join(dir, 'ctrlc.log'), ready: ready(port), timeoutMs: 120_000, signal: ac.signal, registry: dir });
    expect(await waitFor(() => running(port).length > 0, 10_000)).toBe(true);
    const t0 = performance.now();
    ac.abort();
    await expect(started).rejects.toThrow(/interrupted while .*vllm was starting; it was stopped/);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(running(port)).toEqual([]);
  });

  it('a sweep killed with SIGKILL takes its server with it', async () => {
    const port = await freePort();
    const script = join(dir, 'holder.ts');
    await writeFile(
      script,
      `import { launchServer } from ${JSON.stringify(resolve('runner/lib/lifecycle/launch.ts'))};
const spec = ${JSON.stringify(spec(port))};
await launchServer(spec, { logPath: ${JSON.stringify(join(dir, 'holder.log'))}, registry: ${JSON.stringify(dir)}, orphanGraceMs: 1000, timeoutMs: 30000,
  ready: async () => (await fetch('http://127.0.0.1:${port}/health').catch(() => null))?.status === 200 });
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`,
    );
    const holder = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => holder.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && r()));
    const servers = running(port);
    expect(servers.length).toBeGreaterThan(0);
    holder.kill('SIGKILL');
    expect(await waitFor(() => servers.every((p) => !alive(p)), 8000)).toBe(true);
    expect(await readFile(join(dir, 'holder.log'), 'utf8')).toMatch(/the sweep that started this server is gone; stopping it/);
  });

  it('a server an earlier run left on the port is recognised, with the command that stops it', async () => {
    const port = await freePort();
    const proc = await launchServer(spec(port), { logPath: join(dir, 'left.log'), ready: ready(port), timeoutMs: 30_000, registry: dir });
    try {
      // As if the sweep and its supervisor were both killed: the server's group lives on, and so does its note.
      process.kill(proc.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      expect(running(port).length).toBeGreaterThan(0);
      const again = launchServer(spec(port), { logPath: join(dir, 'left2.log'), ready: ready(port), timeoutMs: 5000, registry: dir });
      await expect(again).rejects.toThrow(LaunchError);
      await expect(again).rejects.toThrow(new RegExp(`port ${port} is held by a server an earlier servebench run started \\(pid ${proc.pid}.*kill -TERM -- -${proc.pid}`));
    } finally {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    expect(await waitFor(() => running(port).length === 0, 5000)).toBe(true);
  });

  it('secrets in launch flags are masked in the server log, in the command line and in the server\'s own echo of them', async () => {
    const port = await freePort();
    const log = join(dir, 'secret.log');
    const proc = await launchServer(spec(port, ['--api-key', 'sk-live-0123456789']), { logPath: log, ready: ready(port), timeoutMs: 30_000, registry: dir });
    await proc.stop();
    const text = await readFile(log, 'utf8');
    expect(text).toMatch(/non-default args: .*'api_key': \['\*\*\*'\]/);
    expect(text).toMatch(/--api-key \*\*\*/);
    expect(text).not.toContain('sk-live-0123456789');
  });

  describe('through the sweep itself', () => {
    const sweepWith = async (port: number, env: Record<string, string>) => {
      const config = join(dir, `sweep-${port}.yaml`);
      await writeFile(config, `defaults: { max_tokens: 4, warmups: 0 }\ntargets:\n  v: { framework: vllm, model: gpt-oss-20b, port: ${port}, env: ${JSON.stringify(env)} }\nscenarios:\n  single: { concurrency: [1], input_tokens: [16], repetitions: 50 }\n`);
      const child = spawn(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sweep.mjs', '--config', config, '--output-dir', join(dir, `data-${port}`), '--profile', 'full', '-f', 'v', '-s', 'single'], {
        env: { ...process.env, PATH: `${BIN}:${process.env.PATH}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (c, sig) => r(c ?? (sig ? -1 : null))));
      return { child, exited, err: () => err };
    };

    it('Ctrl-C while the sweep waits for a server to load: exit 130 at once, the server stopped', async () => {
      const port = await freePort();
      const s = await sweepWith(port, { FAKE_LOAD_MS: '60000' });
      expect(await waitFor(() => running(port).length > 0, 15_000)).toBe(true);
      const t0 = performance.now();
      s.child.kill('SIGINT');
      expect(await s.exited).toBe(130);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(s.err()).toMatch(/interrupted while .*vllm was starting; it was stopped/);
      expect(running(port)).toEqual([]);
    }, 40_000);

    it('a sweep killed with SIGKILL mid-point leaves no server running', async () => {
      const port = await freePort();
      const s = await sweepWith(port, { FAKE_LOAD_MS: '200' });
      expect(await waitFor(() => /• v · single/.test(s.err()), 20_000)).toBe(true);
      const servers = running(port);
      expect(servers.length).toBeGreaterThan(0);
      s.child.kill('SIGKILL');
      await s.exited;
      // The supervisor's grace period (10 s by default) bounds how long SIGTERM may take before SIGKILL.
      expect(await waitFor(() => servers.every((p) => !alive(p)), 15_000)).toBe(true);
    }, 60_000);
  });
});
