// The watchdog between the sweep and a framework server: `node supervisor.ts GRACE_MS EXE ARGS…`, started by
// launchServer as the leader of its own process group, with an IPC channel to the sweep. It runs the server in that
// same group. When the sweep goes away for any reason — SIGKILL included, or npm killed above it — the channel closes,
// and the supervisor stops the whole group: SIGTERM, then SIGKILL after the grace period. A server is never left
// holding a GPU because the process that started it died.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { redactValues, secretValues } from '../monitors/redact.ts';

const [graceArg, exe, ...args] = process.argv.slice(2);
if (exe === undefined || !/^\d+$/.test(graceArg ?? '')) {
  process.stderr.write('usage: node supervisor.ts GRACE_MS EXECUTABLE [ARGS…]\n');
  process.exit(2);
}
const graceMs = Number(graceArg);

// The server's output goes to the log (this process's stdout and stderr) line by line with every secret of the launch
// masked: servers echo their arguments (vLLM logs its non-default args), keys included.
const secrets = secretValues(args, process.env);
const server = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
for (const [from, to] of [[server.stdout, process.stdout], [server.stderr, process.stderr]] as const) {
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(redactValues(line, secrets) + '\n'));
}

const killGroup = (signal: NodeJS.Signals): void => {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // The group is gone already.
  }
};

let orphaned = false;
// The sweep's SIGTERM to the group reaches the server too; the supervisor stays to report the server's exit.
process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
process.on('disconnect', () => {
  if (orphaned) return;
  orphaned = true;
  process.stderr.write(`servebench supervisor: the sweep that started this server is gone; stopping it (pid ${server.pid})\n`);
  killGroup('SIGTERM');
  setTimeout(() => killGroup('SIGKILL'), graceMs).unref();
});
server.on('error', (err) => {
  process.stderr.write(`servebench supervisor: could not start ${exe}: ${err.message}\n`);
  process.exit(127);
});
const exitWith = (code: number | null, signal: NodeJS.Signals | null): never => process.exit(code ?? (signal !== null ? 128 + 15 : 1));
// 'close' once its output is drained; 'exit' with a short wait, in case a child of the server still holds the pipes.
server.on('close', exitWith);
server.on('exit', (code, signal) => setTimeout(() => exitWith(code, signal), 300).unref());
