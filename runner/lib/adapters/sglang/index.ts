// SGLang: `python3 -m sglang.launch_server --model-path MODEL --tp-size 1 --host 0.0.0.0 --port 30000
// --mem-fraction-static 0.85 --enable-metrics --enable-cache-report [--reasoning-parser gpt-oss]` (docs/wire.md, SGLang).
// GET /health → 503 until its warmup request finishes, then 200; in current versions each /health runs a one-token
// generation (a second or more, up to its 20 s timeout), so the probe waits tens of seconds, not three.
import { envOf, extraArgs, getJson, isHarmony, setting, statusOf, venvBin, type Adapter, type Fetch } from '../types.ts';

const HEALTH_TIMEOUT_MS = 30_000;

/** The server's version and arguments: `/get_server_info`, or `/server_info` where a version names it so. */
const serverInfo = async (url: string, f: Fetch): Promise<Record<string, unknown> | null> =>
  (await getJson(f, `${url}/get_server_info`)) ?? (await getJson(f, `${url}/server_info`));

export const sglang: Adapter = {
  framework: 'sglang',
  defaultPort: 30000,
  capabilities: { ignoreEos: true, includeUsage: true, continuousUsage: true, prefixCacheReset: true },
  settings: {
    tp: { type: 'int', doc: 'tensor parallelism (--tp-size)' },
    mem_fraction_static: { type: 'number', doc: '--mem-fraction-static' },
    prefix_caching: { type: 'boolean', doc: 'false passes --disable-radix-cache' },
    reasoning_parser: { type: 'string', doc: '--reasoning-parser; gpt-oss models get "gpt-oss" unless set' },
  },
  protocols: ['openai-chat', 'openai-completions'],
  prefixResetPath: '/flush_cache',
  metricsPath: '/metrics',
  serverMetrics: { running: 'sglang:num_running_reqs', waiting: 'sglang:num_queue_reqs', kv_cache_usage: 'sglang:token_usage', prompt_tokens: 'sglang:prompt_tokens_total', generation_tokens: 'sglang:generation_tokens_total' },
  servedModel: (key, model) => model.served_name ?? model.hf ?? key,
  launch(target, model, key) {
    const host = setting(target, 'host', '0.0.0.0');
    const port = setting(target, 'port', 30000);
    // Without the parser, harmony markup lands in `content` and every character and token comparison is contaminated.
    const parser = setting<string | null>(target, 'reasoning_parser', isHarmony(model, key) ? 'gpt-oss' : null);
    const args = [
      '-m', 'sglang.launch_server',
      '--model-path', model.hf ?? key,
      '--tp-size', String(setting(target, 'tp', 1)),
      '--host', host,
      '--port', String(port),
      '--mem-fraction-static', String(setting(target, 'mem_fraction_static', 0.85)),
      '--enable-metrics',
      // Usage carries prompt_tokens_details.cached_tokens only with it.
      '--enable-cache-report',
      ...(parser !== null ? ['--reasoning-parser', parser] : []),
      ...(setting(target, 'prefix_caching', true) ? [] : ['--disable-radix-cache']),
      ...extraArgs(target),
    ];
    return { command: setting(target, 'command', 'python3'), args, env: envOf(target), host, port, pathPrefix: venvBin(target) };
  },
  ready: async (url, f) => (await statusOf(f, `${url}/health`, HEALTH_TIMEOUT_MS)) === 200,
  version: async (url, f) => {
    const info = await serverInfo(url, f);
    return typeof info?.version === 'string' ? info.version : null;
  },
  effectiveConfig: async (url, f) => (await serverInfo(url, f)) ?? {},
};
