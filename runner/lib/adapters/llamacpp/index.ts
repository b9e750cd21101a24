// llama.cpp's llama-server: `llama-server -m MODEL.gguf --host 127.0.0.1 --port 8080 -c CTX -np SLOTS --metrics`
// (docs/wire.md, llama.cpp). GET /health → 503 {"error":{"message":"Loading model"}} while loading, then 200.
import { envOf, extraArgs, getJson, setting, statusOf, tokenizeContent, type Adapter } from '../types.ts';

export const llamacpp: Adapter = {
  framework: 'llamacpp',
  defaultPort: 8080,
  capabilities: { ignoreEos: true, includeUsage: true, continuousUsage: false, prefixCacheReset: false },
  settings: {
    model_path: { type: 'string', doc: 'the .gguf file (-m); required to start the server' },
    parallel: { type: 'int', doc: 'slots (-np)' },
    context_length: { type: 'int', doc: 'total context (-c); an explicit -np splits it across slots. Default: slots × the sweep\'s longest prompt + output' },
    kv_unified: { type: 'boolean', doc: '--kv-unified: one KV cache shared by all slots (builds from late 2025)' },
  },
  checkTarget: (t) =>
    t.base_url !== undefined ? [] : typeof t.model_path !== 'string' ? ['model_path is required to start llama-server: the path of a .gguf file'] : /\.gguf$/i.test(t.model_path) ? [] : [`model_path must be a .gguf file, got ${t.model_path}`],
  protocols: ['openai-chat', 'openai-completions'],
  prefixResetPath: null,
  metricsPath: '/metrics',
  serverMetrics: { running: 'llamacpp:requests_processing', waiting: 'llamacpp:requests_deferred', prompt_tokens: 'llamacpp:prompt_tokens_total', generation_tokens: 'llamacpp:tokens_predicted_total' },
  // llama-server answers `Connection: keep-alive` but closes the socket after every streamed response; a request sent
  // on such a socket dies before its first byte (docs/wire.md, llama.cpp). One connection per request avoids the race.
  reuseConnections: false,
  // Its slots reuse the previous prompt's KV unless told not to; only the prefix-cache scenario wants that.
  requestExtras: (ctx) => ({ cache_prompt: ctx.cachesPrefix }),
  servedModel: (key, model) => model.served_name ?? key,
  launch(target, _model, _key, ctx) {
    const host = setting(target, 'host', '127.0.0.1');
    const port = setting(target, 'port', 8080);
    const slots = setting(target, 'parallel', 4);
    const unified = setting(target, 'kv_unified', false);
    // With an explicit -np each slot gets -c / -np tokens (unless the KV cache is unified), so -c must hold the longest
    // request of the sweep in every slot, or long prompts fail with exceed_context_size.
    const need = (ctx?.maxSequenceTokens ?? 4096) + 64;
    const ctxTokens = setting(target, 'context_length', unified ? need : need * slots);
    const args = ['-m', String(target.model_path), '--host', host, '--port', String(port), '-c', String(ctxTokens), '-np', String(slots), ...(unified ? ['--kv-unified'] : []), '--metrics', ...extraArgs(target)];
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
