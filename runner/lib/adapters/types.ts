// What servebench knows about a serving framework: how to launch it (the design's defaults, every value overridable
// from config), what it calls a model, how it signals readiness, what it supports, and how to read its version.
import type { ChatMessage } from '../client/body.ts';
import type { ModelConfig, TargetConfig } from '../config/config.ts';
import type { RequestContext, TargetCapabilities } from '../sweep/target.ts';

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
  /** False when the server closes every connection after a response although it advertises keep-alive. */
  reuseConnections?: boolean;
  /** Top-level request fields for a point, e.g. llama.cpp's `cache_prompt: false` outside the prefix-cache scenario. */
  requestExtras?(ctx: RequestContext): Record<string, unknown>;
  /**
   * The server's own token count for a prompt, where it has a /tokenize (docs/wire.md): `templated` when the count
   * includes the chat template (vLLM's `{model, messages}`), false when only the text was counted (llama.cpp's
   * `{content}`). Null when the server has none or answered in another shape.
   */
  tokenize?(url: string, f: Fetch, req: { model: string; messages: ChatMessage[]; headers: Record<string, string> }): Promise<{ tokens: number; templated: boolean } | null>;
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

async function postJson(f: Fetch, url: string, body: unknown, headers: Record<string, string>): Promise<Record<string, unknown> | null> {
  try {
    const res = await f(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return null;
    const json: unknown = await res.json();
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** vLLM's /tokenize (and the reference server's): `{model, messages}` → `{count}`, chat template applied. */
export const tokenizeChat: NonNullable<Adapter['tokenize']> = async (url, f, req) => {
  const count = (await postJson(f, `${url}/tokenize`, { model: req.model, messages: req.messages }, req.headers))?.count;
  return typeof count === 'number' ? { tokens: count, templated: true } : null;
};

/** llama.cpp's /tokenize: `{content}` → `{tokens: [...]}`, the text alone (no chat template). */
export const tokenizeContent: NonNullable<Adapter['tokenize']> = async (url, f, req) => {
  const tokens = (await postJson(f, `${url}/tokenize`, { content: req.messages.map((m) => m.content).join('\n') }, req.headers))?.tokens;
  return Array.isArray(tokens) ? { tokens: tokens.length, templated: false } : null;
};
