import { describe, expect, it } from 'vitest';
import { TASK_SET_SIZE, taskPrompts, TASKS, withParticle } from '../../runner/lib/prompts/index.ts';
import { corpusFor, hangulShare } from './helpers.ts';

describe('built-in task sets', () => {
  it.each(TASKS)('%s: 100 distinct prompts in English and in Korean, deterministic', (task) => {
    for (const language of ['en', 'ko'] as const) {
      const corpus = corpusFor(language);
      const opts = corpus === undefined ? { language } : { language, corpus };
      const ps = taskPrompts(task, 100, opts);
      expect(ps).toHaveLength(100);
      expect(new Set(ps.map((p) => p.messages[0]!.content)).size).toBe(100);
      expect(new Set(ps.map((p) => p.id)).size).toBe(100);
      for (const p of ps) {
        expect(p.task).toBe(task);
        expect(p.messages.map((m) => m.role)).toEqual(['user']);
        // Natural Korean: particles are chosen, never the form-letter "을(를)".
        expect(p.messages[0]!.content).not.toMatch(/\((을|를|이|가|은|는|과|와)\)/);
      }
      const all = ps.map((p) => p.messages[0]!.content).join(' ');
      if (language === 'ko') expect(hangulShare(all)).toBeGreaterThan(task === 'code' ? 0.4 : 0.75);
      else expect(hangulShare(all)).toBe(0);
      expect(taskPrompts(task, 100, opts)).toEqual(ps);
    }
  });

  it('defaults to 100 English prompts; more than 100 repeat the set in order', () => {
    const ps = taskPrompts('qa');
    expect(ps).toHaveLength(TASK_SET_SIZE);
    expect(ps[0]!.id).toBe('qa-en-0');
    const more = taskPrompts('qa', 150);
    expect(more[120]).toEqual(more[20]);
    expect(taskPrompts('chat', 3).map((p) => p.id)).toEqual(['chat-en-0', 'chat-en-1', 'chat-en-2']);
    expect(() => taskPrompts('poetry' as never, 1)).toThrow(/unknown task "poetry"; one of chat, summarization, qa, code/);
  });

  it('summarization prompts carry an article from the corpus', () => {
    const p = taskPrompts('summarization', 1)[0]!.messages[0]!.content;
    expect(p.split('\n\n').length).toBeGreaterThanOrEqual(4);
  });

  it('Korean particles follow the final consonant', () => {
    expect(withParticle('나침반', '은/는')).toBe('나침반은');
    expect(withParticle('냉장고', '은/는')).toBe('냉장고는');
    expect(withParticle('면접 준비', '을/를')).toBe('면접 준비를');
    expect(withParticle('백신', '이/가')).toBe('백신이');
    expect(withParticle('우유', '과/와')).toBe('우유와');
    expect(() => withParticle('GPS', '이/가')).toThrow(/does not end in a Hangul syllable/);
  });
});
