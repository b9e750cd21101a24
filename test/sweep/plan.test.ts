// The main command on a GPU box: with no options and nvidia-smi reporting a GPU, the design (full profile) on every
// configured framework whose launcher is found, after a plan that says what runs and why the rest cannot;
// --dry-run prints that plan only. Without a GPU the default stays the reference server and the quick profile.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const BIN = resolve('test/fixtures/bin');

async function dryRun(path: string, ...args: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sb-plan-'));
  const config = join(dir, 'c.yaml');
  await writeFile(config, `targets:\n  llamacpp: { framework: llamacpp, model: gpt-oss-20b, model_path: /models/gpt-oss-20b.gguf }\n`);
  const r = await exec(process.execPath, ['node_modules/zx/build/cli.js', 'runner/sweep.mjs', '--dry-run', '--config', config, '--output-dir', join(dir, 'data'), ...args], { env: { ...process.env, PATH: path } });
  return r.stderr;
}

describe('the plan', () => {
  it('on a GPU box: every configured target, the full profile; what cannot run says why', async () => {
    // The fakes stand in for nvidia-smi, vllm, python3 (SGLang), ollama and llama-server.
    const plan = await dryRun(`${BIN}${delimiter}${process.env.PATH}`);
    expect(plan).toMatch(/plan \(profile full\): \d+ points/);
    for (const t of ['vllm', 'sglang', 'ollama', 'llamacpp']) expect(plan).toMatch(new RegExp(`✔ ${t} \\(${t}, [^)]+\\): start .*test/fixtures/bin/`));
    expect(plan).toMatch(/✔ reference \(reference, reference\): start /);
    expect(plan).toMatch(/✖ openai \(openai\): not run — nothing answers at http:\/\/127\.0\.0\.1:4000/);
    expect(plan).toMatch(/about .* in all \(rough/);
  });

  it('without a GPU: the reference server and the quick profile, as before', async () => {
    const plan = await dryRun(process.env.PATH!.split(delimiter).filter((d) => d !== BIN).join(delimiter));
    expect(plan).toMatch(/plan \(profile quick\)/);
    expect(plan).toMatch(/✔ reference/);
    expect(plan).not.toMatch(/vllm/);
  });
});
