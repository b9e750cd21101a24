// SGLang: `python3 -m sglang.launch_server --model-path MODEL --tp 1 --host 0.0.0.0 --port 30000
// --mem-fraction-static 0.85 --enable-metrics`. GET /health → 503 until its warmup request finishes, then 200.
import { envOf, extraArgs, getJson, setting, statusOf, venvBin, type Adapter } from '../types.ts';

export const sglang: Adapter = {
  framework: 'sglang',
  defaultPort: 30000,
  capabilities: { ignoreEos: true, includeUsage: true, continuousUsage: false, prefixCacheReset: true },
  prefixResetPath: '/flush_cache',
  metricsPath: '/metrics',
  servedModel: (key, model) => model.served_name ?? model.hf ?? key,
  launch(target, model, key) {
    const host = setting(target, 'host', '0.0.0.0');
    const port = setting(target, 'port', 30000);
    const args = [
      '-m', 'sglang.launch_server',
      '--model-path', model.hf ?? key,
      '--tp', String(setting(target, 'tp', 1)),
      '--host', host,
      '--port', String(port),
      '--mem-fraction-static', String(setting(target, 'mem_fraction_static', 0.85)),
      '--enable-metrics',
      ...extraArgs(target),
    ];
    return { command: setting(target, 'command', 'python3'), args, env: envOf(target), host, port, pathPrefix: venvBin(target) };
  },
  ready: async (url, f) => (await statusOf(f, `${url}/health`)) === 200,
  version: async (url, f) => {
    const info = (await getJson(f, `${url}/server_info`)) ?? (await getJson(f, `${url}/get_server_info`));
    return typeof info?.version === 'string' ? info.version : null;
  },
  effectiveConfig: async (url, f) => (await getJson(f, `${url}/server_info`)) ?? (await getJson(f, `${url}/get_server_info`)) ?? {},
};
