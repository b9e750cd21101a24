// Ollama: `OLLAMA_HOST=0.0.0.0:11434 ollama serve`, then pull the model. GET / answers at once but the model loads
// lazily, so it is pulled (progress shown) and preloaded before warmup: load time must never land in a measured TTFT.
import { envOf, extraArgs, getJson, setting, statusOf, type Adapter, type Fetch } from '../types.ts';

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
  prefixResetPath: null,
  metricsPath: null,
  servedModel: (key, model) => model.served_name ?? model.ollama ?? key,
  launch(target) {
    const host = setting(target, 'host', '0.0.0.0');
    const port = setting(target, 'port', 11434);
    const env: Record<string, string> = { OLLAMA_HOST: `${host}:${port}`, ...envOf(target) };
    const parallel = target.num_parallel;
    if (parallel !== undefined) env.OLLAMA_NUM_PARALLEL = String(parallel);
    return { command: setting(target, 'command', 'ollama'), args: ['serve', ...extraArgs(target)], env, host, port, pathPrefix: [] };
  },
  ready: async (url, f) => (await statusOf(f, `${url}/`)) === 200,
  version: async (url, f) => {
    const v = (await getJson(f, `${url}/api/version`))?.version;
    return typeof v === 'string' ? v : null;
  },
  effectiveConfig: async (url, f) => {
    const ps = (await getJson(f, `${url}/api/ps`))?.models;
    const loaded = Array.isArray(ps) ? (ps[0] as Record<string, unknown> | undefined) : undefined;
    return {
      OLLAMA_NUM_PARALLEL: process.env.OLLAMA_NUM_PARALLEL ?? null,
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
