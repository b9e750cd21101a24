// What the sweep needs from a running server, whoever started it (the lifecycle) or not (attach mode).
import type { ChatMessage } from '../client/body.ts';
import type { Protocol } from '../client/record.ts';
import type { Row } from '../store/writer.ts';

export interface TargetCapabilities {
  ignoreEos: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  prefixCacheReset: boolean;
}

/** What an adapter may need to know about a point to shape its requests. */
export interface RequestContext {
  /** The point measures a prefix cache on purpose (the prefix_cache scenario); elsewhere caches must not help. */
  cachesPrefix: boolean;
  protocol: Protocol;
}

export interface MonitorSamples {
  gpu: Row[];
  host: Row[];
  server_metrics: Row[];
}

export interface RunningTarget {
  /** Config name of the target (e.g. `vllm`, `my-litellm`). */
  name: string;
  framework: string;
  baseUrl: string;
  apiKey?: string | undefined;
  /** Model name sent in requests. */
  modelId: string;
  quantization: string | null;
  version: string | null;
  launchCommand: string | null;
  serverLogPath: string | null;
  attached: boolean;
  protocol: Protocol;
  capabilities: TargetCapabilities;
  /** False for servers that close the connection after each response while advertising keep-alive (llama.cpp). */
  reuseConnections: boolean;
  /** Top-level request fields this framework needs for a point (llama.cpp: `cache_prompt`). */
  requestExtras(ctx: RequestContext): Record<string, unknown>;
  /** Native-API options such as Ollama's num_ctx. */
  ollamaOptions?: Record<string, unknown>;
  notes: string[];
  /** Asks the server to drop its prefix cache; `detail` says why not when it could not. */
  resetPrefixCache(): Promise<{ ok: boolean; detail: string }>;
  /** The server's own count of a prompt's tokens (null where it has no /tokenize); `templated` as the adapter says. */
  tokenize(messages: ChatMessage[]): Promise<{ tokens: number; templated: boolean } | null>;
  environment(): Promise<Record<string, unknown>>;
  /** Starts GPU/host/server-metric sampling for one point; the returned stop gives the samples. */
  startMonitors(): { stop(): Promise<MonitorSamples> };
  /** False once the server process has died or stopped answering. */
  alive(): Promise<boolean>;
  stop(): Promise<void>;
}
