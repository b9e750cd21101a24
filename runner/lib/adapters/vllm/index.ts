// vLLM: `VLLM_SERVER_DEV_MODE=1 vllm serve MODEL --host 127.0.0.1 --port 8000 --tensor-parallel-size 1
// --gpu-memory-utilization 0.85 --enable-prompt-tokens-details` (docs/wire.md, vLLM). Connection refused while
// loading, then GET /health → 200.
import { envOf, extraArgs, getJson, isHarmony, setting, statusOf, tokenizeChat, venvBin, type Adapter } from '../types.ts';

const CAPABILITIES = { ignoreEos: true, includeUsage: true, continuousUsage: true, prefixCacheReset: true };

export const vllm: Adapter = {
  framework: 'vllm',
  defaultPort: 8000,
  capabilities: CAPABILITIES,
  // gpt-oss under ignore_eos runs past <|return|> and the harmony parser ends the stream in an error whenever the answer
  // is shorter than max_tokens (docs/wire.md, vLLM, "gpt-oss and ignore_eos").
  capabilitiesFor: (model, key) =>
    isHarmony(model, key)
      ? { ...CAPABILITIES, ignoreEos: false, ignoreEosNote: 'ignore_eos not sent: vLLM breaks gpt-oss (harmony) streams under it; the output length was not forced' }
      : { ...CAPABILITIES, ignoreEosNote: null },
  settings: {
    tp: { type: 'int', doc: 'tensor parallelism (--tensor-parallel-size)' },
    gpu_memory_utilization: { type: 'number', doc: '--gpu-memory-utilization' },
    prefix_caching: { type: 'boolean', doc: 'false passes --no-enable-prefix-caching (omitting the flag leaves caching on)' },
    dev_mode: { type: 'boolean', doc: 'VLLM_SERVER_DEV_MODE=1 so POST /reset_prefix_cache exists (binds to 127.0.0.1 unless host is set)' },
  },
  protocols: ['openai-chat', 'openai-completions'],
  prefixResetPath: '/reset_prefix_cache',
  prefixResetHint: 'vLLM mounts it only with VLLM_SERVER_DEV_MODE=1 in the server environment',
  metricsPath: '/metrics',
  serverMetrics: { running: 'vllm:num_requests_running', waiting: 'vllm:num_requests_waiting', kv_cache_usage: 'vllm:kv_cache_usage_perc', prefix_cache_hits: 'vllm:prefix_cache_hits_total', prompt_tokens: 'vllm:prompt_tokens_total', generation_tokens: 'vllm:generation_tokens_total' },
  servedModel: (key, model) => model.served_name ?? model.hf ?? key,
  launch(target, model, key) {
    const devMode = setting(target, 'dev_mode', true);
    // Dev mode also mounts /sleep, /collective_rpc and others that must not face a network: loopback unless asked.
    const host = setting(target, 'host', devMode ? '127.0.0.1' : '0.0.0.0');
    const port = setting(target, 'port', 8000);
    const args = [
      'serve', model.hf ?? key,
      '--host', host,
      '--port', String(port),
      '--tensor-parallel-size', String(setting(target, 'tp', 1)),
      '--gpu-memory-utilization', String(setting(target, 'gpu_memory_utilization', 0.85)),
      // Prefix caching is on by default in V1; only the negative flag changes anything.
      ...(setting(target, 'prefix_caching', true) ? [] : ['--no-enable-prefix-caching']),
      // Without it usage never carries prompt_tokens_details.cached_tokens.
      '--enable-prompt-tokens-details',
      ...extraArgs(target),
    ];
    const env = { ...(devMode ? { VLLM_SERVER_DEV_MODE: '1' } : {}), ...envOf(target) };
    return { command: setting(target, 'command', 'vllm'), args, env, host, port, pathPrefix: venvBin(target) };
  },
  ready: async (url, f) => (await statusOf(f, `${url}/health`)) === 200,
  version: async (url, f) => {
    const v = (await getJson(f, `${url}/version`))?.version;
    return typeof v === 'string' ? v : null;
  },
  tokenize: tokenizeChat,
  effectiveConfig: async (url, f, env) => {
    const models = (await getJson(f, `${url}/v1/models`))?.data;
    const first = Array.isArray(models) ? (models[0] as Record<string, unknown>) : undefined;
    return { max_model_len: first?.max_model_len ?? null, VLLM_SERVER_DEV_MODE: env === null ? 'unknown (attached)' : (env.VLLM_SERVER_DEV_MODE ?? null) };
  },
};
