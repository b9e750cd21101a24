// Scenario configs → the list of points a sweep runs. Pure: the design's numbers go in, points come out, and a test
// holds them to the design.
import type { ScenarioName, SweepConfig } from '../config/config.ts';
import type { LoadPlan } from '../load/generator.ts';

export type Language = 'en' | 'ko';

/** What prompts a point sends; turned into text by the prompts library with the target's tokenizer. */
export type PromptPlan =
  | { kind: 'filler'; language: Language; input_tokens: number; same_prompt: boolean }
  | { kind: 'prefix'; language: Language; system_tokens: number; question_tokens: number; questions: number }
  | { kind: 'korean'; task: string; language: Language }
  | { kind: 'task'; task: string; prompts: number; language: Language; jsonl: string | null };

export interface ScenarioPoint {
  scenario: ScenarioName;
  /** Stable inside the scenario; with framework and trial it identifies a run for --resume. */
  point_id: string;
  label: string;
  plan: LoadPlan;
  prompts: PromptPlan;
  stream: boolean;
  max_tokens: number;
  /** Ask the server to drop its prefix cache before this point (where it can). */
  reset_prefix_cache: boolean;
  params: Record<string, unknown>;
}

function closed(concurrency: number, count: number, warmups: number): LoadPlan {
  return { mode: { kind: 'closed', concurrency }, bound: { count }, warmups };
}

export function expandScenario(config: SweepConfig, name: ScenarioName): ScenarioPoint[] {
  const d = config.defaults;
  const s = config.scenarios;
  const base = { stream: d.stream, max_tokens: d.max_tokens, reset_prefix_cache: true };
  const points: ScenarioPoint[] = [];
  switch (name) {
    case 'single':
    case 'long_context': {
      const sc = s[name];
      for (const c of sc.concurrency) {
        for (const input of sc.input_tokens) {
          // A repetition sends `c` requests at once, so every repetition loads the server at the stated concurrency.
          points.push({
            ...base,
            scenario: name,
            point_id: `c${c}-in${input}`,
            label: `c=${c} in=${input}`,
            plan: closed(c, sc.repetitions * c, d.warmups),
            prompts: { kind: 'filler', language: d.language, input_tokens: input, same_prompt: false },
            params: { concurrency: c, input_tokens: input, repetitions: sc.repetitions },
          });
        }
      }
      break;
    }
    case 'concurrent':
      for (const c of s.concurrent.concurrency) {
        for (const input of s.concurrent.input_tokens) {
          points.push({
            ...base,
            scenario: name,
            point_id: `c${c}-in${input}`,
            label: `c=${c}`,
            plan: closed(c, s.concurrent.requests, d.warmups),
            prompts: { kind: 'filler', language: d.language, input_tokens: input, same_prompt: s.concurrent.same_prompt },
            params: { concurrency: c, input_tokens: input, requests: s.concurrent.requests, same_prompt: s.concurrent.same_prompt },
          });
        }
      }
      break;
    case 'prefix_cache': {
      const p = s.prefix_cache;
      points.push({
        ...base,
        scenario: name,
        point_id: `sys${p.system_tokens}-q${p.questions}`,
        label: `system=${p.system_tokens} questions=${p.questions}`,
        // No warmups: they would fill the very cache whose cold first request this scenario measures.
        plan: closed(1, p.questions, 0),
        prompts: { kind: 'prefix', language: d.language, ...p },
        params: { concurrency: 1, ...p },
      });
      break;
    }
    case 'korean':
      for (const c of s.korean.concurrency) {
        for (const task of s.korean.tasks) {
          for (const language of s.korean.languages as Language[]) {
            points.push({
              ...base,
              scenario: name,
              point_id: `c${c}-${task}-${language}`,
              label: `c=${c} ${task} ${language}`,
              plan: closed(c, s.korean.repetitions * c, d.warmups),
              prompts: { kind: 'korean', task, language },
              params: { concurrency: c, task, language, repetitions: s.korean.repetitions },
            });
          }
        }
      }
      break;
    case 'workload':
      for (const profile of s.workload.profiles) {
        const w = config.workloads[profile];
        if (w === undefined) throw new Error(`workload profile "${profile}" is not defined under workloads`);
        points.push({
          ...base,
          scenario: name,
          point_id: profile,
          label: `${profile} (${w.rate} req/s, c≤${w.concurrency})`,
          plan: {
            mode: {
              kind: 'open',
              arrival: { kind: s.workload.arrival, rate: w.rate, seed: d.seed, ...(s.workload.burstiness !== undefined ? { burstiness: s.workload.burstiness } : {}) },
              maxConcurrency: w.concurrency,
            },
            bound: { durationMs: s.workload.duration_s * 1000 },
            warmups: d.warmups,
          },
          prompts: { kind: 'task', task: 'chat', prompts: 100, language: d.language, jsonl: null },
          params: { profile, rate: w.rate, concurrency: w.concurrency, duration_s: s.workload.duration_s, arrival: s.workload.arrival },
        });
      }
      break;
    case 'task':
      for (const task of s.task.tasks) {
        for (const mode of s.task.modes) {
          points.push({
            ...base,
            stream: mode === 'stream',
            scenario: name,
            point_id: `${task}-${mode}`,
            label: `${task} ${mode}`,
            plan: closed(s.task.concurrency, s.task.prompts, d.warmups),
            prompts: { kind: 'task', task, prompts: s.task.prompts, language: s.task.language, jsonl: s.task.jsonl },
            params: { task, mode, concurrency: s.task.concurrency, prompts: s.task.prompts },
          });
        }
      }
      break;
  }
  return points;
}

export function expandScenarios(config: SweepConfig, names: readonly ScenarioName[]): ScenarioPoint[] {
  return names.flatMap((n) => expandScenario(config, n));
}
