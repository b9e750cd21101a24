// Ollama: `OLLAMA_HOST=0.0.0.0:11434 ollama serve`, then pull the model. GET / answers at once but the model loads
// lazily, so it is pulled (progress shown) and preloaded before warmup: load time must never land in a measured TTFT.
import { envOf, extraArgs, getJson, setting, statusOf, versionAtLeast, type Adapter, type Fetch } from '../types.ts';

export async function pullModel(url: string, model: string, f: Fetch, log: (line: string) => void): Promise<void> {
  const res = await f(`${url}/api/pull`, { method: 'POST', body: JSON.stringify({ model, stream: true }) });
  if (!res.ok || res.body === null) throw new Error(`ollama pull ${model} failed: HTTP ${res.status} ${await res.text()}`);
  let buffer = '';
  let last = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += new TextDecoder().decode(chunk);
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffer.slice(0, nl)) as { status?: string; total?: number; completed?: number; error?: string };
      buffer = buffer.slice(nl + 1);
      if (line.error) throw new Error(`ollama pull ${model}: ${line.error}`);
      const pct = line.total ? ` ${Math.round(((line.completed ?? 0) / line.total) * 100)}%` : '';
      const text = `ollama pull ${model}: ${line.status ?? ''}${pct}`;
      if (text !== last) log(text);
      last = text;
    }
  }
}

export async function preloadModel(url: string, model: string, f: Fetch): Promise<void> {
  const res = await f(`${url}/api/generate`, { method: 'POST', body: JSON.stringify({ model, keep_alive: -1 }) });
  const body = (await res.json()) as { done_reason?: string; error?: string };
  if (!res.ok || body.error) throw new Error(`ollama preload of ${model} failed: ${body.error ?? res.status}`);
}

export const ollama: Adapter = {
  framework: 'ollama',
  defaultPort: 11434,
  capabilities: { ignoreEos: false, includeUsage: true, continuousUsage: false, prefixCacheReset: false },
  // /v1 sends usage on request only from 0.5.2 on; before that counts come from the native API or the client tokenizer.
  capabilitiesForVersion: (version, caps) =>
    versionAtLeast(version, '0.5.2') === false
      ? { capabilities: { ...caps, includeUsage: false }, note: `Ollama ${version} sends no usage on /v1 (0.5.2 and later do): token counts come from the client tokenizer unless the native API is used` }
      : null,
  settings: {
    parallel: { type: 'int', doc: 'OLLAMA_NUM_PARALLEL (requests decoded at once; Ollama defaults to 1)' },
    context_length: { type: 'int', doc: 'OLLAMA_CONTEXT_LENGTH, and num_ctx on the native API (longer prompts are silently truncated)' },
    keep_alive: { type: 'string', doc: 'keep_alive on the native API (default "-1": never unload during a sweep)' },
  },
  protocols: ['openai-chat', 'openai-completions', 'ollama-chat', 'ollama-generate'],
  prefixResetPath: null,
  metricsPath: null,
  servedModel: (key, model) => model.served_name ?? model.ollama ?? key,
  launch(target) {
    const host = setting(target, 'host', '0.0.0.0');
    const port = setting(target, 'port', 11434);
    const env: Record<string, string> = { OLLAMA_HOST: `${host}:${port}`, ...envOf(target) };
    const parallel = target.parallel;
    if (parallel !== undefined) env.OLLAMA_NUM_PARALLEL = String(parallel);
    const ctx = target.context_length;
    if (ctx !== undefined) env.OLLAMA_CONTEXT_LENGTH = String(ctx);
    return { command: setting(target, 'command', 'ollama'), args: ['serve', ...extraArgs(target)], env, host, port, pathPrefix: [] };
  },
  // keep_alive cannot be set through /v1; on the native API it keeps the model loaded for the whole sweep.
  requestExtras: (ctx, target) => (ctx.protocol.startsWith('ollama') ? { keep_alive: setting(target, 'keep_alive', '-1') } : {}),
  nativeOptions: (target) => (target.context_length !== undefined ? { num_ctx: target.context_length } : {}),
  ready: async (url, f) => (await statusOf(f, `${url}/`)) === 200,
  version: async (url, f) => {
    const v = (await getJson(f, `${url}/api/version`))?.version;
    return typeof v === 'string' ? v : null;
  },
  effectiveConfig: async (url, f, env) => {
    const ps = (await getJson(f, `${url}/api/ps`))?.models;
    const loaded = Array.isArray(ps) ? (ps[0] as Record<string, unknown> | undefined) : undefined;
    // The server's own environment, never this process's: a value set here does not reach a server started elsewhere.
    const fromLaunch = (k: string): string | null => (env === null ? 'unknown (attached)' : (env[k] ?? null));
    return {
      OLLAMA_NUM_PARALLEL: fromLaunch('OLLAMA_NUM_PARALLEL'),
      OLLAMA_CONTEXT_LENGTH: fromLaunch('OLLAMA_CONTEXT_LENGTH'),
      context_length: loaded?.context_length ?? null,
      size_vram: loaded?.size_vram ?? null,
      quantization: (loaded?.details as Record<string, unknown> | undefined)?.quantization_level ?? null,
      note: 'Ollama has no ignore_eos; prompts beyond num_ctx are silently truncated (detected per request)',
    };
  },
  async prepare(url, model, f, log) {
    await pullModel(url, model, f, log);
    log(`ollama: preloading ${model}`);
    await preloadModel(url, model, f);
  },
};
