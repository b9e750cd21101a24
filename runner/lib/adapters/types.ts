// What servebench knows about a serving framework: how to launch it (the design's defaults, every value overridable
// from config), what it calls a model, how it signals readiness, what it supports, and how to read its version.
import type { ModelConfig, TargetConfig } from '../config/config.ts';
import type { TargetCapabilities } from '../sweep/target.ts';

export type Fetch = typeof fetch;

export interface LaunchSpec {
  command: string;
  args: string[];
  /** Added to the environment of the server process. */
  env: Record<string, string>;
  host: string;
  port: number;
  /** Directories put first on PATH (a framework's own Python environment). */
  pathPrefix: string[];
}

export interface Adapter {
  framework: string;
  defaultPort: number;
  capabilities: TargetCapabilities;
  prefixResetPath: string | null;
  metricsPath: string | null;
  /** The model name requests use. */
  servedModel(modelKey: string, model: ModelConfig): string;
  /** Null when servebench never starts this framework (attach only). */
  launch(target: TargetConfig, model: ModelConfig, modelKey: string): LaunchSpec | null;
  /** Ready exactly as the server signals it (shared/WIRE.md). */
  ready(baseUrl: string, f: Fetch): Promise<boolean>;
  version(baseUrl: string, f: Fetch): Promise<string | null>;
  /** Effective configuration the server reports (context length, parallelism, …), for the environment record. */
  effectiveConfig(baseUrl: string, f: Fetch): Promise<Record<string, unknown>>;
  /** Work between ready and warmup (Ollama: pull the model, then preload it so load time never lands in a TTFT). */
  prepare?(baseUrl: string, modelName: string, f: Fetch, log: (line: string) => void): Promise<void>;
}

/** Overridable settings read from a target's config, with the design's defaults. */
export function setting<T>(target: TargetConfig, key: string, dflt: T): T {
  const v = target[key];
  return v === undefined || v === null ? dflt : (v as T);
}

export function extraArgs(target: TargetConfig): string[] {
  const v = target.extra_args;
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`targets.${target.framework}.extra_args must be a list of strings`);
  return v;
}

export function envOf(target: TargetConfig): Record<string, string> {
  const v = target.env;
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null) throw new Error(`targets.${target.framework}.env must be a map`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

/** A framework's own Python environment (e.g. vllm/vllm_env): its bin/ goes first on PATH. */
export function venvBin(target: TargetConfig): string[] {
  const v = target.venv;
  return typeof v === 'string' && v !== '' ? [`${v.replace(/\/$/, '')}/bin`] : [];
}

export async function getJson(f: Fetch, url: string): Promise<Record<string, unknown> | null> {
  try {
    const res = await f(url, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return null;
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export async function statusOf(f: Fetch, url: string): Promise<number | null> {
  try {
    const res = await f(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return null;
  }
}
