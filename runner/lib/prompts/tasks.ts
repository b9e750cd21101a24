// Task sets (chat, summarization, qa, code): the project's own prompts, generated deterministically from hand-written
// topics and forms, and loaders for users' JSONL exports (ShareGPT, {"prompt": …} lines, oasst trees).
import { readFile } from 'node:fs/promises';
import type { ChatMessage } from '../client/body.ts';
import { loadCorpus, type Language } from './exact.ts';

export const TASKS = ['chat', 'summarization', 'qa', 'code'] as const;
export type Task = (typeof TASKS)[number];

export interface TaskPrompt {
  id: string;
  task: string;
  messages: ChatMessage[];
}

const TOPICS: Array<[string, string]> = [
  ['keeping houseplants alive through winter', '겨울철 실내 식물 관리'],
  ['planning a weekend hike', '주말 등산 계획'],
  ['saving money on groceries', '장보기 비용 줄이기'],
  ['learning a second language as an adult', '성인이 되어 외국어 배우기'],
  ['cooking rice without a rice cooker', '밥솥 없이 밥 짓기'],
  ['choosing a first bicycle', '첫 자전거 고르기'],
  ['sleeping better during hot nights', '열대야에 잠 잘 자기'],
  ['organizing a small apartment', '작은 집 정리하기'],
  ['preparing for a job interview', '면접 준비하기'],
  ['reducing screen time', '스마트폰 사용 시간 줄이기'],
  ['making kimchi at home', '집에서 김치 담그기'],
  ['starting to run regularly', '달리기를 꾸준히 시작하기'],
  ['backing up family photos', '가족 사진 백업하기'],
  ['writing a clear email to a colleague', '동료에게 명확한 이메일 쓰기'],
  ['teaching a child to ride a bike', '아이에게 자전거 가르치기'],
  ['caring for an old dog', '나이 든 반려견 돌보기'],
  ['visiting a city on a tight budget', '적은 예산으로 도시 여행하기'],
  ['fixing a dripping tap', '물이 새는 수도꼭지 고치기'],
  ['keeping a reading habit', '독서 습관 유지하기'],
  ['hosting a dinner for friends', '친구들을 위한 저녁 모임 준비'],
];

const FORMS: Record<Task, Array<[(t: string) => string, (t: string) => string]>> = {
  chat: [
    [(t) => `I would like some friendly advice about ${t}. Where should I start?`, (t) => `${t}에 대해 조언을 듣고 싶어요. 무엇부터 시작하면 좋을까요?`],
    [(t) => `What are the most common mistakes people make with ${t}?`, (t) => `${t}에서 사람들이 가장 흔히 하는 실수는 무엇인가요?`],
    [(t) => `Can you give me a simple three-step plan for ${t}?`, (t) => `${t}을(를) 위한 간단한 세 단계 계획을 알려 주세요.`],
    [(t) => `My friend says ${t} is harder than it looks. Is that true?`, (t) => `친구가 ${t}이(가) 보기보다 어렵다고 하는데, 정말 그런가요?`],
    [(t) => `Tell me something surprising about ${t}.`, (t) => `${t}에 관해 의외의 사실을 하나 알려 주세요.`],
  ],
  summarization: [
    [(t) => `Summarize the following notes about ${t} in two sentences.`, (t) => `${t}에 관한 다음 메모를 두 문장으로 요약해 주세요.`],
    [(t) => `Give a one-line summary of this text, then three key points (topic: ${t}).`, (t) => `다음 글을 한 줄로 요약하고 핵심 세 가지를 적어 주세요 (주제: ${t}).`],
    [(t) => `Shorten this passage to about fifty words for a newsletter on ${t}.`, (t) => `${t}에 관한 소식지에 싣도록 다음 글을 50단어 정도로 줄여 주세요.`],
    [(t) => `What is the main argument of the text below? It is part of a guide to ${t}.`, (t) => `아래 글의 핵심 주장은 무엇인가요? ${t} 안내서의 일부입니다.`],
    [(t) => `Write a headline and a short abstract for this text about ${t}.`, (t) => `${t}에 관한 이 글의 제목과 짧은 초록을 써 주세요.`],
  ],
  qa: [
    [(t) => `Based on the text below, what does the author recommend regarding ${t}?`, (t) => `아래 글에 따르면 글쓴이는 ${t}에 대해 무엇을 권하나요?`],
    [(t) => `Read the passage and answer: which detail matters most for ${t}?`, (t) => `글을 읽고 답해 주세요: ${t}에서 가장 중요한 세부 사항은 무엇인가요?`],
    [(t) => `According to the passage, why might someone struggle with ${t}?`, (t) => `글에 따르면 ${t}을(를) 어려워하는 이유는 무엇일까요?`],
    [(t) => `Does the passage support the claim that ${t} takes little time? Explain.`, (t) => `이 글은 ${t}에 시간이 적게 든다는 주장을 뒷받침하나요? 설명해 주세요.`],
    [(t) => `List two facts from the text that relate to ${t}.`, (t) => `글에서 ${t}과(와) 관련된 사실 두 가지를 적어 주세요.`],
  ],
  code: [
    [(t) => `Write a Python function that keeps a checklist for ${t} and prints unfinished items.`, (t) => `${t}을(를) 위한 체크리스트를 관리하고 끝나지 않은 항목을 출력하는 파이썬 함수를 작성해 주세요.`],
    [(t) => `Write a TypeScript type and a function that schedule reminders for ${t}.`, (t) => `${t} 알림을 예약하는 TypeScript 타입과 함수를 작성해 주세요.`],
    [(t) => `Write a SQL table and a query that track weekly progress on ${t}.`, (t) => `${t}의 주간 진행 상황을 기록하는 SQL 테이블과 조회 쿼리를 작성해 주세요.`],
    [(t) => `Write a shell script that creates a folder structure for notes on ${t}.`, (t) => `${t} 메모를 위한 폴더 구조를 만드는 셸 스크립트를 작성해 주세요.`],
    [(t) => `Explain and fix the bug: a loop meant to sum the costs of ${t} starts at index 1.`, (t) => `${t} 비용을 합산하는 반복문이 인덱스 1부터 시작하는 버그를 설명하고 고쳐 주세요.`],
  ],
};

/** `count` distinct prompts of a task; beyond the 100 combinations they repeat with a numbered suffix. */
export function taskPrompts(task: Task, count: number, opts: { language?: Language } = {}): TaskPrompt[] {
  if (!(TASKS as readonly string[]).includes(task)) throw new Error(`unknown task "${task}"; one of ${TASKS.join(', ')}`);
  const language = opts.language ?? 'en';
  const corpus = loadCorpus(language);
  const forms = FORMS[task];
  return Array.from({ length: count }, (_, i) => {
    const topic = TOPICS[i % TOPICS.length]!;
    const form = forms[Math.floor(i / TOPICS.length) % forms.length]!;
    const round = Math.floor(i / (TOPICS.length * forms.length));
    let text = language === 'ko' ? form[1](topic[1]) : form[0](topic[0]);
    if (task === 'summarization' || task === 'qa') {
      // A passage to work on: a slice of the project's own corpus, different for every prompt.
      const from = (i * 1543) % Math.max(1, corpus.length - 900);
      text += '\n\n' + corpus.slice(from, from + 900);
    }
    if (round > 0) text += ` (${round + 1})`;
    return { id: `${task}-${language}-${i}`, task, messages: [{ role: 'user', content: text }] };
  });
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** The first user turn of one JSONL record in any of the supported shapes, or null when none is recognisable. */
export function promptOfRecord(rec: unknown): string | null {
  if (!isObj(rec)) return null;
  // ShareGPT: {"conversations":[{"from":"human","value":…}, …]}
  if (Array.isArray(rec.conversations)) {
    for (const turn of rec.conversations) if (isObj(turn) && ['human', 'user'].includes(String(turn.from ?? turn.role))) return str(turn.value ?? turn.content);
    return null;
  }
  // OpenAI-style: {"messages":[{"role":"user","content":…}]}
  if (Array.isArray(rec.messages)) {
    for (const m of rec.messages) if (isObj(m) && m.role === 'user') return str(m.content);
    return null;
  }
  // oasst tree: {"message_tree_id", "prompt": {"text", "role": "prompter", "replies": […]}}
  if (isObj(rec.prompt) && rec.prompt.role === 'prompter') return str(rec.prompt.text);
  // oasst flat message rows: only roots (prompter turns with no parent) start a conversation.
  if ('parent_id' in rec && 'role' in rec) return rec.role === 'prompter' && rec.parent_id === null ? str(rec.text) : null;
  if (str(rec.prompt) !== null) return str(rec.prompt);
  if (str(rec.instruction) !== null) return [str(rec.instruction), str(rec.input)].filter(Boolean).join('\n\n');
  return str(rec.text);
}

/** Prompts from a JSONL export; a line that is not JSON or has no prompt is an error naming file:line. */
export async function loadJsonlPrompts(path: string, opts: { limit?: number; task?: string; skipInvalid?: boolean } = {}): Promise<TaskPrompt[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read prompts file ${path}: ${(err as Error).message}`);
  }
  const out: TaskPrompt[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (opts.limit !== undefined && out.length >= opts.limit) break;
    const line = lines[i]!.trim();
    if (line === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      if (opts.skipInvalid) continue;
      throw new Error(`${path}:${i + 1}: not valid JSON`);
    }
    const prompt = promptOfRecord(rec);
    if (prompt === null) {
      // Non-root oasst rows are part of a tree, not a malformed line.
      if (opts.skipInvalid || (isObj(rec) && rec.role !== undefined && 'parent_id' in rec)) continue;
      throw new Error(`${path}:${i + 1}: no prompt found (expected ShareGPT conversations, messages, {"prompt"}, {"instruction"}, {"text"} or an oasst tree)`);
    }
    out.push({ id: `jsonl-${i + 1}`, task: opts.task ?? 'custom', messages: [{ role: 'user', content: prompt }] });
  }
  return out;
}
