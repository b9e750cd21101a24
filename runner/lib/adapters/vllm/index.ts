// vLLM: `vllm serve MODEL --host 0.0.0.0 --port 8000 --tensor-parallel-size 1 --gpu-memory-utilization 0.85
// --enable-prefix-caching`. Connection refused while loading, then GET /health → 200.
import { envOf, extraArgs, getJson, setting, statusOf, venvBin, type Adapter, tokenizeChat } from '../types.ts';

export const vllm: Adapter = {
  framework: 'vllm',
  defaultPort: 8000,
  capabilities: { ignoreEos: true, includeUsage: true, continuousUsage: true, prefixCacheReset: true },
  prefixResetPath: '/reset_prefix_cache',
  metricsPath: '/metrics',
  servedModel: (key, model) => model.served_name ?? model.hf ?? key,
  launch(target, model, key) {
    const host = setting(target, 'host', '0.0.0.0');
    const port = setting(target, 'port', 8000);
    const args = [
      'serve', model.hf ?? key,
      '--host', host,
      '--port', String(port),
      '--tensor-parallel-size', String(setting(target, 'tensor_parallel_size', 1)),
      '--gpu-memory-utilization', String(setting(target, 'gpu_memory_utilization', 0.85)),
      ...(setting(target, 'prefix_caching', true) ? ['--enable-prefix-caching'] : []),
      ...extraArgs(target),
    ];
    return { command: setting(target, 'command', 'vllm'), args, env: envOf(target), host, port, pathPrefix: venvBin(target) };
  },
  ready: async (url, f) => (await statusOf(f, `${url}/health`)) === 200,
  version: async (url, f) => {
    const v = (await getJson(f, `${url}/version`))?.version;
    return typeof v === 'string' ? v : null;
  },
  tokenize: tokenizeChat,
  effectiveConfig: async (url, f) => {
    const models = (await getJson(f, `${url}/v1/models`))?.data;
    const first = Array.isArray(models) ? (models[0] as Record<string, unknown>) : undefined;
    return { max_model_len: first?.max_model_len ?? null };
  },
};
