// GPU frameworks (vLLM, SGLang, Ollama, llama.cpp) started through the adapters' lifecycle.
import type { ModelConfig, TargetConfig } from '../config/config.ts';
import type { RunningTarget } from './target.ts';

export async function startFrameworkTarget(name: string, target: TargetConfig, model: ModelConfig, ctx: { logDir: string }): Promise<RunningTarget> {
  void model;
  void ctx;
  throw new Error(`${name}: starting ${target.framework} servers is not wired in yet; attach to a running one with --base-url`);
}
