// Runs a test server in its own process: fake framework executables exec this, and benchmarks load it from outside.
// Prints exactly one line, `listening <url>`, once it accepts connections.
import { parseArgs } from 'node:util';
import { startTestServer } from './server.ts';
import { TEST_PROFILES, type TestProfile } from './profiles.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'vllm' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    behaviour: { type: 'string' },
    'listen-delay-ms': { type: 'string' },
    'ready-after-ms': { type: 'string' },
    'load-delay-ms': { type: 'string' },
    model: { type: 'string' },
    'dev-mode': { type: 'boolean' },
    // Ignored: lets fake framework executables mark their server process (the fake nvidia-smi looks for it).
    tag: { type: 'string' },
    help: { type: 'boolean' },
  },
});

if (values.help) {
  process.stdout.write(`usage: node runner/lib/testserver/cli.ts --profile ${TEST_PROFILES.join('|')} [--port N] [--host H]
  [--behaviour JSON] [--listen-delay-ms N] [--ready-after-ms N] [--load-delay-ms N] [--model NAME]\n`);
  process.exit(0);
}
const profile = values.profile as TestProfile;
if (!TEST_PROFILES.includes(profile)) {
  process.stderr.write(`unknown profile ${profile}; one of ${TEST_PROFILES.join(', ')}\n`);
  process.exit(2);
}
const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
const server = await startTestServer({
  profile,
  host: values.host,
  port: Number(values.port),
  ...(values.behaviour ? { behaviour: JSON.parse(values.behaviour) } : {}),
  ...(values['dev-mode'] ? { devMode: true } : {}),
  ...(values['listen-delay-ms'] ? { listenDelayMs: num(values['listen-delay-ms']) } : {}),
  ...(values['ready-after-ms'] ? { readyAfterMs: num(values['ready-after-ms']) } : {}),
  ...(values['load-delay-ms'] ? { loadDelayMs: num(values['load-delay-ms']) } : {}),
  ...(values.model ? { model: values.model } : {}),
});
process.stdout.write(`listening ${server.url}\n`);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
