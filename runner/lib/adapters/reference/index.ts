// The built-in reference server (runner/reference-server.mjs): real CPU inference on the generated model.
import { fileURLToPath } from 'node:url';
import { getJson, setting, statusOf, type Adapter, tokenizeChat } from '../types.ts';

const ENTRY = fileURLToPath(new URL('../../../reference-server.mjs', import.meta.url));
const ZX = fileURLToPath(new URL('../../../../node_modules/zx/build/cli.js', import.meta.url));

export const reference: Adapter = {
  framework: 'reference',
  defaultPort: 8090,
  capabilities: { ignoreEos: true, includeUsage: true, continuousUsage: true, prefixCacheReset: true },
  settings: {
    parallel: { type: 'int', doc: 'sequences decoded together' },
    threads: { type: 'int', doc: 'CPU threads per context (1 on a 2-core machine)' },
    prefix_caching: { type: 'boolean', doc: 'reuse cached prompt prefixes' },
    cache_dir: { type: 'string', doc: 'where the generated model is kept' },
  },
  protocols: ['openai-chat', 'openai-completions'],
  anyFreePort: true,
  prefixResetPath: '/reset_prefix_cache',
  metricsPath: '/metrics',
  serverMetrics: { running: 'reference:num_requests_running', waiting: 'reference:num_requests_waiting', prefix_cache_hits: 'reference:prefix_cache_hits_total', prompt_tokens: 'reference:prompt_tokens_total', generation_tokens: 'reference:generation_tokens_total' },
  servedModel: (_key, model) => model.served_name ?? `servebench-reference-${model.preset ?? 'default'}`,
  launch(target, model) {
    const host = setting(target, 'host', '127.0.0.1');
    const port = setting(target, 'port', 8090);
    const args = [
      ZX, ENTRY,
      '--preset', String(model.preset ?? 'default'),
      '--host', host,
      '--port', String(port),
      '--parallel', String(setting(target, 'parallel', 4)),
      '--threads', String(setting(target, 'threads', 1)),
      ...(setting(target, 'prefix_caching', true) ? ['--prefix-cache'] : []),
      ...(typeof target.cache_dir === 'string' ? ['--cache-dir', target.cache_dir] : []),
    ];
    return { command: process.execPath, args, env: {}, host, port, pathPrefix: [] };
  },
  ready: async (url, f) => (await statusOf(f, `${url}/health`)) === 200,
  version: async () => 'servebench-reference',
  tokenize: tokenizeChat,
  effectiveConfig: async (url, f) => ({ max_model_len: ((await getJson(f, `${url}/v1/models`))?.data as Array<Record<string, unknown>> | undefined)?.[0]?.max_model_len ?? null }),
};
