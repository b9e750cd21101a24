// The reference model: a small llama-architecture GGUF with seeded random weights and a byte-level BPE vocabulary
// trained on the project's own corpora, generated once per spec into a cache directory. No model can be downloaded
// on the project's machines (the downloads fail: only the npm registry is reachable), so the project makes its own.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainBpe } from './bpe.ts';
import { modelFileSize, writeModel } from './generate.ts';
import { modelSpec, parameterCount, specHash, validateSpec, type ModelPreset, type ModelSpec } from './spec.ts';
import { buildVocabulary, createTokenizer, type Tokenizer, type Vocabulary } from './tokenizer.ts';

export type { ModelPreset, ModelSpec } from './spec.ts';
export type { DecodeOptions, EncodeOptions, SpecialTokenIds, Tokenizer } from './tokenizer.ts';
export { GENERATOR_VERSION, MODEL_PRESETS, modelSpec, parameterCount } from './spec.ts';
export { CHATML_TEMPLATE } from './generate.ts';

const CORPUS_DIR = fileURLToPath(new URL('../../prompts/corpus/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const DEFAULT_CACHE_DIR = join(REPO_ROOT, '.cache', 'models');
export const CORPUS_FILES = ['en.txt', 'ko.txt'] as const;

export interface Corpora {
  texts: string[];
  /** sha256 over the files, part of every spec hash: a corpus edit changes the vocabulary. */
  hash: string;
}

let corporaPromise: Promise<Corpora> | undefined;

export function loadCorpora(): Promise<Corpora> {
  corporaPromise ??= (async () => {
    const texts = await Promise.all(CORPUS_FILES.map((f) => readFile(join(CORPUS_DIR, f), 'utf8')));
    const h = createHash('sha256');
    texts.forEach((t, i) => h.update(`${CORPUS_FILES[i]}\0${t}\0`));
    return { texts, hash: h.digest('hex') };
  })();
  return corporaPromise;
}

const vocabularies = new Map<number, Promise<{ vocab: Vocabulary; tokenizer: Tokenizer }>>();

/** Trains (once per process and size) the vocabulary of `vocabSize` tokens. */
function vocabularyOf(vocabSize: number): Promise<{ vocab: Vocabulary; tokenizer: Tokenizer }> {
  let p = vocabularies.get(vocabSize);
  if (!p) {
    p = loadCorpora().then(({ texts }) => {
      const vocab = buildVocabulary(trainBpe(texts, vocabSize - 3), vocabSize);
      return { vocab, tokenizer: createTokenizer(vocab) };
    });
    vocabularies.set(vocabSize, p);
  }
  return p;
}

/** The JS tokenizer of a preset's model, identical to llama.cpp's tokenization of the generated file. */
export async function loadTokenizer(preset: ModelPreset): Promise<Tokenizer> {
  return (await vocabularyOf(modelSpec(preset).vocabSize)).tokenizer;
}

export interface EnsureModelOptions {
  preset: ModelPreset;
  /** Default `.cache/models` under the repository root. */
  cacheDir?: string;
  onProgress?: (msg: string) => void;
  /** Changes to the preset's spec (tests: another seed, fewer layers). */
  specOverrides?: Partial<Omit<ModelSpec, 'preset'>>;
}

export interface ReferenceModel {
  path: string;
  spec: ModelSpec;
  specHash: string;
  tokenizer: Tokenizer;
}

/** File name of a spec's model: the preset for humans, the hash prefix for identity. */
export const modelFileName = (preset: ModelPreset, hash: string): string => `servebench-${preset}-${hash.slice(0, 16)}.gguf`;

const inFlight = new Map<string, Promise<void>>();

/**
 * Generates the model once into cacheDir and reuses it while a file for the same spec hash exists (same size as it
 * should be); a changed spec, corpus or generator version gives a new hash, hence a new file, and the preset's older
 * files are removed. Writes to a temporary file and renames it, so readers never see a partial model.
 */
export async function ensureReferenceModel(opts: EnsureModelOptions): Promise<ReferenceModel> {
  const spec: ModelSpec = { ...modelSpec(opts.preset), ...opts.specOverrides, preset: opts.preset };
  validateSpec(spec);
  const log = opts.onProgress ?? (() => {});
  const cacheDir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
  const corpora = await loadCorpora();
  const hash = specHash(spec, corpora.hash);
  const path = join(cacheDir, modelFileName(spec.preset, hash));

  const t0 = performance.now();
  const { vocab, tokenizer } = await vocabularyOf(spec.vocabSize);
  const size = modelFileSize(spec, vocab, hash);
  if ((await fileSize(path)) === size) {
    log(`reference model ${spec.preset}: reusing ${path}`);
    return { path, spec, specHash: hash, tokenizer };
  }

  let job = inFlight.get(path);
  if (!job) {
    job = (async () => {
      log(`reference model ${spec.preset}: vocabulary ready (${spec.vocabSize} tokens) in ${seconds(t0)}`);
      log(`reference model ${spec.preset}: writing ${(parameterCount(spec) / 1e6).toFixed(1)}M parameters (${spec.dtype}) to ${path}`);
      await mkdir(cacheDir, { recursive: true });
      await writeAtomically(path, async (sink) => {
        let lastLog = performance.now();
        await writeModel(sink, spec, vocab, hash, (done, total) => {
          if (performance.now() - lastLog > 1000 || done === total) {
            lastLog = performance.now();
            log(`reference model ${spec.preset}: ${done}/${total} tensors`);
          }
        });
      });
      await pruneOtherVersions(cacheDir, spec.preset, path);
      log(`reference model ${spec.preset}: generated ${(size / 2 ** 20).toFixed(1)} MiB in ${seconds(t0)}`);
    })().finally(() => inFlight.delete(path));
    inFlight.set(path, job);
  }
  await job;
  return { path, spec, specHash: hash, tokenizer };
}

const seconds = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(2)} s`;

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

async function writeAtomically(path: string, fill: (sink: { write(b: Uint8Array): Promise<void> }) => Promise<void>): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx');
  try {
    await fill({
      async write(bytes) {
        for (let off = 0; off < bytes.length; ) off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
      },
    });
    await fh.close();
    await rename(tmp, path);
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}

const STALE_TMP_MS = 60 * 60 * 1000;

/**
 * Removes the preset's files of other spec hashes (a default model is ~80 MB) and temporary files old enough to be
 * left over from a killed run; younger ones may belong to another process still writing.
 */
async function pruneOtherVersions(cacheDir: string, preset: ModelPreset, keep: string): Promise<void> {
  const prefix = `servebench-${preset}-`;
  for (const name of await readdir(cacheDir)) {
    if (!name.startsWith(prefix)) continue;
    const full = join(cacheDir, name);
    if (name.endsWith('.gguf') && full !== keep) await rm(full, { force: true });
    else if (name.endsWith('.tmp')) {
      const st = await stat(full).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_TMP_MS) await rm(full, { force: true });
    }
  }
}
