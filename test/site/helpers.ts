// Building the report into a temporary directory and serving it under a sub-path, as a static host would.
import { execFile } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { cp, mkdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * Builds into a directory of its own inside the project, then moves the result to `outDir`. Astro keeps its
 * prerender chunks in `<outDir>/.prerender/` only when outDir is inside the working directory; for any other outDir
 * it falls back to one shared `.astro/`, and two builds at once (test files run in parallel) delete each other's chunks.
 */
export async function buildReport(dataDir: string, outDir: string, base = '/'): Promise<void> {
  const own = join('.cache', 'test-builds', `${process.pid}-${Math.random().toString(36).slice(2)}`);
  await mkdir(own, { recursive: true });
  try {
    await exec(process.execPath, ['node_modules/astro/bin/astro.mjs', 'build'], {
      env: { ...process.env, SERVEBENCH_DATA_DIR: dataDir, SERVEBENCH_OUT_DIR: own, SERVEBENCH_BASE: base, ASTRO_TELEMETRY_DISABLED: '1' },
      maxBuffer: 1 << 26,
    });
    await rm(outDir, { recursive: true, force: true });
    await cp(own, outDir, { recursive: true });
  } finally {
    await rm(own, { recursive: true, force: true });
  }
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml' };

/** Serves `root` at `base` (e.g. /sub/), with HTTP range support so DuckDB-WASM can read Parquet by parts. */
export async function serveStatic(root: string, base: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(base)) return void res.writeHead(404).end();
    let file = normalize(join(root, path.slice(base.length)));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end();
    const size = statSync(file).size;
    const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'accept-ranges': 'bytes' };
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Number(range[2]) : size - 1;
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': size });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${base}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
