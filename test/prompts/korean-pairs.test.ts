import { describe, expect, it } from 'vitest';
import { KOREAN_TASK_NAMES, koreanPairStats, koreanTasks, loadCountingTokenizer } from '../../runner/lib/prompts/index.ts';
import { asciiShare, hangulShare } from './helpers.ts';

const text = (messages: ReadonlyArray<{ content: string }>) => messages.map((m) => m.content).join('\n');

describe('Korean/English prompt pairs (korean scenario, H5)', async () => {
  const o200k = await loadCountingTokenizer('o200k');
  const llama3 = await loadCountingTokenizer('llama3');

  it('has the four tasks, each as one user message per language', () => {
    expect(koreanTasks().map((p) => p.task)).toEqual([...KOREAN_TASK_NAMES]);
    expect(KOREAN_TASK_NAMES).toEqual(['short_question', 'long_summary', 'translation', 'essay']);
    for (const p of koreanTasks()) {
      for (const side of [p.ko, p.en]) expect(side.map((m) => m.role)).toEqual(['user']);
    }
  });

  it('the Korean side is Hangul, the English side ASCII', () => {
    for (const p of koreanTasks()) {
      expect(hangulShare(text(p.ko)), p.task).toBeGreaterThan(0.75);
      expect(hangulShare(text(p.en)), p.task).toBe(0);
      expect(asciiShare(text(p.en)), p.task).toBe(1);
    }
  });

  it('lengths follow the design: ~128-token question, ~512-token passage, ~500-character essay', () => {
    const [short, long, translation, essay] = koreanTasks();
    const ko = (p: typeof short) => o200k.count(text(p!.ko));
    expect(ko(short)).toBeGreaterThan(110);
    expect(ko(short)).toBeLessThan(150);
    expect(ko(long)).toBeGreaterThan(460);
    expect(ko(long)).toBeLessThan(570);
    expect(ko(translation)).toBeGreaterThan(150);
    expect(text(essay!.ko)).toContain('500자');
    expect(text(essay!.en)).toContain('500 characters');
    expect(text(translation!.ko)).toContain('영어로 번역');
    expect(text(translation!.en)).toContain('into natural Korean');
  });

  it('KO/EN input token ratio per task (printed)', () => {
    const rows: string[] = [];
    for (const tok of [o200k, llama3]) {
      for (const s of koreanPairStats(tok)) {
        expect(Number.isFinite(s.ratio)).toBe(true);
        expect(s.ratio).toBeGreaterThan(0);
        expect(s.ko.chars).toBeGreaterThan(0);
        rows.push(`${tok.name.padEnd(7)} ${s.task.padEnd(15)} ko ${String(s.ko.tokens).padStart(4)} tok ${String(s.ko.chars).padStart(4)} chars | en ${String(s.en.tokens).padStart(4)} tok ${String(s.en.chars).padStart(4)} chars | KO/EN ${s.ratio.toFixed(2)}`);
      }
    }
    console.log(`KO/EN input tokens per pair:\n${rows.join('\n')}`);
  });
});
