import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureReferenceModel, modelSpec, parameterCount } from '../../runner/lib/reference/model/index.ts';
import { ggufHeader, GGUF_ALIGNMENT } from '../../runner/lib/reference/model/gguf.ts';
import { tensorPlan } from '../../runner/lib/reference/model/weights.ts';

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'servebench-model-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');
// One layer keeps these file-level tests quick; the llama.cpp tests load the real tiny preset.
const small = { layers: 1 } as const;

describe('presets', () => {
  it('tiny has a few million parameters, default tens of millions; both 8192 context', () => {
    const tiny = modelSpec('tiny');
    const def = modelSpec('default');
    expect(parameterCount(tiny)).toBeGreaterThan(2e6);
    expect(parameterCount(tiny)).toBeLessThan(10e6);
    expect(parameterCount(def)).toBeGreaterThan(20e6);
    expect(parameterCount(def)).toBeLessThan(100e6);
    expect(tiny.contextLength).toBe(8192);
    expect(def.contextLength).toBe(8192);
    expect(def.dtype).toBe('f16');
    expect(modelSpec('tiny')).not.toBe(modelSpec('tiny')); // callers may mutate their copy
  });

  it('the parameter count is the sum of the tensors', () => {
    for (const preset of ['tiny', 'default'] as const) {
      const s = modelSpec(preset);
      const sum = tensorPlan(s).reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
      expect(sum).toBe(parameterCount(s));
    }
  });
});

describe('GGUF bytes', () => {
  it('same seed → byte-identical file; another seed → another file', async () => {
    const [a, b, c] = await Promise.all([
      ensureReferenceModel({ preset: 'tiny', cacheDir: await tempDir(), specOverrides: small }),
      ensureReferenceModel({ preset: 'tiny', cacheDir: await tempDir(), specOverrides: small }),
      ensureReferenceModel({ preset: 'tiny', cacheDir: await tempDir(), specOverrides: { ...small, seed: 7 } }),
    ]);
    expect(await sha256(a.path)).toBe(await sha256(b.path));
    expect(a.specHash).toBe(b.specHash);
    expect(c.specHash).not.toBe(a.specHash);
    expect(await sha256(c.path)).not.toBe(await sha256(a.path));
    // Only the weights differ: same size, same header length.
    expect((await stat(c.path)).size).toBe((await stat(a.path)).size);
  });

  it('writes F16 matrices at half the size of F32', async () => {
    const dir = await tempDir();
    const f32 = await ensureReferenceModel({ preset: 'tiny', cacheDir: dir, specOverrides: small });
    const f16 = await ensureReferenceModel({ preset: 'default', cacheDir: dir, specOverrides: { ...small, vocabSize: 4096, dim: 256, heads: 4, kvHeads: 4, ffn: 704 } });
    const matrices = tensorPlan(f32.spec).filter((t) => t.dims.length === 2).reduce((n, t) => n + t.dims[0]! * t.dims[1]!, 0);
    const diff = (await stat(f32.path)).size - (await stat(f16.path)).size;
    expect(Math.abs(diff - matrices * 2)).toBeLessThan(4096); // the rest is metadata and padding
  });

  it('header: magic, version 3, counts, data section aligned to 32 bytes', async () => {
    const m = await ensureReferenceModel({ preset: 'tiny', cacheDir: await tempDir(), specOverrides: small });
    const bytes = await readFile(m.path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(view.getUint32(4, true)).toBe(3);
    expect(Number(view.getBigUint64(8, true))).toBe(tensorPlan(m.spec).length);
    const header = ggufHeader([], []);
    expect(header.length % GGUF_ALIGNMENT).toBe(0);
  });
});

describe('cache', () => {
  it('reuses the file for the same spec without rewriting it', async () => {
    const dir = await tempDir();
    const log1: string[] = [];
    const first = await ensureReferenceModel({ preset: 'tiny', cacheDir: dir, specOverrides: small, onProgress: (m) => log1.push(m) });
    expect(log1.some((m) => m.includes('writing'))).toBe(true);
    const before = await stat(first.path);
    await new Promise((r) => setTimeout(r, 20));
    const log2: string[] = [];
    const second = await ensureReferenceModel({ preset: 'tiny', cacheDir: dir, specOverrides: small, onProgress: (m) => log2.push(m) });
    const after = await stat(second.path);
    expect(second.path).toBe(first.path);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(log2.some((m) => m.includes('reusing'))).toBe(true);
    expect(log2.some((m) => m.includes('writing'))).toBe(false);
  });

  it('regenerates on a spec change and removes the stale file and no temporary file is left', async () => {
    const dir = await tempDir();
    const old = await ensureReferenceModel({ preset: 'tiny', cacheDir: dir, specOverrides: small });
    const changed = await ensureReferenceModel({ preset: 'tiny', cacheDir: dir, specOverrides: { ...small, ffn: 512 } });
    expect(changed.path).not.toBe(old.path);
    expect(changed.spec.ffn).toBe(512);
    expect(await readdir(dir)).toEqual([changed.path.slice(dir.length + 1)]);
  });

  it('regenerates a file whose size is wrong (e.g. cut short by a full disk)', async () => {
    const dir = await tempDir();
    const m = await ensureReferenceModel({ preset: 'tiny', cacheDir: dir, specOverrides: small });
    const good = await sha256(m.path);
    await truncate(m.path, 1000);
    const again = await ensureReferenceModel({ preset: 'tiny', cacheDir: dir, specOverrides: small });
    expect(await sha256(again.path)).toBe(good);
  });

  it('concurrent calls in one process generate once', async () => {
    const dir = await tempDir();
    const log: string[] = [];
    const opts = { preset: 'tiny' as const, cacheDir: dir, specOverrides: small, onProgress: (m: string) => log.push(m) };
    const [a, b] = await Promise.all([ensureReferenceModel(opts), ensureReferenceModel(opts)]);
    expect(a.path).toBe(b.path);
    expect(log.filter((m) => m.includes('writing'))).toHaveLength(1);
  });

  it('rejects an invalid spec', async () => {
    await expect(ensureReferenceModel({ preset: 'tiny', cacheDir: await tempDir(), specOverrides: { heads: 3 } })).rejects.toThrow(/divisible/);
  });
});

describe('CLI', () => {
  it('prints the model path', async () => {
    const dir = await tempDir();
    const cli = fileURLToPath(new URL('../../runner/lib/reference/model/cli.ts', import.meta.url));
    // process.execPath is the Node (24) running vitest, which strips TypeScript types.
    const { stdout } = await promisify(execFile)(process.execPath, [cli, '--preset', 'tiny', '--cache-dir', dir, '--quiet']);
    const path = stdout.trim();
    expect(path.startsWith(dir)).toBe(true);
    expect(path.endsWith('.gguf')).toBe(true);
    expect((await stat(path)).size).toBeGreaterThan(1e6);
  });
});
