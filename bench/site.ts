// npm run bench:site — build time and page weight of the report for synthetic sweeps of 10^4, 10^5 and 10^6 request
// rows. Targets: 10^6 rows build in ≤ 60 s on 2 cores; no chapter ships more than 500 KB of JS + data.
// Figures are printed and written to bench/results/site.json. (The data is synthetic, for this benchmark only.)
import { mkdtemp, readFile, readdir, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticSweep } from '../test/fixtures/synthetic/generate.ts';
import { buildReport } from '../test/site/helpers.ts';

const sizesArg = process.argv.find((a) => a.startsWith('--sizes='));
const sizes = sizesArg ? sizesArg.slice(8).split(',').map(Number) : process.argv.includes('--quick') ? [1e4] : [1e4, 1e5, 1e6];
const POINTS_PER_FRAMEWORK = 17;
const FRAMEWORKS = 4;

async function pageWeights(out: string): Promise<Array<{ page: string; kb: number }>> {
  const pages: Array<{ page: string; kb: number }> = [];
  for (const lang of ['ko', 'en']) {
    for (const chapter of await readdir(join(out, lang))) {
      const file = join(out, lang, chapter, 'index.html');
      let html: string;
      try {
        html = await readFile(file, 'utf8');
      } catch {
        continue;
      }
      // The page plus every script it loads up front (the SQL console's DuckDB loads only when used).
      let bytes = Buffer.byteLength(html);
      for (const m of html.matchAll(/<script[^>]*src="([^"]+)"/g)) {
        const path = m[1]!.replace(/^\//, '');
        bytes += (await stat(join(out, path)).catch(() => ({ size: 0 }))).size;
      }
      pages.push({ page: `${lang}/${chapter}`, kb: Math.round(bytes / 1024) });
    }
  }
  return pages;
}

const results: Array<Record<string, unknown>> = [];
for (const rows of sizes) {
  const root = await mkdtemp(join(tmpdir(), 'sb-bench-site-'));
  const data = join(root, 'data');
  const perPoint = Math.round(rows / (POINTS_PER_FRAMEWORK * FRAMEWORKS));
  const t0 = performance.now();
  const written = await writeSyntheticSweep({ dataDir: data, requestsPerPoint: perPoint });
  const genS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await buildReport(data, join(root, 'blog'));
  const buildS = (performance.now() - t1) / 1000;
  const weights = await pageWeights(join(root, 'blog'));
  const heaviest = weights.reduce((a, b) => (b.kb > a.kb ? b : a));
  results.push({ rows: written, generate_s: genS, build_s: buildS, heaviest_page: heaviest, pages: weights });
  console.log(`${written.toLocaleString().padStart(9)} rows: build ${buildS.toFixed(1)} s (data generated in ${genS.toFixed(1)} s); heaviest chapter ${heaviest.page} ${heaviest.kb} KB`);
}
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/site.json', JSON.stringify({ date: new Date().toISOString(), results }, null, 2) + '\n');
console.log('written bench/results/site.json');
