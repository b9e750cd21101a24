// The data behind H1–H5, from the selected runs (invalid points never reach here).
import { analysisGroups, groupCondition, languageRows, query, samples, SELECTED_RUNS, summaries, type Group } from '../lib/data.ts';
import { h1, h2, h3, h4, h5, type LanguageSummary, type Verdict } from './hypotheses.ts';

type Rows = Awaited<ReturnType<typeof summaries>>;

function byLevel(rows: Rows, metric: 'output_throughput' | 'tpot_p50' | 'n_ok'): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number[]>>();
  for (const r of rows) {
    if (r.scenario !== 'concurrent' || r.concurrency === null || r[metric] === null) continue;
    const levels = out.get(r.framework) ?? new Map<number, number[]>();
    levels.set(r.concurrency, [...(levels.get(r.concurrency) ?? []), Number(r[metric])]);
    out.set(r.framework, levels);
  }
  // Trials of a level are averaged (request counts summed).
  const combine = (xs: number[]): number => (metric === 'n_ok' ? xs.reduce((a, b) => a + b, 0) : xs.reduce((a, b) => a + b, 0) / xs.length);
  return new Map([...out].map(([f, l]) => [f, new Map([...l].map(([c, xs]) => [c, combine(xs)]))]));
}

/** Per framework, the prefix_cache scenario's reset outcome, later-request TTFT over the first's, and its total time. */
async function prefixContext(group: Group): Promise<{ resets: Map<string, string | null>; ttftLaterOverFirst: Map<string, number>; scenarioSeconds: Map<string, number> }> {
  const rows = await query<{ framework: string; reset: string | null; first: number | null; later: number | null; window_s: number | null }>(
    `WITH sel AS (SELECT r.* FROM ${SELECTED_RUNS} r WHERE r.scenario = 'prefix_cache'${groupCondition(group)}),
          q AS (SELECT q.framework, q.run_id, q.ttft_ms, row_number() OVER (PARTITION BY q.run_id ORDER BY q.t_sent) AS k
                FROM {requests} q JOIN sel USING (run_id) WHERE NOT q.is_warmup AND q.status = 'ok')
     SELECT sel.framework, any_value(sel.prefix_cache_reset) AS reset,
            median(q.ttft_ms) FILTER (q.k = 1) AS first, median(q.ttft_ms) FILTER (q.k > 1) AS later, any_value(s.window_s) AS window_s
     FROM sel LEFT JOIN q USING (run_id) LEFT JOIN {summary} s USING (run_id) GROUP BY 1`,
    ['runs', 'requests', 'summary'],
  );
  return {
    resets: new Map(rows.map((r) => [r.framework, r.reset])),
    ttftLaterOverFirst: new Map(rows.filter((r) => r.first && r.later).map((r) => [r.framework, Number(r.later) / Number(r.first)])),
    scenarioSeconds: new Map(rows.filter((r) => r.window_s !== null).map((r) => [r.framework, Number(r.window_s)])),
  };
}

export interface GroupVerdicts {
  group: Group;
  verdicts: Verdict[];
}

/** H1–H5 for every model × host separately: a verdict never pools two models or two machines. */
export async function computeHypotheses(): Promise<GroupVerdicts[]> {
  const groups = await analysisGroups();
  // With no data at all, one empty group still says what is missing.
  const all = groups.length > 0 ? groups : [{ model: '', host: '' }];
  return Promise.all(all.map(async (group) => ({ group, verdicts: await verdictsFor(group) })));
}

async function verdictsFor(group: Group): Promise<Verdict[]> {
  const rows = (await summaries()).filter((r) => group.model === '' || (r.model === group.model && r.host === group.host));
  const lang = await languageRows(group.model === '' ? undefined : group);
  const g = group.model === '' ? undefined : group;
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
  const languageSummaries: LanguageSummary[] = [...ratios].map(([framework, r]) => ({ framework, inputTokenRatios: r.tok, charsPerSecondRatios: r.cps }));
  return [
    // Prefill included: output tokens over the whole request, where a prefix cache acts.
    h1(await samples('prefix_cache', 'output_tokens / nullif(e2e_ms / 1000, 0)', g), await prefixContext(group)),
    h2(byLevel(rows, 'output_throughput'), byLevel(rows, 'n_ok')),
    h3(await samples('single', 'ttft_ms', g), await samples('single', 'e2e_ms', g)),
    h4(byLevel(rows, 'tpot_p50'), byLevel(rows, 'n_ok')),
    h5(languageSummaries),
  ];
}
