// The report: MDX chapters in content/, the site in site/, the static output in blog/.
// SERVEBENCH_BASE sets the sub-path it is served from (default /); SERVEBENCH_DATA_DIR the Parquet it reads.
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TABLES = ['runs', 'requests', 'summary', 'gpu', 'host', 'server_metrics'];

/** Publishes the Parquet next to the pages (downloads, and the in-browser SQL console), with a listing. */
function copyData() {
  return {
    name: 'servebench-copy-data',
    hooks: {
      'astro:build:done': async ({ dir }) => {
        const from = resolve(process.env.SERVEBENCH_DATA_DIR ?? 'data');
        const to = join(fileURLToPath(dir), 'data');
        await mkdir(to, { recursive: true });
        const files = [];
        for (const t of TABLES) {
          if (!existsSync(join(from, t))) continue;
          // Only finished Parquet: a write's staging files (.ndjson, .tmp) are never published.
          await cp(join(from, t), join(to, t), { recursive: true, filter: (src) => !/\.(ndjson|tmp)$/.test(src) });
          for (const f of await readdir(join(to, t), { recursive: true })) if (String(f).endsWith('.parquet')) files.push(`${t}/${f}`);
        }
        await writeFile(join(to, 'files.json'), JSON.stringify(files.sort()));
        const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
        await writeFile(join(to, 'index.html'), `<!doctype html><meta charset="utf-8"><title>servebench data</title><h1>servebench data (Parquet)</h1><ul>${files.map((f) => `<li><a href="${esc(f)}">${esc(f)}</a></li>`).join('')}</ul>`);
      },
    },
  };
}

export default defineConfig({
  srcDir: './site',
  outDir: process.env.SERVEBENCH_OUT_DIR ?? './blog',
  publicDir: './site/public',
  base: process.env.SERVEBENCH_BASE ?? '/',
  trailingSlash: 'always',
  build: { format: 'directory' },
  integrations: [mdx(), copyData()],
  vite: { build: { chunkSizeWarningLimit: 600 } },
});
