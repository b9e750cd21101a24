// One lock per data directory and key (the sweep's targets), so two sweeps never write the same points at once. The
// lock file appears atomically with its content (written aside, then hard-linked into place, which fails if the name
// exists; `wx` where hard links are not supported). A lock whose process is gone is stale and is taken over, by one
// process at a time (a takeover mutex), so racing sweeps never both get it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface LockInfo {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  started_at: string;
  command: string;
  sweep_id: string;
}

export interface LockHandle {
  readonly path: string;
  readonly info: LockInfo;
  /** True when a stale lock (its process gone, or its file unreadable) was taken over. */
  readonly tookOverStale: boolean;
  /** What the stale lock held (null when its file was unreadable) and why it was stale; null when none was. */
  readonly stale: { previous: LockInfo | null; reason: string } | null;
  /** Removes the lock file, only if it still holds this process's lock. */
  release(): Promise<void>;
}

/** Another live process holds the lock. */
export class LockHeldError extends Error {
  readonly path: string;
  readonly holder: LockInfo;

  constructor(path: string, key: string, holder: LockInfo) {
    const here = holder.hostname === hostname();
    super(
      [
        `another sweep is writing ${key} to this data directory:`,
        `  pid ${holder.pid} on ${holder.hostname}, since ${holder.started_at}, sweep ${holder.sweep_id}`,
        `  command: ${holder.command}`,
        here
          ? `Wait for it to finish, or stop it (kill ${holder.pid}) and run again: a lock whose process is gone is taken over.`
          : `It runs on another host, so its process cannot be checked from here: wait for it to finish, or, if it is no longer running, delete ${path}.`,
        `(lock file: ${path})`,
      ].join('\n'),
    );
    this.name = 'LockHeldError';
    this.path = path;
    this.holder = holder;
  }
}

/** A file name for a key: portable characters only; a key that had to change (or is long) gets a hash of the original. */
export function lockName(key: string): string {
  const cleaned = key.replace(/[^A-Za-z0-9._+-]+/g, '-').replace(/^[.-]+/, '').slice(0, 80);
  if (cleaned === key && cleaned !== '') return cleaned;
  return `${cleaned === '' ? 'key' : cleaned}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/** The key for a sweep: its target names, sorted and joined (the same targets in any order are the same sweep). */
export function lockKey(targets: readonly string[]): string {
  return [...new Set(targets)].sort().join('+');
}

function parseInfo(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid !== 'number' || !Number.isSafeInteger(v.pid) || typeof v.hostname !== 'string' || typeof v.started_at !== 'string') return null;
    return { pid: v.pid, hostname: v.hostname, started_at: v.started_at, command: String(v.command ?? ''), sweep_id: String(v.sweep_id ?? '') };
  } catch {
    return null;
  }
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When a process started (epoch ms), from /proc on Linux; null where that cannot be read. */
function processStartMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, clock ticks since boot), counted after the parenthesised command, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return null;
    return btime * 1000 + (ticks / 100) * 1000; // USER_HZ is 100 on every Linux servebench runs on
  } catch {
    return null;
  }
}

/** Why a lock is stale, or null when its holder may still be running. */
function staleReason(info: LockInfo): string | null {
  if (info.hostname !== hostname()) return null; // another host's process cannot be checked
  if (!pidAlive(info.pid)) return `pid ${info.pid} is not running`;
  // A pid reused by a process that started after the lock was taken is not the holder.
  const started = processStartMs(info.pid);
  const taken = Date.parse(info.started_at);
  if (started !== null && Number.isFinite(taken) && started > taken + 2_000) return `pid ${info.pid} now belongs to a process started after the lock was taken`;
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates `path` with `content` only if it does not exist; the file never appears half-written (when links work). */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.new`;
  await writeFile(aside, content);
  try {
    await link(aside, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    try {
      await writeFile(path, content, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    await rm(aside, { force: true });
  }
}

/** A lock file that cannot be parsed but is this young may be a `wx` create mid-write: look again before taking it. */
const UNREADABLE_GRACE_MS = 2_000;
/** A takeover holds its mutex for milliseconds: one older than this was abandoned by a process that died. */
const ABANDONED_MUTEX_MS = 10_000;

/**
 * Takes the lock `<dataDir>/.locks/<key>.lock` for this process. Throws LockHeldError while a live process holds it;
 * takes over a stale one (holder gone, or file unreadable), which the handle reports.
 */
export async function acquireLock(dataDir: string, key: string, info: { command: string; sweep_id: string }): Promise<LockHandle> {
  const dir = join(dataDir, '.locks');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${lockName(key)}.lock`);
  const mine: LockInfo = { pid: process.pid, hostname: hostname(), started_at: new Date().toISOString(), command: info.command, sweep_id: info.sweep_id };
  const content = JSON.stringify(mine, null, 2) + '\n';
  let stale: LockHandle['stale'] = null;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await createExclusive(path, content)) return handle(path, mine, stale);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: try again
      throw err;
    }
    const holder = parseInfo(text);
    let reason: string;
    if (holder === null) {
      const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => Infinity);
      if (age < UNREADABLE_GRACE_MS) {
        await sleep(100);
        continue;
      }
      reason = 'its lock file is unreadable';
    } else {
      const why = staleReason(holder);
      if (why === null) throw new LockHeldError(path, key, holder);
      reason = why;
    }
    // Take over, one process at a time: only the holder of the takeover mutex deletes a lock file, and only after
    // checking under the mutex that it is still the stale one judged above (a fresh lock is never deleted).
    const mutex = `${path}.takeover`;
    if (!(await createExclusive(mutex, JSON.stringify({ pid: process.pid, hostname: hostname() })))) {
      // Someone else is taking over (for milliseconds); a mutex this old was left by a process that died doing it.
      const age = await stat(mutex).then((st) => Date.now() - st.mtimeMs, () => 0);
      if (age > ABANDONED_MUTEX_MS) await rm(mutex, { force: true });
      else await sleep(10 + Math.random() * 40);
      continue;
    }
    try {
      const now = await readFile(path, 'utf8').catch(() => null);
      if (now === text) {
        await unlink(path);
        stale = { previous: holder, reason };
      }
    } finally {
      await rm(mutex, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}: it kept changing`);
}

function handle(path: string, info: LockInfo, stale: LockHandle['stale']): LockHandle {
  return {
    path,
    info,
    tookOverStale: stale !== null,
    stale,
    async release() {
      const text = await readFile(path, 'utf8').catch(() => null);
      const now = text === null ? null : parseInfo(text);
      if (now !== null && now.pid === info.pid && now.hostname === info.hostname && now.started_at === info.started_at) await unlink(path).catch(() => undefined);
    },
  };
}
