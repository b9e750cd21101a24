// The sweep configuration: the shipped YAML (the benchmark design), the user's file merged over it, then a profile.
// Everything is checked before anything starts, and each error names the key that is wrong.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ADAPTERS } from '../adapters/index.ts';
import { targetProblems } from '../adapters/types.ts';

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../config/servebench.yaml', import.meta.url));

export const SCENARIO_NAMES = ['single', 'concurrent', 'long_context', 'prefix_cache', 'korean', 'workload', 'task'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
/** The design's five scenarios: what a sweep runs when none are named. */
export const DESIGN_SCENARIOS: ScenarioName[] = ['single', 'concurrent', 'long_context', 'prefix_cache', 'korean'];
export const FRAMEWORKS = ['vllm', 'sglang', 'ollama', 'openai', 'llamacpp', 'reference'] as const;
export type FrameworkName = (typeof FRAMEWORKS)[number];
export const KOREAN_TASKS = ['short_question', 'long_summary', 'translation', 'essay'] as const;
export const TASK_SETS = ['chat', 'summarization', 'qa', 'code'] as const;

export interface Defaults {
  temperature: number;
  max_tokens: number;
  ignore_eos: boolean;
  stream: boolean;
  timeout_s: number;
  warmups: number;
  trials: number;
  seed: number;
  protocol: 'openai-chat' | 'openai-completions' | 'ollama-chat' | 'ollama-generate';
  language: 'en' | 'ko';
  slo: { ttft_ms?: number; tpot_ms?: number; e2e_ms?: number };
  /** A point whose share of failed measured requests is above this is invalid: stored, never charted, redone by --resume. */
  max_failure_share: number;
}

export interface ModelConfig {
  hf?: string;
  ollama?: string;
  preset?: 'tiny' | 'default';
  served_name?: string;
  /** Writes OpenAI's harmony format (gpt-oss); guessed from the name when absent. */
  harmony?: boolean;
  tokenizer: string;
  quantization?: Record<string, string>;
}

export interface TargetConfig {
  framework: FrameworkName;
  model: string;
  base_url?: string;
  api_key_env?: string;
  [setting: string]: unknown;
}

export interface ScenariosConfig {
  single: { concurrency: number[]; input_tokens: number[]; repetitions: number };
  concurrent: { concurrency: number[]; input_tokens: number[]; requests: number; same_prompt: boolean };
  long_context: { concurrency: number[]; input_tokens: number[]; repetitions: number };
  prefix_cache: { system_tokens: number; question_tokens: number; questions: number };
  korean: { concurrency: number[]; tasks: string[]; languages: string[]; repetitions: number };
  workload: { profiles: string[]; duration_s: number; arrival: 'constant' | 'poisson' | 'gamma'; burstiness?: number };
  task: { tasks: string[]; prompts: number; modes: string[]; concurrency: number; language: 'en' | 'ko'; jsonl: string | null };
}

export interface SweepConfig {
  defaults: Defaults;
  models: Record<string, ModelConfig>;
  targets: Record<string, TargetConfig>;
  scenarios: ScenariosConfig;
  workloads: Record<string, { rate: number; concurrency: number }>;
  profiles: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Maps merge key by key; lists and scalars replace. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

async function readYaml(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config ${path}: ${(err as Error).message}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`config ${path} is not valid YAML: ${(err as Error).message}`);
  }
}

/** Loads the shipped config, merges the user's file and then the profile, and validates the result. */
export async function loadConfig(opts: { path?: string | undefined; profile?: string | undefined } = {}): Promise<SweepConfig> {
  let merged = await readYaml(DEFAULT_CONFIG_PATH);
  if (opts.path !== undefined) {
    const user = await readYaml(opts.path);
    if (!isMap(user)) throw new ConfigError(`config ${opts.path} must be a YAML map at the top level`);
    merged = deepMerge(merged, user);
  }
  return resolveProfile(merged, opts.profile ?? 'full');
}

export function resolveProfile(merged: unknown, profile: string): SweepConfig {
  if (!isMap(merged)) throw new ConfigError('config must be a map');
  const profiles = isMap(merged.profiles) ? merged.profiles : {};
  if (!(profile in profiles)) throw new ConfigError(`unknown profile "${profile}"; known: ${Object.keys(profiles).join(', ')}`);
  const config = deepMerge(merged, profiles[profile] ?? {});
  validateConfig(config);
  return config;
}

// --- validation -------------------------------------------------------------------------------------------------

function fail(path: string, want: string, got: unknown): never {
  throw new ConfigError(`config ${path}: expected ${want}, got ${JSON.stringify(got)}`);
}
function positiveInt(path: string, v: unknown): void {
  if (!(Number.isInteger(v) && (v as number) >= 1)) fail(path, 'an integer ≥ 1', v);
}
function nonNegativeInt(path: string, v: unknown): void {
  if (!(Number.isInteger(v) && (v as number) >= 0)) fail(path, 'an integer ≥ 0', v);
}
function positiveNumber(path: string, v: unknown): void {
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) fail(path, 'a number > 0', v);
}
function intList(path: string, v: unknown): void {
  if (!Array.isArray(v) || v.length === 0) fail(path, 'a non-empty list of integers ≥ 1', v);
  v.forEach((x, i) => positiveInt(`${path}[${i}]`, x));
}
function oneOf(path: string, v: unknown, allowed: readonly string[]): void {
  if (typeof v !== 'string' || !allowed.includes(v)) fail(path, `one of ${allowed.join(', ')}`, v);
}
function listOf(path: string, v: unknown, allowed: readonly string[]): void {
  if (!Array.isArray(v) || v.length === 0) fail(path, `a non-empty list of ${allowed.join(', ')}`, v);
  v.forEach((x, i) => oneOf(`${path}[${i}]`, x, allowed));
}
function section(root: Json, key: string): Json {
  const v = root[key];
  if (!isMap(v)) fail(key, 'a map', v);
  return v;
}

export function validateConfig(c: unknown): asserts c is SweepConfig {
  if (!isMap(c)) throw new ConfigError('config must be a map');
  const d = section(c, 'defaults');
  if (typeof d.temperature !== 'number' || d.temperature < 0) fail('defaults.temperature', 'a number ≥ 0', d.temperature);
  positiveInt('defaults.max_tokens', d.max_tokens);
  positiveNumber('defaults.timeout_s', d.timeout_s);
  nonNegativeInt('defaults.warmups', d.warmups);
  positiveInt('defaults.trials', d.trials);
  if (!Number.isInteger(d.seed)) fail('defaults.seed', 'an integer', d.seed);
  oneOf('defaults.protocol', d.protocol, ['openai-chat', 'openai-completions', 'ollama-chat', 'ollama-generate']);
  oneOf('defaults.language', d.language, ['en', 'ko']);
  for (const k of ['ignore_eos', 'stream'] as const) if (typeof d[k] !== 'boolean') fail(`defaults.${k}`, 'true or false', d[k]);
  if (typeof d.max_failure_share !== 'number' || !(d.max_failure_share >= 0 && d.max_failure_share < 1)) fail('defaults.max_failure_share', 'a number in [0, 1)', d.max_failure_share);
  if (!isMap(d.slo)) fail('defaults.slo', 'a map', d.slo);
  for (const [k, v] of Object.entries(d.slo)) positiveNumber(`defaults.slo.${k}`, v);

  const models = section(c, 'models');
  for (const [name, m] of Object.entries(models)) {
    if (!isMap(m)) fail(`models.${name}`, 'a map', m);
    if (typeof m.tokenizer !== 'string') fail(`models.${name}.tokenizer`, 'a tokenizer name', m.tokenizer);
  }
  const targets = section(c, 'targets');
  for (const [name, t] of Object.entries(targets)) {
    if (!isMap(t)) fail(`targets.${name}`, 'a map', t);
    oneOf(`targets.${name}.framework`, t.framework, FRAMEWORKS);
    if (typeof t.model !== 'string' || t.model === '') fail(`targets.${name}.model`, 'a model name', t.model);
    if (t.base_url !== undefined) {
      try {
        new URL(String(t.base_url));
      } catch {
        fail(`targets.${name}.base_url`, 'a URL such as http://host:8000', t.base_url);
      }
    }
    // One key per setting across adapters, each declared by its adapter: a key nobody reads is a mistake, not a no-op.
    const problems = targetProblems(name, t as TargetConfig, ADAPTERS[String(t.framework)]!);
    if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  }

  const s = section(c, 'scenarios');
  const sc = (name: string) => section(s, name);
  const single = sc('single');
  intList('scenarios.single.concurrency', single.concurrency);
  intList('scenarios.single.input_tokens', single.input_tokens);
  positiveInt('scenarios.single.repetitions', single.repetitions);
  const conc = sc('concurrent');
  intList('scenarios.concurrent.concurrency', conc.concurrency);
  intList('scenarios.concurrent.input_tokens', conc.input_tokens);
  positiveInt('scenarios.concurrent.requests', conc.requests);
  const long = sc('long_context');
  intList('scenarios.long_context.concurrency', long.concurrency);
  intList('scenarios.long_context.input_tokens', long.input_tokens);
  positiveInt('scenarios.long_context.repetitions', long.repetitions);
  const prefix = sc('prefix_cache');
  for (const k of ['system_tokens', 'question_tokens', 'questions']) positiveInt(`scenarios.prefix_cache.${k}`, prefix[k]);
  const ko = sc('korean');
  intList('scenarios.korean.concurrency', ko.concurrency);
  listOf('scenarios.korean.tasks', ko.tasks, KOREAN_TASKS);
  listOf('scenarios.korean.languages', ko.languages, ['ko', 'en']);
  positiveInt('scenarios.korean.repetitions', ko.repetitions);
  const wl = sc('workload');
  const workloads = section(c, 'workloads');
  for (const [name, w] of Object.entries(workloads)) {
    if (!isMap(w)) fail(`workloads.${name}`, 'a map', w);
    positiveNumber(`workloads.${name}.rate`, w.rate);
    positiveInt(`workloads.${name}.concurrency`, w.concurrency);
  }
  listOf('scenarios.workload.profiles', wl.profiles, Object.keys(workloads));
  positiveNumber('scenarios.workload.duration_s', wl.duration_s);
  oneOf('scenarios.workload.arrival', wl.arrival, ['constant', 'poisson', 'gamma']);
  const task = sc('task');
  listOf('scenarios.task.tasks', task.tasks, TASK_SETS);
  positiveInt('scenarios.task.prompts', task.prompts);
  listOf('scenarios.task.modes', task.modes, ['stream', 'sync']);
  positiveInt('scenarios.task.concurrency', task.concurrency);
}
