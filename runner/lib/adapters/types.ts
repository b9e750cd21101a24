// What servebench knows about a serving framework: how to launch it (the design's defaults, every value overridable
// from config), what it calls a model, how it signals readiness, what it supports, and how to read its version.
import type { ChatMessage } from '../client/body.ts';
import type { ModelConfig, TargetConfig } from '../config/config.ts';
import type { Protocol } from '../client/record.ts';
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

/** What a launch needs to know about the sweep it serves (llama.cpp sizes each slot's context from it). */
export interface LaunchContext {
  /** The longest prompt plus output, in tokens, any point of this sweep sends. */
  maxSequenceTokens: number;
}

/** What a server metric means, whatever the framework calls it. */
export type ServerMetricRole = 'running' | 'waiting' | 'kv_cache_usage' | 'prefix_cache_hits' | 'prompt_tokens' | 'generation_tokens';

export type SettingType = 'int' | 'number' | 'string' | 'boolean' | 'strings' | 'map';
export interface SettingSpec {
  type: SettingType;
  doc: string;
}

/** Settings every target may carry, whatever its framework. */
export const COMMON_SETTINGS: Record<string, SettingSpec> = {
  framework: { type: 'string', doc: 'the adapter' },
  model: { type: 'string', doc: 'a model preset under models:, or a served name' },
  base_url: { type: 'string', doc: 'attach to a running server instead of starting one' },
  api_key_env: { type: 'string', doc: 'environment variable holding the API key' },
  protocol: { type: 'string', doc: 'openai-chat, openai-completions, ollama-chat or ollama-generate (overrides defaults.protocol)' },
  host: { type: 'string', doc: 'address the started server binds to' },
  port: { type: 'int', doc: 'port of the started server' },
  command: { type: 'string', doc: 'executable to start instead of the default' },
  venv: { type: 'string', doc: "the framework's own Python environment (its bin/ goes first on PATH)" },
  extra_args: { type: 'strings', doc: 'more command-line arguments, appended' },
  env: { type: 'map', doc: 'more environment variables for the server' },
  ready_timeout_s: { type: 'number', doc: 'how long to wait for readiness' },
};

/** Capabilities for one model on this framework, and why ignore_eos is not sent when it is not. */
export interface ModelCapabilities extends TargetCapabilities {
  /** Said in the notes of every run when ignore_eos is off: the output length was not forced. */
  ignoreEosNote: string | null;
}

export interface Adapter {
  framework: string;
  defaultPort: number;
  capabilities: TargetCapabilities;
  /** The same, for a given model where it matters (vLLM: no ignore_eos for harmony models). */
  capabilitiesFor?(model: ModelConfig, modelKey: string): ModelCapabilities;
  /** Capabilities adjusted to the version the server reported, where behaviour differs between versions. */
  capabilitiesForVersion?(version: string | null, caps: ModelCapabilities): { capabilities: ModelCapabilities; note: string } | null;
  /** Settings of this framework beyond COMMON_SETTINGS; any other key in a target is an error before launch. */
  settings: Record<string, SettingSpec>;
  /** Extra checks of a target's settings (a required path, a file type), as messages; empty when fine. */
  checkTarget?(target: TargetConfig): string[];
  /** Wire protocols this server speaks; the first is the default. */
  protocols: Protocol[];
  prefixResetPath: string | null;
  /** What to do when the reset endpoint is missing (vLLM: it exists only in dev mode). */
  prefixResetHint?: string;
  metricsPath: string | null;
  /** The server's own gauges and counters worth charting, by what they mean (docs/wire.md, /metrics). */
  serverMetrics?: Partial<Record<ServerMetricRole, string>>;
  /** The model name requests use. */
  servedModel(modelKey: string, model: ModelConfig): string;
  /** Null when servebench never starts this framework (attach only). */
  launch(target: TargetConfig, model: ModelConfig, modelKey: string, ctx?: LaunchContext): LaunchSpec | null;
  /** Ready exactly as the server signals it (docs/wire.md). */
  ready(baseUrl: string, f: Fetch): Promise<boolean>;
  version(baseUrl: string, f: Fetch): Promise<string | null>;
  /**
   * Effective configuration the server reports (context length, parallelism, …), for the environment record. `env` is
   * the environment the server was started with (null when attached: unknown).
   */
  effectiveConfig(baseUrl: string, f: Fetch, env: Record<string, string | undefined> | null): Promise<Record<string, unknown>>;
  /** False when the server closes every connection after a response although it advertises keep-alive. */
  reuseConnections?: boolean;
  /** Started on any free port when none is configured (the reference server on a CPU box). */
  anyFreePort?: boolean;
  /** Top-level request fields for a point, e.g. llama.cpp's `cache_prompt: false` outside the prefix-cache scenario. */
  requestExtras?(ctx: RequestContext, target: TargetConfig): Record<string, unknown>;
  /** Native-API `options` (Ollama: num_ctx), for the protocols that take them. */
  nativeOptions?(target: TargetConfig): Record<string, unknown>;
  /**
   * The server's own token count for a prompt, where it has a /tokenize (docs/wire.md): `templated` when the count
   * includes the chat template (vLLM's `{model, messages}`), false when only the text was counted (llama.cpp's
   * `{content}`). Null when the server has none or answered in another shape.
   */
  tokenize?(url: string, f: Fetch, req: { model: string; messages: ChatMessage[]; headers: Record<string, string> }): Promise<{ tokens: number; templated: boolean } | null>;
  /** Work between ready and warmup (Ollama: pull the model, then preload it so load time never lands in a TTFT). */
  prepare?(baseUrl: string, modelName: string, f: Fetch, log: (line: string) => void): Promise<void>;
}

const typeOk: Record<SettingType, (v: unknown) => boolean> = {
  int: (v) => Number.isInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  strings: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  map: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
};

/** Every problem with one target's settings for its adapter: unknown keys, wrong types, the adapter's own checks. */
export function targetProblems(name: string, target: TargetConfig, adapter: Adapter): string[] {
  const known = { ...COMMON_SETTINGS, ...adapter.settings };
  const out: string[] = [];
  for (const [k, v] of Object.entries(target)) {
    const spec = known[k];
    if (spec === undefined) {
      out.push(`targets.${name}.${k}: "${k}" is not a setting of the ${adapter.framework} adapter (its settings: ${Object.keys(adapter.settings).join(', ') || 'none'}; common: ${Object.keys(COMMON_SETTINGS).join(', ')})`);
    } else if (v !== undefined && v !== null && !typeOk[spec.type](v)) {
      out.push(`targets.${name}.${k} must be ${spec.type === 'strings' ? 'a list of strings' : spec.type === 'map' ? 'a map' : spec.type === 'int' ? 'an integer' : `a ${spec.type}`} (${spec.doc}), got ${JSON.stringify(v)}`);
    }
  }
  const protocol = target.protocol;
  if (typeof protocol === 'string' && !(adapter.protocols as string[]).includes(protocol)) {
    out.push(`targets.${name}.protocol: ${adapter.framework} speaks ${adapter.protocols.join(', ')}, not ${protocol}`);
  }
  for (const m of adapter.checkTarget?.(target) ?? []) out.push(`targets.${name}: ${m}`);
  return out;
}

/** A model that writes OpenAI's harmony format (gpt-oss): its reasoning and answer channels need the server's parser. */
export function isHarmony(model: ModelConfig, key: string): boolean {
  return model.harmony ?? /gpt-oss/i.test(`${model.hf ?? ''} ${model.served_name ?? ''} ${model.ollama ?? ''} ${key}`);
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

export async function getJson(f: Fetch, url: string, timeoutMs = 3000): Promise<Record<string, unknown> | null> {
  try {
    const res = await f(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export async function statusOf(f: Fetch, url: string, timeoutMs = 3000): Promise<number | null> {
  try {
    const res = await f(url, { signal: AbortSignal.timeout(timeoutMs) });
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

/** Compares dotted versions ("0.5.1" < "0.5.2"); null or unparsable versions compare as unknown (null). */
export function versionAtLeast(version: string | null, min: string): boolean | null {
  const parse = (v: string): number[] | null => (/^v?\d+(\.\d+)*/.test(v) ? v.replace(/^v/, '').split(/[.-]/).map((x) => Number.parseInt(x, 10)) : null);
  const a = version === null ? null : parse(version);
  const b = parse(min)!;
  if (a === null) return null;
  for (let i = 0; i < b.length; i++) {
    const x = Number.isNaN(a[i] ?? 0) ? 0 : (a[i] ?? 0);
    if (x !== b[i]) return x > b[i]!;
  }
  return true;
}
