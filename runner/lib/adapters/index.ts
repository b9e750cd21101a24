// One adapter per framework, one folder each.
import type { Adapter } from './types.ts';
import { llamacpp } from './llamacpp/index.ts';
import { ollama } from './ollama/index.ts';
import { openai } from './openai/index.ts';
import { reference } from './reference/index.ts';
import { sglang } from './sglang/index.ts';
import { vllm } from './vllm/index.ts';

export const ADAPTERS: Record<string, Adapter> = { vllm, sglang, ollama, llamacpp, openai, reference };

export function adapterFor(framework: string): Adapter {
  const a = ADAPTERS[framework];
  if (a === undefined) throw new Error(`no adapter for framework "${framework}"; one of ${Object.keys(ADAPTERS).join(', ')}`);
  return a;
}
export type { Adapter, LaunchSpec } from './types.ts';
