// The two ways a sweep gets a server, behind one RunningTarget: launch it (vLLM, SGLang, Ollama, llama.cpp, the
// reference server — through the adapter and the lifecycle, stopped afterwards with its GPU memory back to baseline)
// or attach to one someone else runs (checked, measured as it is, never started or stopped). Everything
// framework-specific comes from the adapter; nothing here tests a framework's name.
import { join } from 'node:path';
import { adapterFor, type Adapter } from '../adapters/index.ts';
import type { ModelCapabilities } from '../adapters/types.ts';
import { apiKeyFromEnv } from '../client/send.ts';
import type { Protocol } from '../client/record.ts';
import type { ModelConfig, TargetConfig } from '../config/config.ts';
import { freePort, launchServer, LaunchError, waitForGpuRelease } from '../lifecycle/launch.ts';
import { gpuEnvironment, gpuMemoryUsed, gpuSampler } from '../monitors/gpu.ts';
import { hostEnvironment, hostSampler, metricsScraper } from '../monitors/host.ts';
import { redact } from '../monitors/redact.ts';
import type { MonitorSamples, RunningTarget } from './target.ts';

export interface StartContext {
  logDir: string;
  signal?: AbortSignal;
  /** defaults.protocol; a target's own `protocol` wins, and an adapter that does not speak it uses its first. */
  protocol?: Protocol;
  /** The longest prompt plus output of the sweep, in tokens (llama.cpp sizes its slots from it). */
  maxSequenceTokens?: number;
  onProgress?: (line: string) => void;
  readyTimeoutMs?: number;
}

export type StartTarget = (name: string, target: TargetConfig, model: ModelConfig, ctx: StartContext) => Promise<RunningTarget>;

/** Starts a configured target: attach when it has a base URL, launch otherwise. */
export const startTarget: StartTarget = (name, target, model, ctx) =>
  target.base_url !== undefined ? attachTarget(name, target, model, ctx) : launchTarget(name, target, model, ctx);

function capabilitiesOf(adapter: Adapter, model: ModelConfig, key: string): ModelCapabilities {
  return adapter.capabilitiesFor?.(model, key) ?? { ...adapter.capabilities, ignoreEosNote: adapter.capabilities.ignoreEos ? null : `${adapter.framework} has no ignore_eos: answers may end before max_tokens` };
}

function protocolOf(adapter: Adapter, target: TargetConfig, dflt: Protocol | undefined): Protocol {
  const own = target.protocol as Protocol | undefined;
  if (own !== undefined) return own;
  return dflt !== undefined && adapter.protocols.includes(dflt) ? dflt : adapter.protocols[0]!;
}

/** What both strategies share: the adapter's knowledge of requests, capabilities, tokenizing and cache resets. */
function common(name: string, target: TargetConfig, model: ModelConfig, baseUrl: string, apiKey: string | undefined, ctx: StartContext) {
  const adapter = adapterFor(target.framework);
  const capabilities = capabilitiesOf(adapter, model, target.model);
  const modelId = adapter.servedModel(target.model, model);
  const headers: Record<string, string> = apiKey !== undefined ? { authorization: `Bearer ${apiKey}` } : {};
  const protocol = protocolOf(adapter, target, ctx.protocol);
  const native = adapter.nativeOptions?.(target) ?? {};
  return {
    adapter,
    part: {
      name,
      framework: target.framework,
      baseUrl,
      apiKey,
      modelId,
      quantization: model.quantization?.[target.framework] ?? null,
      protocol,
      capabilities,
      reuseConnections: adapter.reuseConnections ?? true,
      requestExtras: (c: Parameters<RunningTarget['requestExtras']>[0]) => adapter.requestExtras?.(c, target) ?? {},
      ...(protocol.startsWith('ollama') && Object.keys(native).length > 0 ? { ollamaOptions: native } : {}),
      notes: capabilities.ignoreEosNote !== null ? [capabilities.ignoreEosNote] : [],
      tokenize: async (messages: Parameters<RunningTarget['tokenize']>[0]) => (await adapter.tokenize?.(baseUrl, fetch, { model: modelId, messages, headers })) ?? null,
      async resetPrefixCache() {
        if (adapter.prefixResetPath === null) return { ok: false, detail: `${adapter.framework} has no prefix-cache reset` };
        const res = await fetch(baseUrl + adapter.prefixResetPath, { method: 'POST', headers }).catch((err: Error) => err);
        if (res instanceof Error) return { ok: false, detail: `POST ${adapter.prefixResetPath}: ${res.message}` };
        const text = (await res.text().catch(() => '')).slice(0, 200);
        if (res.ok) return { ok: true, detail: 'reset' };
        const hint = res.status === 404 && adapter.prefixResetHint !== undefined ? ` (${adapter.prefixResetHint})` : '';
        return { ok: false, detail: `POST ${adapter.prefixResetPath} answered HTTP ${res.status}${text ? `: ${text}` : ''}${hint}` };
      },
    },
  };
}

/**
 * GPU (when nvidia-smi exists), host (the server's process tree when servebench started it) and the server's /metrics,
 * sampled for one point; `stop` returns the samples.
 */
function startMonitors(adapter: Adapter, baseUrl: string, serverPid: number | null): { stop(): Promise<MonitorSamples> } {
  const gpu = gpuSampler();
  const host = hostSampler(serverPid);
  const metrics = adapter.metricsPath !== null ? metricsScraper(baseUrl + adapter.metricsPath) : null;
  return { stop: async () => ({ gpu: (await gpu.stop()).samples.map((s) => ({ ...s })), host: await host.stop(), server_metrics: (await metrics?.stop()) ?? [] }) };
}

/** The shared part with capabilities (and their note) adjusted to the server's version, where the adapter knows better. */
function forVersion<P extends { capabilities: ModelCapabilities; notes: string[] }>(adapter: Adapter, part: P, version: string | null): P {
  const adjusted = adapter.capabilitiesForVersion?.(version, part.capabilities) ?? null;
  return adjusted === null ? part : { ...part, capabilities: adjusted.capabilities, notes: [...part.notes, adjusted.note] };
}

/** A framework server started by servebench, in its own process group, stopped with it. */
export async function launchTarget(name: string, target: TargetConfig, model: ModelConfig, ctx: StartContext): Promise<RunningTarget> {
  const adapter = adapterFor(target.framework);
  const log = ctx.onProgress ?? ((l: string) => process.stderr.write(`  ${l}\n`));
  // A server on a CPU box needs no fixed port when none is configured; any free one keeps parallel test runs apart.
  const effective = target.port === undefined && adapter.anyFreePort === true ? { ...target, port: await freePort() } : target;
  const spec = adapter.launch(effective, model, target.model, { maxSequenceTokens: ctx.maxSequenceTokens ?? 4096 });
  if (spec === null) throw new LaunchError(`${name}: ${target.framework} is attach-only; give its base_url (--base-url)`);
  const host = spec.host === '0.0.0.0' ? '127.0.0.1' : spec.host;
  const baseUrl = `http://${host}:${spec.port}`;
  const baseline = await gpuMemoryUsed().catch(() => null);
  const logPath = join(ctx.logDir, `${name}.log`);
  log(`${name}: ${redact([spec.command, ...spec.args].join(' '))} (log: ${logPath})`);
  const proc = await launchServer(spec, {
    logPath,
    ready: () => adapter.ready(baseUrl, fetch),
    timeoutMs: ctx.readyTimeoutMs ?? Number(target.ready_timeout_s ?? 1800) * 1000,
    onProgress: log,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const { part } = common(name, target, model, baseUrl, undefined, ctx);
  try {
    await adapter.prepare?.(baseUrl, part.modelId, fetch, log);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  if (baseline === null) part.notes.push('no GPU (nvidia-smi absent)');
  // The server's own environment: what it was started with, never this process's alone.
  const serverEnv = { ...process.env, ...spec.env };
  const version = await adapter.version(baseUrl, fetch);
  return {
    ...forVersion(adapter, part, version),
    version,
    launchCommand: redact(proc.commandLine),
    serverLogPath: logPath,
    attached: false,
    async environment() {
      return {
        ...(await hostEnvironment()),
        gpu: await gpuEnvironment(),
        gpu_exclusive: 'servebench runs one framework at a time and waits for GPU memory to return to its baseline',
        framework: target.framework,
        framework_version: version,
        model: part.modelId,
        quantization: part.quantization,
        effective_config: await adapter.effectiveConfig(baseUrl, fetch, serverEnv).catch(() => ({})),
      };
    },
    startMonitors: () => startMonitors(adapter, baseUrl, proc.pid),
    alive: async () => !proc.exited() && (await adapter.ready(baseUrl, fetch)),
    async stop() {
      await proc.stop();
      await waitForGpuRelease(baseline);
    },
  };
}

/** `http://host:port`, `http://host:port/`, `http://host:port/v1` and `…/v1/` all name the same server. */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/**
 * Whether an LLM server answers at `root`: GET /v1/models must be a JSON model list. A 404, an HTML page or anything
 * else is "not an LLM server"; 401 asks for a key (or says the key was refused). Returns the served model ids.
 */
export async function probeModels(root: string, apiKey: string | undefined, keyVariable: string | undefined): Promise<string[]> {
  const url = `${root}/v1/models`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000), headers: apiKey !== undefined ? { authorization: `Bearer ${apiKey}` } : {} }).catch((err: Error) => err);
  if (res instanceof Error) throw new Error(`cannot reach ${root} (GET /v1/models: ${res.message}): is the server running?`);
  const text = await res.text().catch(() => '');
  if (res.status === 401 || res.status === 403) {
    throw new Error(apiKey === undefined ? `${root} wants an API key (GET /v1/models answered ${res.status}): put it in an environment variable and pass --api-key-env VAR` : `${root} refused the API key from ${keyVariable} (GET /v1/models answered ${res.status})`);
  }
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: not an OpenAI-compatible model list.
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!res.ok || !Array.isArray(data)) {
    const what = res.ok ? (/^\s*</.test(text) ? 'an HTML page' : 'no model list') : `HTTP ${res.status}`;
    throw new Error(`not an LLM server at ${root}: GET /v1/models gave ${what}`);
  }
  return data.map((m) => String((m as { id?: unknown }).id ?? '')).filter(Boolean);
}

/** A server someone else runs: checked for a real model list, never started or stopped. */
export async function attachTarget(name: string, target: TargetConfig, model: ModelConfig, ctx: StartContext): Promise<RunningTarget> {
  const root = serverRoot(String(target.base_url));
  const apiKey = apiKeyFromEnv(target.api_key_env);
  const models = await probeModels(root, apiKey, target.api_key_env);
  const { adapter, part } = common(name, target, model, root, apiKey, ctx);
  if (models.length > 0 && !models.includes(part.modelId)) {
    throw new Error(`${root} does not serve "${part.modelId}"; it serves ${models.join(', ')} (pass one with --model)`);
  }
  const version = await adapter.version(root, fetch).catch(() => null);
  return {
    ...forVersion(adapter, part, version),
    // Attached servers report their version too: a run is only comparable with others of the same version.
    version,
    attached: true,
    launchCommand: null,
    serverLogPath: null,
    alive: async () => (await probeModels(root, apiKey, target.api_key_env).then(() => true, () => false)),
    async environment() {
      return { ...(await hostEnvironment()), gpu: await gpuEnvironment(), framework: target.framework, framework_version: version, model: part.modelId, effective_config: await adapter.effectiveConfig(root, fetch, null).catch(() => ({})) };
    },
    // nvidia-smi is sampled when this machine has one: attached servers usually run on the same GPU box.
    startMonitors: () => startMonitors(adapter, root, null),
    async stop() {},
  };
}
