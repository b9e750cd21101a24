// The data behind H1–H5, from the selected runs.
import { languageRows, samples, summaries } from '../lib/data.ts';
import { h1, h2, h3, h4, h5, type LanguageSummary, type Verdict } from './hypotheses.ts';

function byLevel(rows: Awaited<ReturnType<typeof summaries>>, metric: 'output_throughput' | 'tpot_p50'): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number[]>>();
  for (const r of rows) {
    if (r.scenario !== 'concurrent' || r.concurrency === null || r[metric] === null) continue;
    const levels = out.get(r.framework) ?? new Map<number, number[]>();
    levels.set(r.concurrency, [...(levels.get(r.concurrency) ?? []), Number(r[metric])]);
    out.set(r.framework, levels);
  }
  // Trials of a level are averaged.
  return new Map([...out].map(([f, l]) => [f, new Map([...l].map(([c, xs]) => [c, xs.reduce((a, b) => a + b, 0) / xs.length]))]));
}

export async function computeHypotheses(): Promise<Verdict[]> {
  const rows = await summaries();
  const lang = await languageRows();
  const ratios = new Map<string, { tok: number[]; cps: number[] }>();
  const keyed = new Map(lang.map((r) => [`${r.framework}|${r.task}|${r.language}`, r]));
  for (const r of lang) {
    if (r.language !== 'ko') continue;
    const en = keyed.get(`${r.framework}|${r.task}|en`);
    if (en === undefined) continue;
    const acc = ratios.get(r.framework) ?? { tok: [], cps: [] };
    if (en.input_tokens > 0) acc.tok.push(r.input_tokens / en.input_tokens);
    if (r.chars_per_s !== null && en.chars_per_s) acc.cps.push(r.chars_per_s / en.chars_per_s);
    ratios.set(r.framework, acc);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
  const languageSummaries: LanguageSummary[] = [...ratios].map(([framework, r]) => ({ framework, inputTokenRatio: median(r.tok), charsPerSecondRatio: median(r.cps) }));
  return [
    h1(await samples('prefix_cache', '(output_tokens - 1) / nullif((t_last_token - t_first_token) / 1000, 0)')),
    h2(byLevel(rows, 'output_throughput')),
    h3(await samples('single', 'ttft_ms')),
    h4(byLevel(rows, 'tpot_p50')),
    h5(languageSummaries),
  ];
}
