// The shipped config is the benchmark design; these numbers come from the design document, not from the config.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DESIGN_SCENARIOS, loadConfig } from '../../runner/lib/config/config.ts';
import { expandScenario } from '../../runner/lib/scenarios/points.ts';

const count = (p: { plan: { bound: { count?: number } } }) => p.plan.bound.count;

describe('full profile = the benchmark design', async () => {
  const config = await loadConfig({ profile: 'full' });

  it('common rules', () => {
    expect(config.defaults).toMatchObject({ temperature: 0, max_tokens: 256, ignore_eos: true, stream: true, timeout_s: 300, warmups: 3 });
  });

  it('single: c=1; inputs 128/512/1024; 10 repetitions each', () => {
    const pts = expandScenario(config, 'single');
    expect(pts.map((p) => [p.params.concurrency, p.params.input_tokens, count(p)])).toEqual([
      [1, 128, 10],
      [1, 512, 10],
      [1, 1024, 10],
    ]);
    expect(pts.every((p) => p.plan.warmups === 3 && p.stream && p.max_tokens === 256)).toBe(true);
  });

  it('concurrent: c = 1, 8, 16, 32, 64; input 512; 100 requests per level; the same prompt', () => {
    const pts = expandScenario(config, 'concurrent');
    expect(pts.map((p) => (p.plan.mode.kind === 'closed' ? p.plan.mode.concurrency : 0))).toEqual([1, 8, 16, 32, 64]);
    expect(pts.every((p) => count(p) === 100 && p.prompts.kind === 'filler' && p.prompts.input_tokens === 512 && p.prompts.same_prompt)).toBe(true);
  });

  it('long_context: c = 1 and 8; inputs 2048 and 4096; 5 repetitions', () => {
    const pts = expandScenario(config, 'long_context');
    expect(pts.map((p) => [p.params.concurrency, p.params.input_tokens, count(p)])).toEqual([
      [1, 2048, 5],
      [1, 4096, 5],
      [8, 2048, 40],
      [8, 4096, 40],
    ]);
  });

  it('prefix_cache: one 2048-token system prompt, 50 different 128-token questions, one after another, cache reset first', () => {
    const [p, ...rest] = expandScenario(config, 'prefix_cache');
    expect(rest).toEqual([]);
    expect(p!.prompts).toEqual({ kind: 'prefix', language: 'en', system_tokens: 2048, question_tokens: 128, questions: 50 });
    expect(p!.plan).toMatchObject({ mode: { kind: 'closed', concurrency: 1 }, bound: { count: 50 }, warmups: 0 });
    expect(p!.reset_prefix_cache).toBe(true);
  });

  it('korean: c = 1 and 8; four tasks, each in Korean and English; 10 repetitions', () => {
    const pts = expandScenario(config, 'korean');
    expect(pts).toHaveLength(2 * 4 * 2);
    expect(new Set(pts.map((p) => (p.prompts.kind === 'korean' ? p.prompts.task : '')))).toEqual(
      new Set(['short_question', 'long_summary', 'translation', 'essay']),
    );
    expect(pts.filter((p) => p.params.concurrency === 1).every((p) => count(p) === 10)).toBe(true);
  });

  it('workloads: the in-house profiles, Poisson, 300 s', () => {
    const pts = expandScenario(config, 'workload');
    expect(pts.map((p) => [p.point_id, p.params.rate, p.params.concurrency])).toEqual([
      ['low-load', 1, 1],
      ['medium-load', 5, 10],
      ['high-load', 20, 50],
      ['stress-test', 50, 100],
    ]);
    expect(pts.every((p) => p.plan.bound.durationMs === 300_000 && p.plan.mode.kind === 'open' && p.plan.mode.arrival.kind === 'poisson')).toBe(true);
  });

  it('task sets: chat, summarization, qa, code; 100 prompts; stream and sync', () => {
    const pts = expandScenario(config, 'task');
    expect(pts.map((p) => p.point_id)).toEqual(['chat-stream', 'chat-sync', 'summarization-stream', 'summarization-sync', 'qa-stream', 'qa-sync', 'code-stream', 'code-sync']);
    expect(pts.every((p) => count(p) === 100)).toBe(true);
    expect(pts.filter((p) => !p.stream).map((p) => p.point_id)).toEqual(['chat-sync', 'summarization-sync', 'qa-sync', 'code-sync']);
  });

  it('the design scenarios are the five of the design', () => {
    expect(DESIGN_SCENARIOS).toEqual(['single', 'concurrent', 'long_context', 'prefix_cache', 'korean']);
  });
});

describe('quick profile keeps every scenario’s structure', async () => {
  const full = await loadConfig({ profile: 'full' });
  const quick = await loadConfig({ profile: 'quick' });
  it.each(DESIGN_SCENARIOS)('%s has the same points shape with fewer requests', (name) => {
    const f = expandScenario(full, name);
    const q = expandScenario(quick, name);
    expect(q.length).toBe(f.length);
    const total = (pts: typeof f) => pts.reduce((a, p) => a + (count(p) ?? 0), 0);
    expect(total(q)).toBeLessThanOrEqual(total(f));
  });
});

describe('bad config is named', () => {
  async function load(yaml: string, profile = 'full') {
    const dir = await mkdtemp(join(tmpdir(), 'sb-config-'));
    const path = join(dir, 'c.yaml');
    await writeFile(path, yaml);
    return loadConfig({ path, profile });
  }
  it.each([
    ['scenarios:\n  single:\n    input_tokens: [128, -1]\n', /scenarios\.single\.input_tokens\[1\]/],
    ['defaults:\n  max_tokens: zero\n', /defaults\.max_tokens/],
    ['targets:\n  x:\n    framework: tgi\n    model: m\n', /targets\.x\.framework.*vllm/],
    ['scenarios:\n  korean:\n    tasks: [poetry]\n', /scenarios\.korean\.tasks\[0\]/],
    ['defaults: [1\n', /not valid YAML/],
  ])('%j', async (yaml, message) => {
    await expect(load(yaml)).rejects.toThrow(message);
  });
  it('unknown profile and missing file', async () => {
    await expect(loadConfig({ profile: 'turbo' })).rejects.toThrow(/unknown profile "turbo"; known: full, quick/);
    await expect(loadConfig({ path: '/nonexistent/c.yaml' })).rejects.toBeInstanceOf(ConfigError);
  });
  it('a user file merges over the design: lists replace, maps merge', async () => {
    const c = await load('scenarios:\n  single:\n    input_tokens: [64]\n');
    expect(c.scenarios.single).toEqual({ concurrency: [1], input_tokens: [64], repetitions: 10 });
  });
});
