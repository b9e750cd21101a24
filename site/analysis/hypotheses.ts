// H1–H5, decided from the data at build time. Pure: samples and summaries in, verdicts with their evidence out.
// Every rule is stated in the verdict, so a reader can disagree with the threshold, not with hidden arithmetic.
import { bootstrapDiff, cliffsDelta, cliffsMagnitude, mannWhitneyU } from '../../runner/lib/metrics/compare.ts';
import { percentile } from '../../runner/lib/metrics/percentile.ts';

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

/** H1: SGLang beats vLLM on throughput with shared prefixes (prefix_cache, per-request output tokens/s). */
export function h1(tokensPerSecond: Map<string, number[]>): Verdict {
  const rule = 'prefix_cache scenario, per-request output tokens/s: supported when SGLang − vLLM median > 0 with a 95% bootstrap CI above 0 and Mann–Whitney p < 0.05; refuted when the CI lies below 0.';
  const missing = need(tokensPerSecond, ['sglang', 'vllm'], 'prefix_cache runs');
  if (missing.length > 0) return { id: 'H1', verdict: 'not_enough_data', missing, evidence: evidenceOf(tokensPerSecond, 'tok/s'), effect: null, test: null, rule };
  const v = tokensPerSecond.get('vllm')!;
  const s = tokensPerSecond.get('sglang')!;
  const r = higher(v, s);
  const verdict: VerdictKind = r.ci[0] > 0 && r.p < 0.05 ? 'supported' : r.ci[1] < 0 ? 'refuted' : 'inconclusive';
  return {
    id: 'H1',
    verdict,
    missing: [],
    evidence: [...evidenceOf(tokensPerSecond, 'tok/s'), { label: 'SGLang − vLLM (median)', value: `${fmt(r.diff)} tok/s` }],
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

/** H3: Ollama is competitive on single-request latency (single scenario TTFT). */
export function h3(ttft: Map<string, number[]>): Verdict {
  const rule = 'single scenario, TTFT: supported when Ollama’s median is within 20% of the faster of vLLM/SGLang (the 95% CI of the log-ratio below log 1.2); refuted when the CI lies above log 1.2.';
  const rivals = ['vllm', 'sglang'].filter((f) => (ttft.get(f)?.length ?? 0) >= MIN_SAMPLES);
  const missing = need(ttft, ['ollama'], 'single runs');
  if (rivals.length === 0) missing.push(`vllm or sglang: single runs (≥ ${MIN_SAMPLES} requests)`);
  if (missing.length > 0) return { id: 'H3', verdict: 'not_enough_data', missing, evidence: evidenceOf(ttft, 'ms'), effect: null, test: null, rule };
  const best = rivals.reduce((a, b) => (med(ttft.get(a)!) <= med(ttft.get(b)!) ? a : b));
  const logO = ttft.get('ollama')!.map(Math.log);
  const logB = ttft.get(best)!.map(Math.log);
  const d = bootstrapDiff(logB, logO, med, { seed: SEED, resamples: 1000 })!;
  const limit = Math.log(1.2);
  const verdict: VerdictKind = d.hi < limit ? 'supported' : d.lo > limit ? 'refuted' : 'inconclusive';
  const delta = cliffsDelta(ttft.get('ollama')!, ttft.get(best)!)!;
  return {
    id: 'H3',
    verdict,
    missing: [],
    evidence: [...evidenceOf(ttft, 'ms'), { label: `Ollama / ${best} (median TTFT)`, value: `${fmt(Math.exp(d.estimate), 2)}×` }],
    effect: { name: "Cliff's delta (Ollama vs the faster)", value: delta, magnitude: cliffsMagnitude(delta) },
    test: { name: 'bootstrap 95% CI of the median log-ratio', ci: [Math.exp(d.lo), Math.exp(d.hi)] },
    rule,
  };
}

/** H4: degradation with concurrency differs by framework (TPOT p50 at the highest concurrency / at c = 1). */
export function h4(tpotByLevel: Map<string, Map<number, number>>): Verdict {
  const rule = 'concurrent scenario, TPOT p50 at the highest concurrency ÷ at c = 1, per framework: supported when the largest factor is ≥ 1.5× the smallest; refuted when it is < 1.2×.';
  const factors: Array<[string, number, number]> = [];
  for (const [f, levels] of tpotByLevel) {
    const one = levels.get(1);
    const top = Math.max(...levels.keys());
    const hi = levels.get(top);
    if (one !== undefined && hi !== undefined && one > 0 && top > 1) factors.push([f, top, hi / one]);
  }
  const evidence = factors.map(([f, c, x]) => ({ label: f, value: `TPOT ×${fmt(x, 2)} from c=1 to c=${c}` }));
  if (factors.length < 2) {
    return { id: 'H4', verdict: 'not_enough_data', missing: [`concurrent runs of at least two frameworks (have: ${factors.map((x) => x[0]).join(', ') || 'none'})`], evidence, effect: null, test: null, rule };
  }
  const xs = factors.map((x) => x[2]);
  const spread = Math.max(...xs) / Math.min(...xs);
  return { id: 'H4', verdict: spread >= 1.5 ? 'supported' : spread < 1.2 ? 'refuted' : 'inconclusive', missing: [], evidence, effect: { name: 'largest ÷ smallest degradation factor', value: spread }, test: null, rule };
}

export interface LanguageSummary {
  framework: string;
  /** Median KO/EN input token ratio over the task pairs. */
  inputTokenRatio: number;
  /** Median KO/EN output characters per second ratio. */
  charsPerSecondRatio: number;
}

/** H5: Korean vs English token efficiency and throughput differ by framework. */
export function h5(rows: LanguageSummary[]): Verdict {
  const rule = 'korean scenario, per framework: KO/EN input-token ratio and KO/EN characters-per-second ratio; supported when either differs by ≥ 10% between frameworks; refuted when both are within 3%.';
  const evidence = rows.map((r) => ({ label: r.framework, value: `input tokens KO/EN ${fmt(r.inputTokenRatio, 2)} · chars/s KO/EN ${fmt(r.charsPerSecondRatio, 2)}` }));
  if (rows.length < 2) {
    return { id: 'H5', verdict: 'not_enough_data', missing: [`korean runs of at least two frameworks (have: ${rows.map((r) => r.framework).join(', ') || 'none'})`], evidence, effect: null, test: null, rule };
  }
  const spread = (xs: number[]) => Math.max(...xs) / Math.min(...xs) - 1;
  const s = Math.max(spread(rows.map((r) => r.inputTokenRatio)), spread(rows.map((r) => r.charsPerSecondRatio)));
  return { id: 'H5', verdict: s >= 0.1 ? 'supported' : s < 0.03 ? 'refuted' : 'inconclusive', missing: [], evidence, effect: { name: 'largest relative spread between frameworks', value: s }, test: null, rule };
}

function evidenceOf(samples: Map<string, number[]>, unit: string): Evidence[] {
  return [...samples].sort().map(([f, xs]) => ({ label: f, value: `median ${fmt(med(xs))} ${unit} (n = ${xs.length})` }));
}
