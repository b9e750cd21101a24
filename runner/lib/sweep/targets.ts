// Attach mode: a server someone else runs, measured as it is.
import { apiKeyFromEnv } from '../client/send.ts';
import type { ModelConfig, TargetConfig } from '../config/config.ts';
import { adapterFor } from '../adapters/index.ts';
import { hostEnvironment, hostSampler, metricsScraper } from '../monitors/host.ts';
import type { MonitorSamples, RunningTarget } from './target.ts';

function baseTarget(name: string, target: TargetConfig, model: ModelConfig, baseUrl: string): Omit<RunningTarget, 'stop' | 'alive' | 'startMonitors' | 'launchCommand' | 'serverLogPath' | 'attached'> {
  const framework = target.framework;
  const adapter = adapterFor(framework);
  const notes: string[] = [];
  if (!adapter.capabilities.ignoreEos) notes.push(`${framework} has no ignore_eos: answers may end before max_tokens`);
  const apiKey = apiKeyFromEnv(target.api_key_env);
  const modelId = adapter.servedModel(target.model, model);
  const headers: Record<string, string> = apiKey !== undefined ? { authorization: `Bearer ${apiKey}` } : {};
  return {
    name,
    framework,
    baseUrl,
    apiKey,
    modelId,
    quantization: model.quantization?.[framework] ?? null,
    version: null,
    protocol: 'openai-chat',
    capabilities: adapter.capabilities,
    reuseConnections: adapter.reuseConnections ?? true,
    requestExtras: (ctx) => adapter.requestExtras?.(ctx) ?? {},
    tokenize: async (messages) => (await adapter.tokenize?.(baseUrl.replace(/\/$/, ''), fetch, { model: modelId, messages, headers })) ?? null,
    notes,
    async resetPrefixCache() {
      if (adapter.prefixResetPath === null) return false;
      const res = await fetch(baseUrl.replace(/\/$/, '') + adapter.prefixResetPath, { method: 'POST' }).catch(() => null);
      return res !== null && res.ok;
    },
    environment: hostEnvironment,
  };
}

/** A server someone else runs: checked for reachability, never started or stopped. */
export async function attachTarget(name: string, target: TargetConfig, model: ModelConfig): Promise<RunningTarget> {
  const baseUrl = String(target.base_url);
  const base = baseTarget(name, target, model, baseUrl);
  const probe = async (): Promise<boolean> => {
    const res = await fetch(baseUrl.replace(/\/$/, '') + '/v1/models', {
      signal: AbortSignal.timeout(5000),
      headers: base.apiKey ? { authorization: `Bearer ${base.apiKey}` } : {},
    }).catch(() => null);
    return res !== null && res.status < 500;
  };
  if (!(await probe())) throw new Error(`cannot reach ${baseUrl} (GET /v1/models failed): is the server running?`);
  const adapter = adapterFor(target.framework);
  return {
    ...base,
    // Attached servers report their version too: the run is only comparable with others of the same version.
    version: await adapter.version(baseUrl.replace(/\/$/, ''), fetch).catch(() => null),
    attached: true,
    launchCommand: null,
    serverLogPath: null,
    alive: probe,
    startMonitors() {
      const host = hostSampler(null);
      const path = adapterFor(target.framework).metricsPath;
      const metrics = path !== null ? metricsScraper(baseUrl.replace(/\/$/, '') + path) : null;
      return { stop: async (): Promise<MonitorSamples> => ({ gpu: [], host: await host.stop(), server_metrics: (await metrics?.stop()) ?? [] }) };
    },
    async stop() {},
  };
}
