// H1–H5, decided from the data at build time. Pure: samples and summaries in, verdicts with their evidence out.
// Every rule is stated in the verdict, so a reader can disagree with the threshold, not with hidden arithmetic.
import { bootstrapDiff, cliffsDelta, cliffsMagnitude, mannWhitneyU } from '../../runner/lib/metrics/compare.ts';
import { percentile } from '../../runner/lib/metrics/percentile.ts';
import { bootstrapMedianCI } from '../../runner/lib/metrics/trials.ts';

export type VerdictKind = 'supported' | 'refuted' | 'inconclusive' | 'not_enough_data';
export type HypothesisId = 'H1' | 'H2' | 'H3' | 'H4' | 'H5';

export interface Evidence {
  label: string;
  value: string;
}

export interface Verdict {
  id: HypothesisId;
  verdict: VerdictKind;
  /** What is missing for a verdict (names frameworks or scenarios). */
  missing: string[];
  evidence: Evidence[];
  effect: { name: string; value: number; magnitude?: string } | null;
  test: { name: string; p?: number; ci?: [number, number] } | null;
  rule: string;
}

const MIN_SAMPLES = 5;
const SEED = 20261124;
const med = (xs: readonly number[]): number => percentile(xs, 50);
const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

function need(samples: Map<string, number[]>, frameworks: string[], what: string): string[] {
  return frameworks.filter((f) => (samples.get(f)?.length ?? 0) < MIN_SAMPLES).map((f) => `${f}: ${what} (≥ ${MIN_SAMPLES} requests)`);
}

/** "b is higher than a": bootstrap CI of the median difference, Mann–Whitney p and Cliff's delta. */
function higher(a: number[], b: number[]): { ci: [number, number]; p: number; delta: number; diff: number } {
  const d = bootstrapDiff(a, b, med, { seed: SEED, resamples: 1000 })!;
  return { ci: [d.lo, d.hi], p: mannWhitneyU(a, b)!.p, delta: cliffsDelta(b, a)!, diff: d.estimate };
}

/**
 * H1: SGLang's RadixAttention beats vLLM with shared prefixes. The design's quantity is throughput with the prefill
 * included — per request, output tokens over end-to-end time — since a prefix cache acts on the prefill; decode speed
 * alone would leave the cache out. A verdict on caches that were not both reset before the scenario is inconclusive.
 */
export function h1(tokensPerSecond: Map<string, number[]>, context: { resets?: Map<string, string | null>; ttftLaterOverFirst?: Map<string, number>; scenarioSeconds?: Map<string, number> } = {}): Verdict {
  const rule = 'prefix_cache scenario, per request output tokens ÷ end-to-end seconds (prefill included): supported when SGLang − vLLM median > 0 with a 95% bootstrap CI above 0 and Mann–Whitney p < 0.05; refuted when the CI lies below 0; inconclusive otherwise, or when either server\'s prefix cache was not reset before the scenario.';
  const resetEvidence: Evidence[] = ['sglang', 'vllm'].map((f) => ({ label: `${f}: prefix-cache reset`, value: context.resets?.get(f) ?? 'not recorded' }));
  const extra: Evidence[] = [
    ...[...(context.ttftLaterOverFirst ?? new Map())].sort().map(([f, x]) => ({ label: `${f}: TTFT of later requests ÷ the first`, value: `${fmt(x, 2)}×` })),
    ...[...(context.scenarioSeconds ?? new Map())].sort().map(([f, x]) => ({ label: `${f}: scenario total time`, value: `${fmt(x, 2)} s` })),
  ];
  const missing = need(tokensPerSecond, ['sglang', 'vllm'], 'prefix_cache runs');
  if (missing.length > 0) return { id: 'H1', verdict: 'not_enough_data', missing, evidence: [...evidenceOf(tokensPerSecond, 'tok/s'), ...extra], effect: null, test: null, rule };
  const v = tokensPerSecond.get('vllm')!;
  const s = tokensPerSecond.get('sglang')!;
  const r = higher(v, s);
  const notReset = ['sglang', 'vllm'].filter((f) => !(context.resets?.get(f) ?? '').startsWith('reset'));
  const statistical: VerdictKind = r.ci[0] > 0 && r.p < 0.05 ? 'supported' : r.ci[1] < 0 ? 'refuted' : 'inconclusive';
  const verdict: VerdictKind = notReset.length > 0 ? 'inconclusive' : statistical;
  return {
    id: 'H1',
    verdict,
    missing: notReset.map((f) => `${f}: prefix cache not reset before the scenario (${context.resets?.get(f) ?? 'not recorded'}), so its first request may already have been a cache hit`),
    evidence: [...evidenceOf(tokensPerSecond, 'tok/s'), { label: 'SGLang − vLLM (median)', value: `${fmt(r.diff)} tok/s` }, ...extra, ...resetEvidence],
    effect: { name: "Cliff's delta", value: r.delta, magnitude: cliffsMagnitude(r.delta) },
    test: { name: 'bootstrap 95% CI of the median difference; Mann–Whitney U', p: r.p, ci: r.ci },
    rule,
  };
}

/** H2: SGLang/vLLM far exceed Ollama under concurrency (aggregate output throughput at each concurrency ≥ 8). */
export function h2(throughputByLevel: Map<string, Map<number, number>>): Verdict {
  const rule = 'concurrent scenario, aggregate output tokens/s at every concurrency ≥ 8 measured for all: supported when the better of SGLang/vLLM is ≥ 2× Ollama at every level; refuted when it is ≤ 1× at any level.';
  const missing: string[] = [];
  if (!throughputByLevel.has('ollama')) missing.push('ollama: concurrent runs');
  if (!throughputByLevel.has('vllm') && !throughputByLevel.has('sglang')) missing.push('vllm or sglang: concurrent runs');
  const evidence: Evidence[] = [...throughputByLevel].map(([f, levels]) => ({ label: f, value: [...levels].map(([c, t]) => `c=${c}: ${fmt(t)}`).join(', ') }));
  if (missing.length > 0) return { id: 'H2', verdict: 'not_enough_data', missing, evidence, effect: null, test: null, rule };
  const ollama = throughputByLevel.get('ollama')!;
  const ratios: Array<[number, number]> = [];
  for (const [c, o] of ollama) {
    if (c < 8 || o <= 0) continue;
    const best = Math.max(throughputByLevel.get('vllm')?.get(c) ?? -1, throughputByLevel.get('sglang')?.get(c) ?? -1);
    if (best > 0) ratios.push([c, best / o]);
  }
  if (ratios.length === 0) return { id: 'H2', verdict: 'not_enough_data', missing: ['a concurrency level ≥ 8 measured for Ollama and vLLM/SGLang'], evidence, effect: null, test: null, rule };
  const min = Math.min(...ratios.map((r) => r[1]));
  const verdict: VerdictKind = min >= 2 ? 'supported' : ratios.some((r) => r[1] <= 1) ? 'refuted' : 'inconclusive';
  return {
    id: 'H2',
    verdict,
    missing: [],
    evidence: [...evidence, { label: 'best(SGLang, vLLM) / Ollama', value: ratios.map(([c, r]) => `c=${c}: ${fmt(r, 2)}×`).join(', ') }],
    effect: { name: 'smallest throughput ratio', value: min },
    test: null,
    rule,
  };
}

/** Ollama's median over the faster rival's, as a bootstrap 95% CI of the log-ratio (exponentiated). */
function ratioToFastest(samples: Map<string, number[]>, rivals: string[]): { best: string; estimate: number; lo: number; hi: number; delta: number } {
  const best = rivals.reduce((a, b) => (med(samples.get(a)!) <= med(samples.get(b)!) ? a : b));
  const d = bootstrapDiff(samples.get(best)!.map(Math.log), samples.get('ollama')!.map(Math.log), med, { seed: SEED, resamples: 1000 })!;
  return { best, estimate: Math.exp(d.estimate), lo: Math.exp(d.lo), hi: Math.exp(d.hi), delta: cliffsDelta(samples.get('ollama')!, samples.get(best)!)! };
}

/** H3: Ollama is competitive on single-request latency — both TTFT and end-to-end latency of the single scenario. */
export function h3(ttft: Map<string, number[]>, e2e: Map<string, number[]> = new Map()): Verdict {
  const rule = 'single scenario, TTFT and end-to-end latency: supported when Ollama’s median is within 20% of the faster of vLLM/SGLang on both (each 95% CI of the ratio below 1.2); refuted when either CI lies above 1.2; inconclusive otherwise.';
  const rivals = ['vllm', 'sglang'].filter((f) => (ttft.get(f)?.length ?? 0) >= MIN_SAMPLES && (e2e.get(f)?.length ?? 0) >= MIN_SAMPLES);
  const missing = [...need(ttft, ['ollama'], 'single runs (TTFT)'), ...need(e2e, ['ollama'], 'single runs (end-to-end)')];
  if (rivals.length === 0) missing.push(`vllm or sglang: single runs (≥ ${MIN_SAMPLES} requests)`);
  const evidence = [...evidenceOf(ttft, 'ms', 'TTFT'), ...evidenceOf(e2e, 'ms', 'E2E')];
  if (missing.length > 0) return { id: 'H3', verdict: 'not_enough_data', missing, evidence, effect: null, test: null, rule };
  const t = ratioToFastest(ttft, rivals);
  const e = ratioToFastest(e2e, rivals);
  const verdict: VerdictKind = t.hi < 1.2 && e.hi < 1.2 ? 'supported' : t.lo > 1.2 || e.lo > 1.2 ? 'refuted' : 'inconclusive';
  return {
    id: 'H3',
    verdict,
    missing: [],
    evidence: [
      ...evidence,
      { label: `Ollama / ${t.best} (median TTFT)`, value: `${fmt(t.estimate, 2)}× (95% CI ${fmt(t.lo, 2)}–${fmt(t.hi, 2)})` },
      { label: `Ollama / ${e.best} (median E2E)`, value: `${fmt(e.estimate, 2)}× (95% CI ${fmt(e.lo, 2)}–${fmt(e.hi, 2)})` },
    ],
    effect: { name: "Cliff's delta on TTFT (Ollama vs the faster)", value: t.delta, magnitude: cliffsMagnitude(t.delta) },
    test: { name: 'bootstrap 95% CI of the median ratio (TTFT)', ci: [t.lo, t.hi] },
    rule,
  };
}

/**
 * H4: degradation with concurrency differs by framework — TPOT p50 at the highest concurrency that every compared
 * framework reached, over its TPOT at c = 1. Comparing each framework at its own highest level would compare c=64
 * with c=8.
 */
export function h4(tpotByLevel: Map<string, Map<number, number>>, requestsByLevel: Map<string, Map<number, number>> = new Map()): Verdict {
  const rule = 'concurrent scenario, TPOT p50 at the highest concurrency every compared framework reached ÷ at c = 1: supported when the largest factor is ≥ 1.5× the smallest; refuted when it is < 1.2×.';
  const withOne = [...tpotByLevel].filter(([, levels]) => (levels.get(1) ?? 0) > 0 && [...levels.keys()].some((c) => c > 1));
  const common = withOne.length === 0 ? [] : [...withOne[0]![1].keys()].filter((c) => c > 1 && withOne.every(([, l]) => l.has(c)));
  const top = common.length > 0 ? Math.max(...common) : null;
  const factors: Array<[string, number]> = top === null ? [] : withOne.map(([f, l]) => [f, l.get(top)! / l.get(1)!]);
  const n = (f: string, c: number): string => (requestsByLevel.get(f)?.get(c) !== undefined ? `, n = ${requestsByLevel.get(f)!.get(1) ?? '?'} and ${requestsByLevel.get(f)!.get(c)}` : '');
  const evidence = factors.map(([f, x]) => ({ label: f, value: `TPOT ×${fmt(x, 2)} from c=1 to c=${top}${n(f, top!)}` }));
  if (factors.length < 2) {
    const have = withOne.map((x) => x[0]).join(', ') || 'none';
    return { id: 'H4', verdict: 'not_enough_data', missing: [withOne.length >= 2 ? `a concurrency level above 1 reached by every framework (have: ${have})` : `concurrent runs of at least two frameworks (have: ${have})`], evidence, effect: null, test: null, rule };
  }
  const xs = factors.map((x) => x[1]);
  const spread = Math.max(...xs) / Math.min(...xs);
  return { id: 'H4', verdict: spread >= 1.5 ? 'supported' : spread < 1.2 ? 'refuted' : 'inconclusive', missing: [], evidence, effect: { name: `largest ÷ smallest degradation factor at c=${top}`, value: spread }, test: null, rule };
}

export interface LanguageSummary {
  framework: string;
  /** KO/EN input token ratios, one per task pair. */
  inputTokenRatios: number[];
  /** KO/EN output characters-per-second ratios, one per task pair. */
  charsPerSecondRatios: number[];
}

/**
 * H5: Korean vs English token efficiency and throughput differ by framework. Each framework's median KO/EN ratio gets
 * a bootstrap 95% interval over its task pairs; frameworks differ when their intervals are apart.
 */
export function h5(rows: LanguageSummary[]): Verdict {
  const rule = 'korean scenario, per framework: median KO/EN input-token ratio and KO/EN characters-per-second ratio over the task pairs, each with a bootstrap 95% interval; supported when two frameworks’ intervals on either ratio do not overlap and their medians differ by ≥ 10%; refuted when every interval overlaps every other and the medians are within 3%; inconclusive otherwise.';
  const interval = (xs: number[]): { m: number; lo: number; hi: number } => {
    const ci = xs.length >= 2 ? bootstrapMedianCI(xs, { seed: SEED, resamples: 1000 }) : null;
    const m = med(xs);
    return ci === null ? { m, lo: m, hi: m } : { m, lo: ci.lo, hi: ci.hi };
  };
  const stats = rows.map((r) => ({ f: r.framework, tok: interval(r.inputTokenRatios), cps: interval(r.charsPerSecondRatios), n: r.inputTokenRatios.length }));
  const evidence = stats.map((s) => ({ label: s.f, value: `input tokens KO/EN ${fmt(s.tok.m, 2)} (95% CI ${fmt(s.tok.lo, 2)}–${fmt(s.tok.hi, 2)}) · chars/s KO/EN ${fmt(s.cps.m, 2)} (95% CI ${fmt(s.cps.lo, 2)}–${fmt(s.cps.hi, 2)}) · n = ${s.n} task pairs` }));
  const usable = stats.filter((s) => s.n >= 2);
  if (usable.length < 2) {
    return { id: 'H5', verdict: 'not_enough_data', missing: [`korean runs of at least two frameworks with ≥ 2 task pairs each (have: ${stats.map((s) => `${s.f} (${s.n})`).join(', ') || 'none'})`], evidence, effect: null, test: null, rule };
  }
  let apart = false;
  let allOverlap = true;
  let spread = 0;
  for (const key of ['tok', 'cps'] as const) {
    for (const a of usable) {
      for (const b of usable) {
        if (a === b) continue;
        const x = a[key];
        const y = b[key];
        const overlap = x.lo <= y.hi && y.lo <= x.hi;
        const rel = Math.max(x.m, y.m) / Math.min(x.m, y.m) - 1;
        spread = Math.max(spread, rel);
        if (!overlap && rel >= 0.1) apart = true;
        if (!overlap) allOverlap = false;
      }
    }
  }
  const verdict: VerdictKind = apart ? 'supported' : allOverlap && spread < 0.03 ? 'refuted' : 'inconclusive';
  return { id: 'H5', verdict, missing: [], evidence, effect: { name: 'largest relative difference between frameworks’ medians', value: spread }, test: { name: 'bootstrap 95% intervals of each framework’s median ratio; non-overlap' }, rule };
}

function evidenceOf(samples: Map<string, number[]>, unit: string, what = ''): Evidence[] {
  return [...samples].sort().map(([f, xs]) => ({ label: what ? `${f} ${what}` : f, value: `median ${fmt(med(xs))} ${unit} (n = ${xs.length})` }));
}
