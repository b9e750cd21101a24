// llama.cpp's llama-server: `llama-server -m MODEL.gguf --port 8080 -c CTX -np SLOTS --metrics`.
// GET /health → 503 {"error":{"message":"Loading model"}} while loading, then 200 {"status":"ok"}.
import { envOf, extraArgs, getJson, setting, statusOf, type Adapter, tokenizeContent } from '../types.ts';

export const llamacpp: Adapter = {
  framework: 'llamacpp',
  defaultPort: 8080,
  capabilities: { ignoreEos: true, includeUsage: true, continuousUsage: false, prefixCacheReset: false },
  prefixResetPath: null,
  metricsPath: '/metrics',
  // llama-server answers `Connection: keep-alive` but closes the socket after every streamed response; a request sent
  // on such a socket dies before its first byte (docs/wire.md, llama.cpp). One connection per request avoids the race.
  reuseConnections: false,
  // Its slots reuse the previous prompt's KV unless told not to; only the prefix-cache scenario wants that.
  requestExtras: (ctx) => ({ cache_prompt: ctx.cachesPrefix }),
  servedModel: (key, model) => model.served_name ?? key,
  launch(target, _model, key) {
    const host = setting(target, 'host', '127.0.0.1');
    const port = setting(target, 'port', 8080);
    const args = ['-m', setting(target, 'model_path', key), '--host', host, '--port', String(port), '-c', String(setting(target, 'ctx', 8192)), '-np', String(setting(target, 'slots', 4)), '--metrics', ...extraArgs(target)];
    return { command: setting(target, 'command', 'llama-server'), args, env: envOf(target), host, port, pathPrefix: [] };
  },
  ready: async (url, f) => (await statusOf(f, `${url}/health`)) === 200,
  version: async (url, f) => {
    const props = await getJson(f, `${url}/props`);
    return typeof props?.build_info === 'string' ? props.build_info : null;
  },
  tokenize: tokenizeContent,
  effectiveConfig: async (url, f) => (await getJson(f, `${url}/props`)) ?? {},
};
