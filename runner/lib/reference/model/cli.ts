// Generates (or finds in the cache) a reference model and prints its path on stdout; progress goes to stderr.
//   npx node runner/lib/reference/model/cli.ts --preset tiny [--cache-dir DIR]

import { parseArgs } from 'node:util';
import { ensureReferenceModel, MODEL_PRESETS, type ModelPreset } from './index.ts';

const isPreset = (s: string): s is ModelPreset => (MODEL_PRESETS as readonly string[]).includes(s);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'default' },
      'cache-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: cli.ts [--preset ${MODEL_PRESETS.join('|')}] [--cache-dir DIR] [--quiet]\n`);
    return;
  }
  const preset = values.preset;
  if (!isPreset(preset)) throw new Error(`--preset must be one of ${MODEL_PRESETS.join(', ')}, got ${preset}`);
  const model = await ensureReferenceModel({
    preset,
    ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}),
    ...(values.quiet ? {} : { onProgress: (m: string) => process.stderr.write(`${m}\n`) }),
  });
  process.stdout.write(`${model.path}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
