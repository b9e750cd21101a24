// What the sweep needs from a running server, whoever started it (the lifecycle) or not (attach mode).
import type { Protocol } from '../client/record.ts';
import type { Row } from '../store/writer.ts';

export interface TargetCapabilities {
  ignoreEos: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  prefixCacheReset: boolean;
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
  /** Native-API options such as Ollama's num_ctx. */
  ollamaOptions?: Record<string, unknown>;
  notes: string[];
  resetPrefixCache(): Promise<boolean>;
  environment(): Promise<Record<string, unknown>>;
  /** Starts GPU/host/server-metric sampling for one point; the returned stop gives the samples. */
  startMonitors(): { stop(): Promise<MonitorSamples> };
  /** False once the server process has died or stopped answering. */
  alive(): Promise<boolean>;
  stop(): Promise<void>;
}
