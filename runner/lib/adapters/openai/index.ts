// Any OpenAI-compatible base URL (LiteLLM, a proxy, a hosted endpoint): attach only, never started by servebench.
import { getJson, statusOf, type Adapter } from '../types.ts';

export const openai: Adapter = {
  framework: 'openai',
  defaultPort: 4000,
  capabilities: { ignoreEos: false, includeUsage: true, continuousUsage: false, prefixCacheReset: false },
  settings: {},
  protocols: ['openai-chat', 'openai-completions'],
  prefixResetPath: null,
  metricsPath: null,
  servedModel: (key, model) => model.served_name ?? model.hf ?? key,
  launch: () => null,
  ready: async (url, f) => {
    const s = await statusOf(f, `${url}/v1/models`);
    return s !== null && s < 500;
  },
  version: async () => null,
  effectiveConfig: async (url, f) => ({ models: (await getJson(f, `${url}/v1/models`))?.data ?? null }),
};
