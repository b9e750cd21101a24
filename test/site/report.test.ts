// The report built from a full synthetic sweep and from an empty data folder, then read in real Chromium.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAPTERS } from '../../site/lib/chapters.ts';
import { DEFAULT_SPEEDS, writeSyntheticSweep } from '../fixtures/synthetic/generate.ts';
import { buildReport, serveStatic } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
// Text from data files is untrusted (model output, notes, commands): it must reach pages as text, never as markup.
const HOSTILE = '<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=1</script>';
const SHOTS = 'test-results/screenshots';
let root: string;
let synthOut: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sb-report-'));
  const data = join(root, 'data');
  await writeSyntheticSweep({ dataDir: data, requestsPerPoint: 30, hostileText: HOSTILE, trials: 2 });
  // An older vLLM sweep, to compare against the latest.
  await writeSyntheticSweep({ dataDir: data, requestsPerPoint: 5, sweepId: '20251201T000000Z-old', frameworks: { vllm: { ...DEFAULT_SPEEDS.vllm!, tpotMs: 20 } } });
  synthOut = join(root, 'synthetic');
  await buildReport(data, synthOut, '/sub/');
}, 240_000);

describe('astro build', () => {
  it('a full synthetic sweep: every chapter in both languages, labelled synthetic, no raw rows shipped', async () => {
    for (const lang of ['ko', 'en']) {
      for (const c of CHAPTERS) expect(existsSync(join(synthOut, lang, c, 'index.html'))).toBe(true);
    }
    const overview = await readFile(join(synthOut, 'en', 'overview', 'index.html'), 'utf8');
    expect(overview).toContain('Synthetic data: not a measurement');
    const hyp = await readFile(join(synthOut, 'en', 'hypotheses', 'index.html'), 'utf8');
    expect(hyp.match(/data-verdict="supported"/g)?.length).toBe(5);
    // Links work under the sub-path.
    expect(overview).toContain('href="/sub/en/single/"');
    // Parquet published for download and for the console.
    expect(JSON.parse(await readFile(join(synthOut, 'data', 'files.json'), 'utf8')).length).toBeGreaterThan(10);
    const html = await readFile(join(synthOut, 'en', 'concurrent', 'index.html'), 'utf8');
    expect(html).not.toContain('"output_text"');
    expect(overview).not.toContain('<img src=x');
    expect(overview).toContain('&lt;img src=x');
  });

  it('trials as mean ± sd, verdicts in Korean on the Korean page, and the older sweep compared point by point', async () => {
    const single = await readFile(join(synthOut, 'en', 'single', 'index.html'), 'utf8');
    expect(single).toMatch(/c=1 in=128 \(2 trials\)/);
    expect(single).toMatch(/\d+\.\d ± \d+\.\d/);
    const ko = await readFile(join(synthOut, 'ko', 'hypotheses', 'index.html'), 'utf8');
    expect(ko).toContain('prefix_cache 시나리오, 요청별 출력 토큰');
    expect(ko).not.toContain('prefix_cache scenario, per request output tokens');
    const appendix = await readFile(join(synthOut, 'en', 'appendix', 'index.html'), 'utf8');
    expect(appendix).toMatch(/vllm · synthetic-model · synthetic: 20251201T000000Z-old → 20260101T000000Z-synt/);
    expect(appendix).toMatch(/data-significant="true"/);
  });

  it('an empty data folder still builds, and says what it lacks', async () => {
    const empty = join(root, 'empty-data');
    await mkdir(empty, { recursive: true });
    const out = join(root, 'empty');
    await buildReport(empty, out);
    const page = await readFile(join(out, 'ko', 'hypotheses', 'index.html'), 'utf8');
    expect(page.match(/data-verdict="not_enough_data"/g)?.length).toBe(5);
    expect(await readFile(join(out, 'en', 'single', 'index.html'), 'utf8')).toContain('No measurements to show');
  }, 120_000);
});

describe.skipIf(!existsSync(CHROMIUM))('in Chromium', () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  beforeAll(async () => {
    site = await serveStatic(synthOut, '/sub/');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    await mkdir(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('every chapter loads without console errors and draws SVG charts with marks', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(`${page.url()}: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
    for (const lang of ['ko', 'en']) {
      for (const c of CHAPTERS) {
        await page.goto(`${site.url}${lang}/${c}/`);
        await page.waitForLoadState('networkidle');
        expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), `${lang}/${c} ran injected script`).toBeUndefined();
        const charts = await page.locator('figure[data-chart] .plot svg').count();
        if (!['hypotheses', 'appendix', 'workloads'].includes(c)) {
          expect(charts, `${lang}/${c}`).toBeGreaterThan(0);
          const marks = await page.locator('figure[data-chart] .plot').first().locator('svg path, svg circle, svg rect, svg line').count();
          expect(marks, `${lang}/${c}`).toBeGreaterThan(3);
        }
        if (lang === 'ko' && ['overview', 'concurrent', 'korean', 'hypotheses'].includes(c)) await page.screenshot({ path: `${SHOTS}/${lang}-${c}.png`, fullPage: true });
      }
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('switching a metric redraws the chart', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}en/concurrent/`);
    const fig = page.locator('figure#concurrent-latency');
    await fig.locator('.plot svg').first().waitFor();
    const before = await fig.locator('.plot').innerHTML();
    const drawn = Number(await fig.getAttribute('data-drawn'));
    await fig.locator('select[data-opt="metric"]').selectOption('tpot');
    await page.waitForFunction((n) => Number(document.querySelector('figure#concurrent-latency')?.getAttribute('data-drawn')) > n, drawn);
    expect(await fig.locator('.plot').innerHTML()).not.toBe(before);
    expect(await fig.locator('.plot svg').count()).toBeGreaterThan(0);
    await page.close();
  });

  it('older sweeps can be drawn next to the latest', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}en/concurrent/`);
    const fig = page.locator('figure#concurrent-latency');
    await fig.locator('.plot svg').first().waitFor();
    const lines = () => fig.locator('g[aria-label="line"] path').count();
    expect(await lines()).toBe(4);
    const drawn = Number(await fig.getAttribute('data-drawn'));
    await fig.locator('select[data-opt="runs"]').selectOption('all');
    await page.waitForFunction((n) => Number(document.querySelector('figure#concurrent-latency')?.getAttribute('data-drawn')) > n, drawn);
    expect(await lines()).toBe(5);
    expect(await fig.innerText()).toContain('vllm · 20251201T000000Z-old');
    await page.close();
  });

  it('the SQL console answers a query over the published Parquet', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}en/appendix/`);
    await page.locator('#sql-console textarea').fill("SELECT count(*) AS n FROM runs WHERE framework = 'vllm' AND sweep_id = '20260101T000000Z-synt'");
    await page.locator('#sql-console button').click();
    await page.waitForFunction(() => document.querySelector('#sql-console')?.getAttribute('data-answered') !== null, undefined, { timeout: 90_000 });
    const text = await page.locator('#sql-console .result').textContent();
    expect(await page.locator('#sql-console').getAttribute('data-answered'), text ?? '').toBe('true');
    // (single 3 + concurrent 5 + long_context 4 + prefix_cache 1 + korean 4 points) × 2 trials
    expect(text).toMatch(/\b34\b/);
    await page.screenshot({ path: `${SHOTS}/en-appendix-sql.png`, fullPage: true });
    await page.close();
  }, 120_000);
});

describe('screenshots', () => {
  it.skipIf(!existsSync(CHROMIUM))('were written', async () => {
    expect((await readdir(SHOTS)).length).toBeGreaterThanOrEqual(5);
  });
});
