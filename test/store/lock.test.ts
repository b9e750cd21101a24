import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { acquireLock, lockKey, lockName, LockHeldError, type LockInfo } from '../../runner/lib/store/lock.ts';

const LOCK_TS = resolve('runner/lib/store/lock.ts');

/**
 * A real second process driven line by line over stdin: "go DIR KEY SWEEP" takes the lock and answers with JSON
 * ({ok, tookOverStale} or {error}), "release" releases it and answers "released"; closing stdin releases and exits.
 */
const CHILD = `
  const { acquireLock } = await import(${JSON.stringify(LOCK_TS)});
  const { createInterface } = await import('node:readline');
  let lock = null;
  const rl = createInterface({ input: process.stdin });
  rl.on('line', async (line) => {
    const [cmd, dir, key, sweep] = line.split(' ');
    if (cmd === 'go') {
      try {
        lock = await acquireLock(dir, key, { command: 'zx runner/sweep.mjs -f reference', sweep_id: sweep });
        console.log(JSON.stringify({ ok: true, tookOverStale: lock.tookOverStale }));
      } catch (err) {
        console.log(JSON.stringify({ error: err.name }));
      }
    } else if (cmd === 'release') {
      await lock?.release();
      lock = null;
      console.log('released');
    }
  });
  rl.on('close', async () => { await lock?.release(); process.exit(0); });
  console.log('ready');`;

class Holder {
  readonly child: ChildProcess;
  private lines: string[] = [];
  private waiter: (() => void) | null = null;
  private read = 0;

  constructor() {
    this.child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buffer = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      this.lines.push(...parts);
      this.waiter?.();
    });
    this.child.once('exit', () => this.waiter?.());
  }

  /** The next line the child writes. */
  async next(): Promise<string> {
    while (this.lines.length <= this.read) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`holder exited early: ${this.lines.join(' | ')}`);
      await new Promise<void>((r) => (this.waiter = r));
    }
    return this.lines[this.read++]!;
  }

  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  async acquire(dir: string, key: string, sweep: string): Promise<Record<string, unknown>> {
    this.send(`go ${dir} ${key} ${sweep}`);
    return JSON.parse(await this.next()) as Record<string, unknown>;
  }

  /** Closes stdin (the child releases) and waits for it to exit. */
  async end(): Promise<void> {
    this.child.stdin!.end();
    if (this.child.exitCode === null && this.child.signalCode === null) await once(this.child, 'exit');
  }
}

async function startHolder(): Promise<Holder> {
  const h = new Holder();
  expect(await h.next()).toBe('ready');
  return h;
}

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

const lockInfo = (over: Partial<LockInfo>): string =>
  JSON.stringify({ pid: 1, hostname: hostname(), started_at: new Date().toISOString(), command: 'zx runner/sweep.mjs', sweep_id: 'old', ...over });

describe('acquireLock', () => {
  it('while another live process holds the lock, acquire throws LockHeldError saying who holds it and what to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-lock-'));
    const other = await startHolder();
    expect(await other.acquire(dir, 'reference', 'sweep-A')).toEqual({ ok: true, tookOverStale: false });
    const file = join(dir, '.locks', 'reference.lock');
    const held = JSON.parse(await readFile(file, 'utf8')) as LockInfo;
    expect(held).toMatchObject({ pid: other.child.pid, hostname: hostname(), command: 'zx runner/sweep.mjs -f reference', sweep_id: 'sweep-A' });

    const err = await acquireLock(dir, 'reference', { command: 'zx runner/sweep.mjs', sweep_id: 'sweep-B' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LockHeldError);
    const message = (err as LockHeldError).message;
    expect(message).toContain(`pid ${other.child.pid}`);
    expect(message).toContain('zx runner/sweep.mjs -f reference');
    expect(message).toContain(`since ${held.started_at}`);
    expect(message).toContain('sweep sweep-A');
    expect(message).toMatch(/Wait for it to finish, or stop it \(kill \d+\)/);
    expect(message).toContain(`kill ${other.child.pid}`);
    expect((err as LockHeldError).holder).toEqual(held);
    // The failed attempt left the holder's lock alone.
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(held);

    // A different key is a different lock.
    const vllm = await acquireLock(dir, 'vllm', { command: 'x', sweep_id: 'sweep-C' });
    await vllm.release();

    // Once the holder releases and exits, the lock is free (not stale).
    await other.end();
    expect(existsSync(file)).toBe(false);
    const mine = await acquireLock(dir, 'reference', { command: 'zx runner/sweep.mjs', sweep_id: 'sweep-B' });
    expect(mine.tookOverStale).toBe(false);
    expect(mine.stale).toBeNull();
    expect(mine.path).toBe(file);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid, sweep_id: 'sweep-B' });
    await mine.release();
    expect(existsSync(file)).toBe(false);
  });

  it('a lock whose process was killed is stale: taken over, and the handle says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-lock-'));
    const other = await startHolder();
    expect(await other.acquire(dir, 'reference', 'sweep-A')).toMatchObject({ ok: true });
    const pid = other.child.pid!;
    other.child.kill('SIGKILL'); // no release: the file stays behind
    await once(other.child, 'exit');
    expect(existsSync(join(dir, '.locks', 'reference.lock'))).toBe(true);

    const lock = await acquireLock(dir, 'reference', { command: 'zx runner/sweep.mjs', sweep_id: 'sweep-B' });
    expect(lock.tookOverStale).toBe(true);
    expect(lock.stale?.previous).toMatchObject({ pid, sweep_id: 'sweep-A' });
    expect(lock.stale?.reason).toBe(`pid ${pid} is not running`);
    expect(JSON.parse(await readFile(lock.path, 'utf8'))).toMatchObject({ pid: process.pid, sweep_id: 'sweep-B' });
    await lock.release();
  });

  it('a lock file naming a dead pid, or one that cannot be read, is stale', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-lock-'));
    await mkdir(join(dir, '.locks'));
    const dead = deadPid();
    await writeFile(join(dir, '.locks', 'a.lock'), lockInfo({ pid: dead }));
    const a = await acquireLock(dir, 'a', { command: 'c', sweep_id: 's' });
    expect(a).toMatchObject({ tookOverStale: true, stale: { previous: { pid: dead }, reason: `pid ${dead} is not running` } });

    const file = join(dir, '.locks', 'b.lock');
    await writeFile(file, '{"pid": 12');
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const b = await acquireLock(dir, 'b', { command: 'c', sweep_id: 's' });
    expect(b).toMatchObject({ tookOverStale: true, stale: { previous: null, reason: 'its lock file is unreadable' } });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid });
    await a.release();
    await b.release();
    expect(await readdir(join(dir, '.locks'))).toEqual([]);
  });

  it.runIf(existsSync('/proc/self/stat'))('a live pid that started after the lock was taken (pid reused) is stale', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-lock-'));
    await mkdir(join(dir, '.locks'));
    // This process is alive but started long after a lock "taken" a day ago: it cannot be that lock's holder.
    const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
    await writeFile(join(dir, '.locks', 'k.lock'), lockInfo({ pid: process.pid, started_at: dayAgo }));
    const lock = await acquireLock(dir, 'k', { command: 'c', sweep_id: 's' });
    expect(lock.stale?.reason).toMatch(/started after the lock was taken/);
    await lock.release();
    // The same live pid with a lock taken after it started is a holder.
    await writeFile(join(dir, '.locks', 'k.lock'), lockInfo({ pid: process.pid, started_at: new Date().toISOString() }));
    await expect(acquireLock(dir, 'k', { command: 'c', sweep_id: 's' })).rejects.toBeInstanceOf(LockHeldError);
  });

  it('a lock held on another host is not taken over (its process cannot be checked)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-lock-'));
    await mkdir(join(dir, '.locks'));
    await writeFile(join(dir, '.locks', 'k.lock'), lockInfo({ pid: deadPid(), hostname: `not-${hostname()}` }));
    const err = await acquireLock(dir, 'k', { command: 'c', sweep_id: 's' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as Error).message).toMatch(/another host/);
    expect((err as Error).message).toContain(join(dir, '.locks', 'k.lock'));
  });

  it('release removes the file only while it still holds our pid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-lock-'));
    const lock = await acquireLock(dir, 'k', { command: 'c', sweep_id: 's' });
    const theirs = lockInfo({ pid: process.ppid, sweep_id: 'theirs' });
    await writeFile(lock.path, theirs);
    await lock.release();
    expect(await readFile(lock.path, 'utf8')).toBe(theirs);
  });

  it('of processes racing for one lock (free, or stale), exactly one gets it', async () => {
    const racers = await Promise.all(Array.from({ length: 5 }, () => startHolder()));
    const dead = deadPid();
    try {
      for (let round = 0; round < 16; round++) {
        const start = round % 4 === 0 ? 'free' : 'stale';
        const dir = await mkdtemp(join(tmpdir(), 'sb-lock-'));
        if (start === 'stale') {
          await mkdir(join(dir, '.locks'));
          await writeFile(join(dir, '.locks', 'k.lock'), lockInfo({ pid: dead }));
        }
        for (const [i, r] of racers.entries()) r.send(`go ${dir} k s${i}`);
        const results = await Promise.all(racers.map(async (r) => JSON.parse(await r.next()) as Record<string, unknown>));
        const label = `round ${round} (${start})`;
        expect(results.filter((r) => r.ok === true), label).toHaveLength(1);
        expect(results.filter((r) => r.error === 'LockHeldError'), label).toHaveLength(4);
        for (const r of racers) r.send('release');
        for (const r of racers) expect(await r.next()).toBe('released');
        expect(await readdir(join(dir, '.locks')), label).toEqual([]);
      }
    } finally {
      await Promise.all(racers.map((r) => r.end()));
    }
  });
});

describe('lock keys', () => {
  it('one file per key under <dataDir>/.locks, the key sanitised', async () => {
    expect(lockKey(['vllm', 'reference', 'vllm'])).toBe('reference+vllm');
    expect(lockName('reference+vllm')).toBe('reference+vllm');
    expect(lockName('../../etc/x')).toMatch(/^etc-x-[0-9a-f]{8}$/);
    expect(lockName('a/b')).not.toBe(lockName('a-b'));
    expect(lockName('')).toMatch(/^key-[0-9a-f]{8}$/);
    expect(lockName('x'.repeat(300)).length).toBeLessThan(100);
    const dir = await mkdtemp(join(tmpdir(), 'sb-lock-'));
    const lock = await acquireLock(dir, '../../escape', { command: 'c', sweep_id: 's' });
    expect(lock.path.startsWith(join(dir, '.locks') + '/')).toBe(true);
    await lock.release();
  });
});
