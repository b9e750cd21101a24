// Arguments of runner/reference-server.mjs → a running server until SIGTERM/SIGINT, which drain it.
import { startReferenceServer } from './server.ts';

export const REFERENCE_HELP = `servebench reference server — OpenAI-compatible, real CPU inference on the project's generated model

usage: zx runner/reference-server.mjs [options]

  --preset tiny|default   model preset (generated on first use, cached in .cache/models)   [default]
  --host HOST             [127.0.0.1]
  --port N                0 picks a free port                                             [8090]
  --parallel N            sequences decoded together (1 = one request at a time)          [1]
  --prefix-cache          reuse the KV state of the longest shared prompt prefix
  --threads N             CPU threads per context (1 per context on 2 cores)             [1]
  --queue-limit N         waiting requests before answering 503                           [256]
  --context-size N        tokens per sequence                                             [model's]
  --cache-dir DIR         where generated models are cached                                [.cache/models]
  --help                  this text

Prints "listening <url>" once accepting connections; /health is 503 until the model is loaded.`;

function intFlag(argv: Record<string, unknown>, name: string, dflt: number, min: number): number {
  const v = argv[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return n;
}

export async function referenceServerMain(argv: Record<string, unknown>): Promise<number> {
  if (argv.help === true) {
    process.stdout.write(REFERENCE_HELP + '\n');
    return 0;
  }
  const known = new Set(['_', 'preset', 'host', 'port', 'parallel', 'prefix-cache', 'threads', 'queue-limit', 'context-size', 'cache-dir', 'help', '--']);
  for (const k of Object.keys(argv)) {
    if (!known.has(k)) {
      process.stderr.write(`error: unknown option --${k} (see --help)\n`);
      return 2;
    }
  }
  const preset = String(argv.preset ?? 'default');
  let opts;
  try {
    if (preset !== 'tiny' && preset !== 'default') throw new Error(`--preset must be tiny or default, got ${preset}`);
    opts = {
      preset: preset as 'tiny' | 'default',
      host: String(argv.host ?? '127.0.0.1'),
      port: intFlag(argv, 'port', 8090, 0),
      parallel: intFlag(argv, 'parallel', 1, 1),
      prefixCache: argv['prefix-cache'] === true,
      threads: intFlag(argv, 'threads', 1, 1),
      queueLimit: intFlag(argv, 'queue-limit', 256, 0),
      ...(argv['context-size'] !== undefined ? { contextSize: intFlag(argv, 'context-size', 0, 64) } : {}),
      ...(typeof argv['cache-dir'] === 'string' ? { cacheDir: argv['cache-dir'] } : {}),
    };
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  const server = await startReferenceServer({ ...opts, onLog: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(`listening ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.stderr.write('draining…\n');
      void server.close().then(resolve);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}
