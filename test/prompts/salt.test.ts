// Prompts must not hit a cache the scenario is not about (docs/metrics.md, pitfall 12): every request of a sweep starts with its
// own salt, salts keep filler prompts exactly as long as the point says, and every framework gets the same bytes.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../runner/lib/config/config.ts';
import { loadCountingTokenizer, type CountingTokenizer } from '../../runner/lib/prompts/index.ts';
import { makeSalter } from '../../runner/lib/prompts/salt.ts';
import { DESIGN_SCENARIOS } from '../../runner/lib/config/config.ts';
import { expandScenarios } from '../../runner/lib/scenarios/points.ts';
import { promptInstances, requestMaker, warmupPrompt, type RequestSettings } from '../../runner/lib/sweep/materialize.ts';

const SETTINGS: RequestSettings = {
  protocol: 'openai-chat', model: 'm', temperature: 0, seed: 1, ignore_eos: true, include_usage: true, continuous_usage: false,
  template_overhead: { base: 0, per_message: 0 }, token_ratio: { en: 1, ko: 1 }, truncation_tolerance: 0.02,
};

const commonPrefix = (a: readonly number[], b: readonly number[]): number => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/** Every request a sweep of these points would send to one target: calibration aside, warmups and measured. */
async function sweepPrompts(tok: CountingTokenizer, profile: string) {
  const config = await loadConfig({ profile });
  const salter = makeSalter(tok, config.defaults.seed);
  const out: Array<{ point: string; shared: boolean; text: string; tokens: number; target: number | null }> = [];
  for (const point of expandScenarios(config, DESIGN_SCENARIOS)) {
    const count = point.plan.bound.count ?? 100;
    const prompts = await promptInstances(point.prompts, tok, count, salter);
    const make = requestMaker(point, prompts, SETTINGS, warmupPrompt(prompts[0]!, tok), { salter, runKey: `${point.scenario}/${point.point_id}/t1` });
    const shared = point.prompts.kind === 'prefix' || (point.prompts.kind === 'filler' && point.prompts.same_prompt);
    for (let i = 0; i < point.plan.warmups + count; i++) {
      const { prompt } = make(i, i < point.plan.warmups);
      const text = prompt.messages.map((m) => m.content).join('\n');
      out.push({ point: point.point_id + point.scenario, shared: shared && i >= point.plan.warmups, text, tokens: tok.count(prompt.messages[0]!.content), target: point.prompts.kind === 'filler' ? point.prompts.input_tokens : null });
    }
  }
  return out;
}

describe('salts', () => {
  for (const name of ['o200k', 'llama3', 'reference-tiny'] as const) {
    it(`${name}: every salt has the same token count and never merges with the prompt after it`, async () => {
      const tok = await loadCountingTokenizer(name);
      const s = makeSalter(tok, 7);
      for (let i = 0; i < 200; i++) {
        const salt = s.salt(`k${i}`);
        expect(tok.count(salt)).toBe(s.tokens);
        expect(tok.count(salt + 'The answer is here.')).toBe(s.tokens + tok.count('The answer is here.'));
        expect(tok.count(salt + '모델은 질문에 답합니다.')).toBe(s.tokens + tok.count('모델은 질문에 답합니다.'));
      }
      // Deterministic: the same key gives the same salt in another run (and so to another framework).
      expect(makeSalter(tok, 7).salt('k3')).toBe(s.salt('k3'));
      expect(makeSalter(tok, 8).salt('k3')).not.toBe(s.salt('k3'));
    });
  }
});

describe('the quick profile, every design scenario, as one target receives it', () => {
  it('no two requests share a prefix beyond the salt\'s first digits, except where a point shares its prompt by design', async () => {
    const tok = await loadCountingTokenizer('reference-default');
    const all = await sweepPrompts(tok, 'quick');
    // Measured requests of a same-prompt point share one prompt (and the prefix-cache points one system prompt);
    // each such group counts once here.
    const seen = new Set<string>();
    const distinct = all.filter((p) => {
      if (!p.shared) return true;
      if (seen.has(p.point)) return false;
      seen.add(p.point);
      return true;
    });
    const encoded = distinct.map((p) => tok.encode(p.text)).sort((a, b) => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
      return a.length - b.length;
    });
    let longest = 0;
    for (let i = 1; i < encoded.length; i++) longest = Math.max(longest, commonPrefix(encoded[i - 1]!, encoded[i]!));
    const salter = makeSalter(tok, 20261124);
    // Two salts may share leading digits; never a whole salt, so never a word of the prompt itself.
    expect(longest).toBeLessThan(salter.tokens);
    expect(distinct.length).toBeGreaterThan(150);
  });

  it('salted filler prompts are exactly the point\'s input length', async () => {
    const tok = await loadCountingTokenizer('reference-default');
    const all = await sweepPrompts(tok, 'quick');
    const filler = all.filter((p) => p.target !== null);
    expect(filler.length).toBeGreaterThan(50);
    for (const p of filler) expect(p.tokens).toBe(p.target);
  });
});
