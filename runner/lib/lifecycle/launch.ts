// Starting and stopping a framework server: its own process group, its log in a file kept with the run, readiness
// with a timeout, an immediate failure (with the log tail) when it exits early, SIGTERM then SIGKILL of the whole
// group, and a check that the GPU memory it held is released before the next framework starts.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LaunchSpec } from '../adapters/types.ts';
import { gpuMemoryUsed, type Exec, execText } from '../monitors/gpu.ts';
import { redact } from '../monitors/redact.ts';

/** The launch command as it may be written anywhere (log, pid note): secrets in flags redacted. */
const redactCommand = (commandLine: string): string => redact(commandLine);

export class LaunchError extends Error {
  override name = 'LaunchError';
}

/** Resolves an executable on a PATH the way the shell would, or null. */
export function findExecutable(command: string, path: string): string | null {
  const candidates = isAbsolute(command) || command.includes('/') ? [command] : path.split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // Not here.
    }
  }
  return null;
}

export function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host === '0.0.0.0' ? undefined : host, () => s.close(() => resolve(true)));
  });
}

/** A port nothing listens on right now (the OS picks it), for a server servebench starts itself. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function logTail(path: string, lines = 20): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

export interface ServerProcess {
  pid: number;
  logPath: string;
  commandLine: string;
  exited(): boolean;
  stop(graceMs?: number): Promise<void>;
}

const SUPERVISOR = fileURLToPath(new URL('./supervisor.ts', import.meta.url));

/** Where servebench notes the servers it started, one file per port, so a server left behind is recognised later. */
export const SERVER_REGISTRY = join(tmpdir(), 'servebench-servers');

interface ServerNote {
  pid: number;
  port: number;
  command: string;
  started_at: string;
  sweep_pid: number;
}

const noteOf = (port: number, registry: string): string => join(registry, `${port}.json`);

/** A server an earlier servebench run started on this port and that still runs (its process group is alive). */
export async function leftoverServer(port: number, registry = SERVER_REGISTRY): Promise<ServerNote | null> {
  let note: ServerNote;
  try {
    note = JSON.parse(await readFile(noteOf(port, registry), 'utf8')) as ServerNote;
  } catch {
    return null;
  }
  try {
    process.kill(-note.pid, 0);
    return note;
  } catch {
    await rm(noteOf(port, registry), { force: true });
    return null;
  }
}

export interface LaunchOptions {
  logPath: string;
  /** Aborting (Ctrl-C) ends the wait for readiness at once and stops the server. */
  signal?: AbortSignal;
  /** Directory of the per-port server notes (tests use their own). */
  registry?: string;
  /** Called every poll until it answers true. */
  ready: () => Promise<boolean>;
  timeoutMs: number;
  pollMs?: number;
  onProgress?: (line: string) => void;
  /** How long the supervisor waits after SIGTERM before SIGKILL when the sweep died without stopping the server. */
  orphanGraceMs?: number;
}

/** Sleeps, or returns at once when the signal aborts. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

export async function launchServer(spec: LaunchSpec, opts: LaunchOptions): Promise<ServerProcess> {
  const PATH = [...spec.pathPrefix, process.env.PATH ?? ''].join(delimiter);
  const exe = findExecutable(spec.command, PATH);
  if (exe === null) throw new LaunchError(`executable "${spec.command}" not found on PATH (${PATH}); install it or set the target's command/venv`);
  const registry = opts.registry ?? SERVER_REGISTRY;
  if (!(await portFree(spec.port, spec.host))) {
    const left = await leftoverServer(spec.port, registry);
    if (left !== null) {
      throw new LaunchError(
        `port ${spec.port} is held by a server an earlier servebench run started (pid ${left.pid}, since ${left.started_at}: ${left.command}); stop it with: kill -TERM -- -${left.pid}`,
      );
    }
    throw new LaunchError(`port ${spec.port} on ${spec.host} is already in use: stop what is running there or set another port`);
  }
  if (opts.signal?.aborted) throw new LaunchError(`interrupted before ${spec.command} was started`);
  const log = createWriteStream(opts.logPath, { flags: 'a' });
  await new Promise((r) => log.once('open', r));
  const commandLine = [exe, ...spec.args].join(' ');
  log.write(`$ ${redactCommand(commandLine)}\n`);
  // The supervisor leads the server's process group and stops it if this process dies without doing so (supervisor.ts).
  const child: ChildProcess = spawn(process.execPath, [SUPERVISOR, String(opts.orphanGraceMs ?? 10_000), exe, ...spec.args], {
    env: { ...process.env, ...spec.env, PATH },
    detached: true,
    stdio: ['ignore', log, log, 'ipc'],
  });
  if (child.pid === undefined) throw new LaunchError(`could not start ${commandLine}`);
  child.channel?.unref();
  const pid = child.pid;
  await mkdir(registry, { recursive: true });
  const note: ServerNote = { pid, port: spec.port, command: redactCommand(commandLine), started_at: new Date().toISOString(), sweep_pid: process.pid };
  await writeFile(noteOf(spec.port, registry), JSON.stringify(note));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((r) => child.once('exit', (code, signal) => {
    exitCode = code ?? (signal ? -1 : null);
    r();
  }));
  const proc: ServerProcess = {
    pid,
    logPath: opts.logPath,
    commandLine,
    exited: () => exitCode !== undefined,
    async stop(graceMs = 15_000) {
      if (exitCode === undefined) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Whatever the server left behind in its group goes too.
      killGroup(pid, 'SIGKILL');
      log.end();
      await rm(noteOf(spec.port, registry), { force: true });
    },
  };
  const deadline = performance.now() + opts.timeoutMs;
  const interrupted = async (): Promise<never> => {
    await proc.stop(2000);
    throw new LaunchError(`interrupted while ${spec.command} was starting; it was stopped`);
  };
  for (;;) {
    if (opts.signal?.aborted) return interrupted();
    if (exitCode !== undefined) {
      throw new LaunchError(`${spec.command} exited (code ${exitCode}) before it was ready; last lines of ${opts.logPath}:\n${await logTail(opts.logPath)}`);
    }
    if (await opts.ready().catch(() => false)) return proc;
    if (opts.signal?.aborted) return interrupted();
    if (performance.now() > deadline) {
      await proc.stop(2000);
      throw new LaunchError(`${spec.command} was not ready after ${Math.round(opts.timeoutMs / 1000)} s; last lines of ${opts.logPath}:\n${await logTail(opts.logPath)}`);
    }
    await abortableSleep(opts.pollMs ?? 250, opts.signal);
  }
}

/**
 * Waits until GPU memory is back near the baseline taken before the server started, so the next framework does not
 * share the GPU with a dying one. No GPU: nothing to wait for.
 */
export async function waitForGpuRelease(baselineMiB: number | null, opts: { toleranceMiB?: number; timeoutMs?: number; exec?: Exec } = {}): Promise<void> {
  if (baselineMiB === null) return;
  const limit = baselineMiB + (opts.toleranceMiB ?? 1024);
  const deadline = performance.now() + (opts.timeoutMs ?? 60_000);
  let used = await gpuMemoryUsed(opts.exec ?? execText);
  while (used !== null && used > limit) {
    if (performance.now() > deadline) throw new LaunchError(`GPU memory not released: ${used} MiB in use, baseline was ${baselineMiB} MiB; another process may still hold the GPU`);
    await new Promise((r) => setTimeout(r, 500));
    used = await gpuMemoryUsed(opts.exec ?? execText);
  }
}
