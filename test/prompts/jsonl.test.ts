import { describe, expect, it } from 'vitest';
import { extractPrompt, loadJsonlPrompts, parseJsonlPrompts } from '../../runner/lib/prompts/index.ts';

const fixture = (f: string) => new URL(`./fixtures/${f}`, import.meta.url).pathname;
const contents = (ps: ReadonlyArray<{ messages: ReadonlyArray<{ content: string }> }>) => ps.map((p) => p.messages[0]!.content);

describe('JSONL exports', () => {
  it('ShareGPT conversations and chat messages: the first user turn', async () => {
    const ps = await loadJsonlPrompts(fixture('sharegpt.jsonl'));
    expect(contents(ps)).toEqual(['How do I boil an egg?', '서울에서 부산까지 KTX로 얼마나 걸리나요?', 'Name a planet.', 'Describe this diagram']);
    expect(ps.map((p) => p.id)).toEqual(['sharegpt.jsonl:1', 'sharegpt.jsonl:2', 'sharegpt.jsonl:3', 'sharegpt.jsonl:4']);
    expect(ps.every((p) => p.task === 'custom' && p.messages.length === 1 && p.messages[0]!.role === 'user')).toBe(true);
  });

  it('a ShareGPT dump that is one JSON array', async () => {
    const ps = await loadJsonlPrompts(fixture('sharegpt-array.json'), { task: 'chat' });
    expect(contents(ps)).toEqual(['Write a limerick about a cat.', 'What is 2 + 2?']);
    expect(ps.map((p) => [p.id, p.task])).toEqual([['sharegpt-array.json:1', 'chat'], ['sharegpt-array.json:2', 'chat']]);
  });

  it('{"prompt"}, {"instruction","input"}, {"text"} and {"question"} lines; blank lines and CRLF are fine', async () => {
    const ps = await loadJsonlPrompts(fixture('prompts.jsonl'));
    expect(contents(ps)).toEqual([
      'Write a haiku about rain.',
      'Translate to French\n\ngood morning',
      'List three fruits.',
      'Explain TCP in one line.',
      'Which planet is known as the red planet?',
    ]);
    expect(ps.map((p) => p.id)).toEqual(['prompts.jsonl:1', 'prompts.jsonl:2', 'prompts.jsonl:3', 'prompts.jsonl:5', 'prompts.jsonl:6']);
  });

  it('oasst trees: the prompter message at the root', async () => {
    const ps = await loadJsonlPrompts(fixture('oasst-trees.jsonl'), { task: 'chat' });
    expect(ps.map((p) => [p.task, p.messages[0]!.content])).toEqual([
      ['chat', 'What is a prime number?'],
      ['chat', '김치찌개를 맛있게 끓이는 방법을 알려 주세요.'],
    ]);
  });

  it('flat oasst messages: only live conversation roots, replies and deleted rows skipped without complaint', async () => {
    const skipped: string[][] = [];
    const ps = await loadJsonlPrompts(fixture('oasst-messages.jsonl'), { onSkipped: (s) => skipped.push([...s]) });
    expect(contents(ps)).toEqual(['Why is the sky blue?', 'How do tides work?']);
    expect(ps.map((p) => p.id)).toEqual(['oasst-messages.jsonl:1', 'oasst-messages.jsonl:5']);
    expect(skipped).toEqual([]);
  });

  it('limit keeps the first prompts', async () => {
    expect(contents(await loadJsonlPrompts(fixture('sharegpt.jsonl'), { limit: 2 }))).toEqual(['How do I boil an egg?', '서울에서 부산까지 KTX로 얼마나 걸리나요?']);
  });

  it('a bad line is an error naming file:line and what is wrong', async () => {
    const path = fixture('bad.jsonl');
    await expect(loadJsonlPrompts(path)).rejects.toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2: not valid JSON \\(`));
    const text = '{"prompt": "ok"}\n{"title": "x"}\n';
    expect(() => parseJsonlPrompts(text, 'data/my.jsonl')).toThrow('data/my.jsonl:2: no prompt found (expected ShareGPT "conversations"');
    expect(() => parseJsonlPrompts('3\n', 'f.jsonl')).toThrow('f.jsonl:1: expected a JSON object, got number');
    expect(() => parseJsonlPrompts('[{"title": 1}]', 'f.json')).toThrow('f.json:element 1: no prompt found');
    expect(() => parseJsonlPrompts('{"conversations": [{"from": "gpt", "value": "hi"}]}', 'f.jsonl')).toThrow('f.jsonl:1: "conversations" has no user turn');
    expect(() => parseJsonlPrompts('{"prompt": ""}', 'f.jsonl')).toThrow('f.jsonl:1: "prompt" is empty or not a string');
    expect(() => parseJsonlPrompts('[{"prompt": "x"}', 'f.json')).toThrow(/f\.json: starts with "\[" but is not a valid JSON array/);
  });

  it('skipInvalid skips bad lines and reports them once, with their count', async () => {
    const reports: string[][] = [];
    const ps = await loadJsonlPrompts(fixture('bad.jsonl'), { skipInvalid: true, onSkipped: (s) => reports.push([...s]) });
    expect(contents(ps)).toEqual(['fine', 'also fine']);
    expect(reports).toHaveLength(1);
    expect(reports[0]!).toHaveLength(4);
    expect(reports[0]!.map((r) => r.replace(/^.*bad\.jsonl:/, ''))).toEqual([
      expect.stringMatching(/^2: not valid JSON/),
      expect.stringMatching(/^3: no prompt found/),
      '4: expected a JSON object, got an array',
      '5: "conversations" has no user turn',
    ]);
  });

  it('a missing or empty file is a clear error', async () => {
    await expect(loadJsonlPrompts('/nope/prompts.jsonl')).rejects.toThrow(/cannot read prompts file \/nope\/prompts\.jsonl/);
    const skipped = parseJsonlPrompts('{"title": 1}\n', 'f.jsonl', { skipInvalid: true });
    expect(skipped).toEqual({ prompts: [], invalid: ['f.jsonl:1: no prompt found (expected ShareGPT "conversations", "messages", "prompt", "instruction", "text", "question", or an oasst tree/message)'] });
  });

  it('extractPrompt tells records that are not prompts from broken ones', () => {
    expect(extractPrompt({ parent_id: 'p', role: 'assistant', text: 'reply' })).toEqual({ skip: 'oasst reply' });
    expect(extractPrompt({ prompt: { role: 'assistant', text: 'x' } })).toEqual({ error: '"prompt" is an object but not an oasst prompter message (role "assistant")' });
    expect(extractPrompt(null)).toEqual({ error: 'expected a JSON object, got null' });
    expect(extractPrompt(3)).toEqual({ error: 'expected a JSON object, got number' });
  });
});
