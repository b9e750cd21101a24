// Command-line arguments of `zx runner/sweep.mjs` → validated sweep options. Everything is checked before any server
// starts, and each error names the flag and the values it accepts.
import { DESIGN_SCENARIOS, FRAMEWORKS, SCENARIO_NAMES, type FrameworkName, type ScenarioName, type SweepConfig } from '../config/config.ts';

const isFramework = (name: string): name is FrameworkName => (FRAMEWORKS as readonly string[]).includes(name) && name !== 'reference';

export const SWEEP_HELP = `servebench sweep — benchmark LLM serving frameworks under identical conditions

usage: zx runner/sweep.mjs [options]        (npm run sweep -- [options])

With no options on a machine where nvidia-smi reports a GPU: the design as written (full profile) on every configured
target whose launcher is found, one after another, after printing the plan. Without a GPU: the built-in reference
server, the quick profile, every design scenario.

With no options: the built-in reference server, the quick profile, every design scenario.

  --framework, -f LIST   targets to run: one, a comma list, or "all" (names under targets: in the config;
                         built in: reference, vllm, sglang, ollama, openai)          [reference]
  --scenario, -s LIST    single, concurrent, long_context, prefix_cache, korean, workload, task, or "all"
                         ("design" = the five design scenarios)                       [design]
  --model, -m NAME       model preset (gpt-oss-20b, llama3.1-8b, reference, reference-tiny) or a served name
  --trials, -t N         repeat every scenario point N times                          [config: 1]
  --profile, -p NAME     quick (minutes on a CPU) or full (the design as written)      [quick]
  --config, -c FILE      YAML merged over runner/config/servebench.yaml
  --base-url URL         attach to a running server (never started or stopped by servebench)
  --api-key-env VAR      environment variable holding the API key for --base-url
  --output-dir DIR       where Parquet, logs and exports go                            [data]
  --resume [SWEEP_ID]    continue a sweep (the latest when no id): finished points are skipped
  --interactive, -i      ask for target, model and workload (Enter takes the default)
  --help, -h             this text

Results: Parquet under DIR (query with zx runner/sql.mjs), exports under DIR/exports/<sweep>/.

Exit codes:
  0    every point measured and valid
  1    a target could not start, a point failed, or a point is invalid (its server died or more than
       defaults.max_failure_share of its requests failed); --resume redoes what is missing or invalid
  2    usage or configuration error (nothing was started)
  130  interrupted (Ctrl-C); finished points are on disk, --resume continues`;

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export interface SweepArgs {
  targets: string[];
  scenarios: ScenarioName[];
  model: string | null;
  trials: number | null;
  profile: string;
  config: string | null;
  baseUrl: string | null;
  apiKeyEnv: string | null;
  outputDir: string;
  resume: string | true | null;
  interactive: boolean;
  dryRun: boolean;
  help: boolean;
  /** No option chose targets, scenarios or profile: the machine decides (GPU box: every target, full profile). */
  bare: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

/** Parses raw argv (minimist-style object from zx, or plain values) into SweepArgs; semantic checks come later. */
export function parseSweepArgs(argv: Record<string, unknown>): SweepArgs {
  const known = new Set(['_', 'framework', 'f', 'scenario', 's', 'model', 'm', 'trials', 't', 'profile', 'p', 'config', 'c', 'base-url', 'api-key-env', 'output-dir', 'resume', 'interactive', 'i', 'dry-run', 'help', 'h', '--']);
  for (const k of Object.keys(argv)) if (!known.has(k)) throw new UsageError(`unknown option --${k} (see --help)`);
  const positional = argv._;
  if (Array.isArray(positional) && positional.length > 0) throw new UsageError(`unexpected argument "${String(positional[0])}" (see --help)`);
  const str = (...keys: string[]): string | null => {
    for (const k of keys) {
      const v = argv[k];
      if (v === undefined || v === false) continue;
      if (v === true || v === '') throw new UsageError(`--${keys[0]} needs a value`);
      return String(Array.isArray(v) ? v.at(-1) : v);
    }
    return null;
  };
  const trialsRaw = str('trials', 't');
  const trials = trialsRaw === null ? null : Number(trialsRaw);
  if (trials !== null && !(Number.isInteger(trials) && trials >= 1)) throw new UsageError(`--trials must be an integer ≥ 1, got ${trialsRaw}`);
  const resumeRaw = argv.resume;
  const scenarioArg = str('scenario', 's') ?? 'design';
  return {
    targets: list(str('framework', 'f') ?? 'reference'),
    scenarios: parseScenarios(scenarioArg),
    model: str('model', 'm'),
    trials,
    profile: str('profile', 'p') ?? 'quick',
    config: str('config', 'c'),
    baseUrl: httpUrl(str('base-url')),
    apiKeyEnv: str('api-key-env'),
    outputDir: str('output-dir') ?? 'data',
    resume: resumeRaw === undefined || resumeRaw === false ? null : resumeRaw === true || resumeRaw === '' ? true : String(resumeRaw),
    interactive: argv.interactive === true || argv.i === true,
    dryRun: argv['dry-run'] === true,
    help: argv.help === true || argv.h === true,
    // --dry-run, --config and --output-dir do not choose what runs, so they leave the choice to the machine.
    bare: Object.keys(argv).every((k) => ['_', '--', 'dry-run', 'config', 'c', 'output-dir'].includes(k)),
  };
}

/** --base-url must be an http(s) URL: anything else would fail later, after servers and files were touched. */
function httpUrl(value: string | null): string | null {
  if (value === null) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--base-url "${value}" is not a URL; give e.g. http://127.0.0.1:8000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--base-url "${value}" must start with http:// or https://`);
  return value;
}

export function parseScenarios(value: string): ScenarioName[] {
  if (value === 'all') return [...SCENARIO_NAMES];
  if (value === 'design') return [...DESIGN_SCENARIOS];
  const names = list(value);
  for (const n of names) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(n)) throw new UsageError(`unknown scenario "${n}"; choose from ${SCENARIO_NAMES.join(', ')}, all, design`);
  }
  return names as ScenarioName[];
}

/** Resolves target names against the config ("all" = every configured target) and applies --model / --base-url. */
export function applyArgsToConfig(args: SweepArgs, config: SweepConfig): { config: SweepConfig; targets: string[] } {
  const targets = structuredClone(config.targets);
  let names = args.targets.includes('all') ? Object.keys(targets) : args.targets;
  if (args.baseUrl !== null) {
    // Attach: one target, whatever framework it names, pointed at the running server.
    if (names.length !== 1) throw new UsageError('--base-url attaches to one server: pass a single --framework (e.g. openai, vllm, ollama)');
    const name = names[0]!;
    // A framework name with no config target of its own still gets its adapter (scraping, /tokenize, version, quirks).
    const base = targets[name] ?? { framework: isFramework(name) ? name : ('openai' as FrameworkName), model: args.model ?? 'default' };
    targets[name] = { ...base, base_url: args.baseUrl, ...(args.apiKeyEnv !== null ? { api_key_env: args.apiKeyEnv } : {}) };
  }
  for (const n of names) {
    if (targets[n] === undefined) throw new UsageError(`unknown framework/target "${n}"; configured: ${Object.keys(targets).join(', ')}, or all`);
  }
  if (args.model !== null) {
    const model = args.model;
    // A typo must not silently become a "custom model": custom names look like an HF id or an Ollama tag.
    if (config.models[model] === undefined && !/[/:]/.test(model)) {
      throw new UsageError(`unknown model "${model}"; presets: ${Object.keys(config.models).join(', ')}; a custom model is its served name (org/name or name:tag)`);
    }
    for (const n of names) targets[n] = { ...targets[n]!, model };
  }
  names = [...new Set(names)];
  return { config: { ...config, targets }, targets: names };
}
