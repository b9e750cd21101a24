// H1–H5, decided from the data at build time. Pure: samples and summaries in, verdicts with their evidence out.
// Every rule is stated in the verdict, so a reader can disagree with the threshold, not with hidden arithmetic. Every
// text a verdict shows exists in Korean and in English (the Korean page shows the Korean one).
import { bootstrapDiff, cliffsDelta, cliffsMagnitude, mannWhitneyU } from '../../runner/lib/metrics/compare.ts';
import { percentile } from '../../runner/lib/metrics/percentile.ts';
import { bootstrapMedianCI } from '../../runner/lib/metrics/trials.ts';

export type VerdictKind = 'supported' | 'refuted' | 'inconclusive' | 'not_enough_data';
export type HypothesisId = 'H1' | 'H2' | 'H3' | 'H4' | 'H5';

/** One text in both languages of the report. */
export interface Text {
  en: string;
  ko: string;
}
const tx = (en: string, ko: string): Text => ({ en, ko });
/** The same in both languages (framework names, numbers). */
const same = (s: string): Text => ({ en: s, ko: s });

export interface Evidence {
  label: Text;
  value: Text;
}

export interface Verdict {
  id: HypothesisId;
  verdict: VerdictKind;
  /** What is missing for a verdict (names frameworks or scenarios). */
  missing: Text[];
  evidence: Evidence[];
  effect: { name: Text; value: number; magnitude?: string } | null;
  test: { name: Text; p?: number; ci?: [number, number] } | null;
  rule: Text;
}

const MIN_SAMPLES = 5;
const SEED = 20261124;
const med = (xs: readonly number[]): number => percentile(xs, 50);
const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

function need(samples: Map<string, number[]>, frameworks: string[], what: Text): Text[] {
  return frameworks
    .filter((f) => (samples.get(f)?.length ?? 0) < MIN_SAMPLES)
    .map((f) => tx(`${f}: ${what.en} (≥ ${MIN_SAMPLES} requests)`, `${f}: ${what.ko} (요청 ${MIN_SAMPLES}개 이상)`));
}

function evidenceOf(samples: Map<string, number[]>, unit: string, what = ''): Evidence[] {
  return [...samples].sort().map(([f, xs]) => ({
    label: same(what ? `${f} ${what}` : f),
    value: tx(`median ${fmt(med(xs))} ${unit} (n = ${xs.length})`, `중앙값 ${fmt(med(xs))} ${unit} (n = ${xs.length})`),
  }));
}

/** "b is higher than a": bootstrap CI of the median difference, Mann–Whitney p and Cliff's delta. */
function higher(a: number[], b: number[]): { ci: [number, number]; p: number; delta: number; diff: number } {
  const d = bootstrapDiff(a, b, med, { seed: SEED, resamples: 1000 })!;
  return { ci: [d.lo, d.hi], p: mannWhitneyU(a, b)!.p, delta: cliffsDelta(b, a)!, diff: d.estimate };
}

/** A recorded reset outcome (runs.prefix_cache_reset, written by the sweep in English) in both languages. */
export function resetText(outcome: string | null): Text {
  if (outcome === null) return tx('not recorded', '기록 없음');
  const forms: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
    [/^reset, verified: the first request computed its whole prompt$/, () => '초기화됨, 확인됨: 첫 요청이 프롬프트 전체를 계산함'],
    [/^reset \(unverified: (.*)\)$/, (m) => `초기화됨 (확인 불가: ${m[1] === 'the server reports no cached tokens' ? '서버가 캐시된 토큰 수를 알려 주지 않음' : m[1]})`],
    [/^reset answered OK but did not take: the first request reused (\d+) cached tokens$/, (m) => `초기화 요청은 성공했으나 적용되지 않음: 첫 요청이 캐시된 토큰 ${m[1]}개를 재사용함`],
    [/^not reset: (.*)$/, (m) => `초기화되지 않음: ${m[1]}`],
  ];
  for (const [re, ko] of forms) {
    const m = outcome.match(re);
    if (m !== null) return tx(outcome, ko(m));
  }
  return tx(outcome, `기록: ${outcome}`);
}

const H1_RULE = tx(
  "prefix_cache scenario, per request output tokens ÷ end-to-end seconds (prefill included): supported when SGLang − vLLM median > 0 with a 95% bootstrap CI above 0 and Mann–Whitney p < 0.05; refuted when the CI lies below 0; inconclusive otherwise, or when either server's prefix cache was not reset before the scenario.",
  'prefix_cache 시나리오, 요청별 출력 토큰 ÷ 종단 간 시간(초, 프리필 포함): SGLang − vLLM 중앙값 차이의 95% 부트스트랩 신뢰구간이 0보다 크고 Mann–Whitney p < 0.05이면 지지, 신뢰구간이 0보다 작으면 기각, 그 밖의 경우나 두 서버 중 하나라도 시나리오 전에 프리픽스 캐시가 초기화되지 않았으면 판단 보류.',
);

/**
 * H1: SGLang's RadixAttention beats vLLM with shared prefixes. The design's quantity is throughput with the prefill
 * included — per request, output tokens over end-to-end time — since a prefix cache acts on the prefill; decode speed
 * alone would leave the cache out. A verdict on caches that were not both reset before the scenario is inconclusive.
 */
export function h1(tokensPerSecond: Map<string, number[]>, context: { resets?: Map<string, string | null>; ttftLaterOverFirst?: Map<string, number>; scenarioSeconds?: Map<string, number> } = {}): Verdict {
  const rule = H1_RULE;
  const resetOf = (f: string): Text => resetText(context.resets?.get(f) ?? null);
  const resetEvidence: Evidence[] = ['sglang', 'vllm'].map((f) => ({ label: tx(`${f}: prefix-cache reset`, `${f}: 프리픽스 캐시 초기화`), value: resetOf(f) }));
  const extra: Evidence[] = [
    ...[...(context.ttftLaterOverFirst ?? new Map<string, number>())].sort().map(([f, x]) => ({ label: tx(`${f}: TTFT of later requests ÷ the first`, `${f}: 이후 요청 TTFT ÷ 첫 요청 TTFT`), value: same(`${fmt(x, 2)}×`) })),
    ...[...(context.scenarioSeconds ?? new Map<string, number>())].sort().map(([f, x]) => ({ label: tx(`${f}: scenario total time`, `${f}: 시나리오 전체 시간`), value: tx(`${fmt(x, 2)} s`, `${fmt(x, 2)}초`) })),
  ];
  const missing = need(tokensPerSecond, ['sglang', 'vllm'], tx('prefix_cache runs', 'prefix_cache 실행'));
  if (missing.length > 0) return { id: 'H1', verdict: 'not_enough_data', missing, evidence: [...evidenceOf(tokensPerSecond, 'tok/s'), ...extra], effect: null, test: null, rule };
  const v = tokensPerSecond.get('vllm')!;
  const s = tokensPerSecond.get('sglang')!;
  const r = higher(v, s);
  const notReset = ['sglang', 'vllm'].filter((f) => !(context.resets?.get(f) ?? '').startsWith('reset'));
  const statistical: VerdictKind = r.ci[0] > 0 && r.p < 0.05 ? 'supported' : r.ci[1] < 0 ? 'refuted' : 'inconclusive';
  return {
    id: 'H1',
    verdict: notReset.length > 0 ? 'inconclusive' : statistical,
    missing: notReset.map((f) =>
      tx(
        `${f}: prefix cache not reset before the scenario (${resetOf(f).en}), so its first request may already have been a cache hit`,
        `${f}: 시나리오 전에 프리픽스 캐시가 초기화되지 않았습니다 (${resetOf(f).ko}). 첫 요청부터 캐시 적중이었을 수 있습니다`,
      ),
    ),
    evidence: [...evidenceOf(tokensPerSecond, 'tok/s'), { label: tx('SGLang − vLLM (median)', 'SGLang − vLLM (중앙값)'), value: same(`${fmt(r.diff)} tok/s`) }, ...extra, ...resetEvidence],
    effect: { name: tx("Cliff's delta", "Cliff's delta (효과 크기)"), value: r.delta, magnitude: cliffsMagnitude(r.delta) },
    test: { name: tx('bootstrap 95% CI of the median difference; Mann–Whitney U', '중앙값 차이의 부트스트랩 95% 신뢰구간; Mann–Whitney U 검정'), p: r.p, ci: r.ci },
    rule,
  };
}

/** H2: SGLang/vLLM far exceed Ollama under concurrency (aggregate output throughput at each concurrency ≥ 8). */
export function h2(throughputByLevel: Map<string, Map<number, number>>, requestsByLevel: Map<string, Map<number, number>> = new Map()): Verdict {
  const rule = tx(
    'concurrent scenario, aggregate output tokens/s at every concurrency ≥ 8 measured for all: supported when the better of SGLang/vLLM is ≥ 2× Ollama at every level; refuted when it is ≤ 1× at any level.',
    'concurrent 시나리오, 모두가 측정한 동시 요청 수 8 이상의 각 수준에서 전체 출력 토큰/초: SGLang·vLLM 중 나은 쪽이 모든 수준에서 Ollama의 2배 이상이면 지지, 어느 한 수준에서라도 1배 이하면 기각.',
  );
  const missing: Text[] = [];
  if (!throughputByLevel.has('ollama')) missing.push(tx('ollama: concurrent runs', 'ollama: concurrent 실행'));
  if (!throughputByLevel.has('vllm') && !throughputByLevel.has('sglang')) missing.push(tx('vllm or sglang: concurrent runs', 'vllm 또는 sglang: concurrent 실행'));
  const n = (f: string, c: number): string => (requestsByLevel.get(f)?.get(c) !== undefined ? ` (n = ${requestsByLevel.get(f)!.get(c)})` : '');
  const evidence: Evidence[] = [...throughputByLevel].map(([f, levels]) => ({ label: same(f), value: same([...levels].map(([c, t]) => `c=${c}: ${fmt(t)} tok/s${n(f, c)}`).join(', ')) }));
  if (missing.length > 0) return { id: 'H2', verdict: 'not_enough_data', missing, evidence, effect: null, test: null, rule };
  const ollama = throughputByLevel.get('ollama')!;
  const ratios: Array<[number, number]> = [];
  for (const [c, o] of ollama) {
    if (c < 8 || o <= 0) continue;
    const best = Math.max(throughputByLevel.get('vllm')?.get(c) ?? -1, throughputByLevel.get('sglang')?.get(c) ?? -1);
    if (best > 0) ratios.push([c, best / o]);
  }
  if (ratios.length === 0) {
    return { id: 'H2', verdict: 'not_enough_data', missing: [tx('a concurrency level ≥ 8 measured for Ollama and vLLM/SGLang', 'Ollama와 vLLM/SGLang이 함께 측정한 동시 요청 수 8 이상의 수준')], evidence, effect: null, test: null, rule };
  }
  const min = Math.min(...ratios.map((r) => r[1]));
  return {
    id: 'H2',
    verdict: min >= 2 ? 'supported' : ratios.some((r) => r[1] <= 1) ? 'refuted' : 'inconclusive',
    missing: [],
    evidence: [...evidence, { label: tx('best(SGLang, vLLM) / Ollama', 'max(SGLang, vLLM) / Ollama'), value: same(ratios.map(([c, r]) => `c=${c}: ${fmt(r, 2)}×`).join(', ')) }],
    effect: { name: tx('smallest throughput ratio', '가장 작은 처리량 비율'), value: min },
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
  const rule = tx(
    'single scenario, TTFT and end-to-end latency: supported when Ollama’s median is within 20% of the faster of vLLM/SGLang on both (each 95% CI of the ratio below 1.2); refuted when either CI lies above 1.2; inconclusive otherwise.',
    'single 시나리오, TTFT와 종단 간 지연 시간: 두 지표 모두에서 Ollama 중앙값이 vLLM/SGLang 중 빠른 쪽의 20% 이내이면(각 비율의 95% 신뢰구간이 1.2 미만) 지지, 어느 하나의 신뢰구간이 1.2보다 크면 기각, 그 밖에는 판단 보류.',
  );
  const rivals = ['vllm', 'sglang'].filter((f) => (ttft.get(f)?.length ?? 0) >= MIN_SAMPLES && (e2e.get(f)?.length ?? 0) >= MIN_SAMPLES);
  const missing = [...need(ttft, ['ollama'], tx('single runs (TTFT)', 'single 실행 (TTFT)')), ...need(e2e, ['ollama'], tx('single runs (end-to-end)', 'single 실행 (종단 간)'))];
  if (rivals.length === 0) missing.push(tx(`vllm or sglang: single runs (≥ ${MIN_SAMPLES} requests)`, `vllm 또는 sglang: single 실행 (요청 ${MIN_SAMPLES}개 이상)`));
  const evidence = [...evidenceOf(ttft, 'ms', 'TTFT'), ...evidenceOf(e2e, 'ms', 'E2E')];
  if (missing.length > 0) return { id: 'H3', verdict: 'not_enough_data', missing, evidence, effect: null, test: null, rule };
  const t = ratioToFastest(ttft, rivals);
  const e = ratioToFastest(e2e, rivals);
  const ratio = (what: string, r: typeof t): Evidence => ({
    label: tx(`Ollama / ${r.best} (median ${what})`, `Ollama / ${r.best} (${what} 중앙값)`),
    value: same(`${fmt(r.estimate, 2)}× (95% CI ${fmt(r.lo, 2)}–${fmt(r.hi, 2)})`),
  });
  return {
    id: 'H3',
    verdict: t.hi < 1.2 && e.hi < 1.2 ? 'supported' : t.lo > 1.2 || e.lo > 1.2 ? 'refuted' : 'inconclusive',
    missing: [],
    evidence: [...evidence, ratio('TTFT', t), ratio('E2E', e)],
    effect: { name: tx("Cliff's delta on TTFT (Ollama vs the faster)", "TTFT의 Cliff's delta (Ollama 대 빠른 쪽)"), value: t.delta, magnitude: cliffsMagnitude(t.delta) },
    test: { name: tx('bootstrap 95% CI of the median ratio (TTFT)', '중앙값 비율의 부트스트랩 95% 신뢰구간 (TTFT)'), ci: [t.lo, t.hi] },
    rule,
  };
}

/**
 * H4: degradation with concurrency differs by framework — TPOT p50 at the highest concurrency that every compared
 * framework reached, over its TPOT at c = 1. Comparing each framework at its own highest level would compare c=64
 * with c=8.
 */
export function h4(tpotByLevel: Map<string, Map<number, number>>, requestsByLevel: Map<string, Map<number, number>> = new Map()): Verdict {
  const rule = tx(
    'concurrent scenario, TPOT p50 at the highest concurrency every compared framework reached ÷ at c = 1: supported when the largest factor is ≥ 1.5× the smallest; refuted when it is < 1.2×.',
    'concurrent 시나리오, 비교하는 모든 프레임워크가 도달한 가장 높은 동시 요청 수에서의 TPOT p50 ÷ c = 1에서의 값: 가장 큰 배수가 가장 작은 배수의 1.5배 이상이면 지지, 1.2배 미만이면 기각.',
  );
  const withOne = [...tpotByLevel].filter(([, levels]) => (levels.get(1) ?? 0) > 0 && [...levels.keys()].some((c) => c > 1));
  const common = withOne.length === 0 ? [] : [...withOne[0]![1].keys()].filter((c) => c > 1 && withOne.every(([, l]) => l.has(c)));
  const top = common.length > 0 ? Math.max(...common) : null;
  const factors: Array<[string, number]> = top === null ? [] : withOne.map(([f, l]) => [f, l.get(top)! / l.get(1)!]);
  const n = (f: string, c: number): string => (requestsByLevel.get(f)?.get(c) !== undefined ? `, n = ${requestsByLevel.get(f)!.get(1) ?? '?'} / ${requestsByLevel.get(f)!.get(c)}` : '');
  const evidence: Evidence[] = factors.map(([f, x]) => ({ label: same(f), value: tx(`TPOT ×${fmt(x, 2)} from c=1 to c=${top}${n(f, top!)}`, `c=1에서 c=${top}까지 TPOT ×${fmt(x, 2)}${n(f, top!)}`) }));
  if (factors.length < 2) {
    const have = withOne.map((x) => x[0]).join(', ') || 'none';
    const why =
      withOne.length >= 2
        ? tx(`a concurrency level above 1 reached by every framework (have: ${have})`, `모든 프레임워크가 도달한 1보다 큰 동시 요청 수 (현재: ${have})`)
        : tx(`concurrent runs of at least two frameworks (have: ${have})`, `두 개 이상 프레임워크의 concurrent 실행 (현재: ${have})`);
    return { id: 'H4', verdict: 'not_enough_data', missing: [why], evidence, effect: null, test: null, rule };
  }
  const xs = factors.map((x) => x[1]);
  const spread = Math.max(...xs) / Math.min(...xs);
  return {
    id: 'H4',
    verdict: spread >= 1.5 ? 'supported' : spread < 1.2 ? 'refuted' : 'inconclusive',
    missing: [],
    evidence,
    effect: { name: tx(`largest ÷ smallest degradation factor at c=${top}`, `c=${top}에서 가장 큰 ÷ 가장 작은 저하 배수`), value: spread },
    test: null,
    rule,
  };
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
  const rule = tx(
    'korean scenario, per framework: median KO/EN input-token ratio and KO/EN characters-per-second ratio over the task pairs, each with a bootstrap 95% interval; supported when two frameworks’ intervals on either ratio do not overlap and their medians differ by ≥ 10%; refuted when every interval overlaps every other and the medians are within 3%; inconclusive otherwise.',
    'korean 시나리오, 프레임워크별: 과제 쌍에 걸친 KO/EN 입력 토큰 비율과 KO/EN 초당 문자 수 비율의 중앙값, 각각 부트스트랩 95% 구간: 두 프레임워크의 구간이 어느 한 비율에서 겹치지 않고 중앙값이 10% 이상 다르면 지지, 모든 구간이 서로 겹치고 중앙값 차이가 3% 이내이면 기각, 그 밖에는 판단 보류.',
  );
  const interval = (xs: number[]): { m: number; lo: number; hi: number } => {
    const ci = xs.length >= 2 ? bootstrapMedianCI(xs, { seed: SEED, resamples: 1000 }) : null;
    const m = med(xs);
    return ci === null ? { m, lo: m, hi: m } : { m, lo: ci.lo, hi: ci.hi };
  };
  const stats = rows.map((r) => ({ f: r.framework, tok: interval(r.inputTokenRatios), cps: interval(r.charsPerSecondRatios), n: r.inputTokenRatios.length }));
  const ci = (x: { m: number; lo: number; hi: number }): string => `${fmt(x.m, 2)} (95% CI ${fmt(x.lo, 2)}–${fmt(x.hi, 2)})`;
  const evidence: Evidence[] = stats.map((s) => ({
    label: same(s.f),
    value: tx(`input tokens KO/EN ${ci(s.tok)} · chars/s KO/EN ${ci(s.cps)} · n = ${s.n} task pairs`, `입력 토큰 KO/EN ${ci(s.tok)} · 초당 문자 수 KO/EN ${ci(s.cps)} · 과제 쌍 n = ${s.n}`),
  }));
  const usable = stats.filter((s) => s.n >= 2);
  if (usable.length < 2) {
    const have = stats.map((s) => `${s.f} (${s.n})`).join(', ') || 'none';
    return { id: 'H5', verdict: 'not_enough_data', missing: [tx(`korean runs of at least two frameworks with ≥ 2 task pairs each (have: ${have})`, `과제 쌍이 2개 이상인 두 개 이상 프레임워크의 korean 실행 (현재: ${have})`)], evidence, effect: null, test: null, rule };
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
  return {
    id: 'H5',
    verdict: apart ? 'supported' : allOverlap && spread < 0.03 ? 'refuted' : 'inconclusive',
    missing: [],
    evidence,
    effect: { name: tx('largest relative difference between frameworks’ medians', '프레임워크 중앙값 사이의 가장 큰 상대 차이'), value: spread },
    test: { name: tx('bootstrap 95% intervals of each framework’s median ratio; non-overlap', '프레임워크별 중앙값 비율의 부트스트랩 95% 구간; 겹침 여부') },
    rule,
  };
}
