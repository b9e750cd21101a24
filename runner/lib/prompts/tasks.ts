// Task sets (chat, summarization, qa, code): the project's own prompts, generated deterministically from hand-written
// subjects × forms (20 × 5 = 100 per task and language), and a loader for users' JSONL exports. The four tasks follow
// the in-house tool's: assistant-style chat, summarization of an article, closed-book general-knowledge questions,
// and function-level code generation.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ChatMessage } from '../client/body.ts';
import { loadCorpus, normalizeCorpus, type Language } from './exact.ts';

export const TASKS = ['chat', 'summarization', 'qa', 'code'] as const;
export type Task = (typeof TASKS)[number];

export interface TaskPrompt {
  id: string;
  task: string;
  messages: ChatMessage[];
}

type Particle = '을/를' | '이/가' | '은/는' | '과/와';

/**
 * A Korean noun with its particle, chosen by whether the last syllable ends in a consonant (받침): 화분을, 배추를.
 * Generated Korean prompts read naturally instead of the "을(를)" of form letters.
 */
export function withParticle(noun: string, particle: Particle): string {
  const [afterConsonant, afterVowel] = particle.split('/') as [string, string];
  const code = noun.charCodeAt(noun.length - 1);
  if (code < 0xac00 || code > 0xd7a3) throw new Error(`cannot choose a particle after "${noun}": it does not end in a Hangul syllable`);
  return noun + ((code - 0xac00) % 28 === 0 ? afterVowel : afterConsonant);
}

const p = withParticle;

/** Everyday subjects for chat: noun phrases that fit every chat form in both languages. */
const CHAT_TOPICS: ReadonlyArray<readonly [en: string, ko: string]> = [
  ['keeping houseplants alive through the winter', '겨울철 실내 식물 관리'],
  ['planning a weekend hike', '주말 등산 계획'],
  ['saving money on groceries', '장보기 비용 줄이기'],
  ['learning a second language as an adult', '성인이 되어 외국어 배우기'],
  ['cooking rice without a rice cooker', '밥솥 없이 밥 짓기'],
  ['choosing a first bicycle', '첫 자전거 고르기'],
  ['sleeping well on hot summer nights', '열대야에 잠 잘 자기'],
  ['organizing a small apartment', '작은 집 정리'],
  ['preparing for a job interview', '면접 준비'],
  ['cutting down on screen time', '스마트폰 사용 시간 줄이기'],
  ['making kimchi at home', '집에서 김치 담그기'],
  ['taking up running', '달리기 시작하기'],
  ['backing up family photos', '가족사진 백업'],
  ['writing a clear email to a colleague', '동료에게 보내는 명확한 이메일 쓰기'],
  ['teaching a child to ride a bike', '아이에게 자전거 타는 법 가르치기'],
  ['caring for an old dog', '나이 든 반려견 돌보기'],
  ['visiting a city on a tight budget', '적은 예산으로 도시 여행하기'],
  ['fixing a dripping tap', '물이 새는 수도꼭지 고치기'],
  ['keeping up a reading habit', '독서 습관 유지'],
  ['hosting dinner for a group of friends', '친구들을 초대한 저녁 식사 준비'],
];

type Form = readonly [en: (x: string) => string, ko: (x: string) => string];

const CHAT_FORMS: readonly Form[] = [
  [(t) => `I'd like some friendly advice on ${t}. Where should I start?`, (t) => `${t}에 대해 조언을 좀 듣고 싶어요. 무엇부터 시작하면 좋을까요?`],
  [(t) => `What mistakes do people most often make when it comes to ${t}?`, (t) => `${t}에서 사람들이 가장 흔히 하는 실수는 무엇인가요?`],
  [(t) => `Could you give me a simple three-step plan for ${t}?`, (t) => `${p(t, '을/를')} 위한 간단한 세 단계 계획을 세워 주세요.`],
  [(t) => `A friend told me that ${t} is harder than it looks. Is that true, and why?`, (t) => `친구가 ${p(t, '이/가')} 보기보다 어렵다고 하던데, 정말 그런가요? 이유도 알려 주세요.`],
  [(t) => `Tell me one thing about ${t} that most people don't know.`, (t) => `${t}에 관해 사람들이 잘 모르는 사실을 하나 알려 주세요.`],
];

/** Summarization instructions; the article is a run of paragraphs from the project's corpus. */
const SUMMARY_FORMS: ReadonlyArray<readonly [en: string, ko: string]> = [
  ['Summarize the following text in two sentences.', '다음 글을 두 문장으로 요약해 주세요.'],
  ['Give a one-line summary of the text below, followed by its three key points.', '아래 글을 한 줄로 요약하고, 핵심 내용 세 가지를 적어 주세요.'],
  ['Condense the following text into a bulleted list of no more than five items.', '다음 글을 다섯 개 이하의 항목으로 간추려 주세요.'],
  ['What is the main idea of the text below? Answer in one paragraph.', '아래 글의 중심 생각은 무엇인가요? 한 문단으로 답해 주세요.'],
  ['Write a headline and a short abstract for the following text.', '다음 글에 어울리는 제목과 짧은 초록을 써 주세요.'],
];

/** Closed-book questions about everyday devices and inventions. */
const QA_SUBJECTS: ReadonlyArray<readonly [en: string, ko: string]> = [
  ['a magnetic compass', '나침반'],
  ['a refrigerator', '냉장고'],
  ['a lighthouse', '등대'],
  ['a thermometer', '온도계'],
  ['a microwave oven', '전자레인지'],
  ['the printing press', '인쇄기'],
  ['the gears on a bicycle', '자전거 변속기'],
  ['a vaccine', '백신'],
  ['a solar panel', '태양광 패널'],
  ['a rechargeable battery', '충전식 배터리'],
  ['a smoke detector', '연기 감지기'],
  ['a GPS receiver', 'GPS 수신기'],
  ['a telescope', '망원경'],
  ['a hydroelectric dam', '수력 발전 댐'],
  ['a water purifier', '정수기'],
  ['an elevator', '엘리베이터'],
  ['a traffic light', '신호등'],
  ['a pressure cooker', '압력솥'],
  ['a heat pump', '히트 펌프'],
  ['a seismograph', '지진계'],
];

const QA_FORMS: readonly Form[] = [
  [(x) => `How does ${x} work? Explain it in simple terms.`, (x) => `${p(x, '은/는')} 어떤 원리로 작동하나요? 쉽게 설명해 주세요.`],
  [(x) => `Why is ${x} considered an important invention?`, (x) => `${p(x, '이/가')} 중요한 발명으로 꼽히는 이유는 무엇인가요?`],
  [(x) => `What are the main parts of ${x}, and what does each one do?`, (x) => `${x}의 주요 구성 요소는 무엇이고, 각각 어떤 역할을 하나요?`],
  [(x) => `What limits how well ${x} works?`, (x) => `${x}의 성능을 제한하는 요인은 무엇인가요?`],
  [(x) => `Roughly when did ${x} come into everyday use, and what did people rely on before it?`, (x) => `${p(x, '은/는')} 대략 언제부터 널리 쓰였고, 그 전에는 사람들이 무엇에 의존했나요?`],
];

/** Function-level coding tasks: a name and what the function does (Korean as a relative clause before 함수). */
const CODE_FUNCTIONS: ReadonlyArray<readonly [name: string, en: string, ko: string]> = [
  ['is_palindrome', 'checks whether a string reads the same backwards and forwards, ignoring case, spaces and punctuation', '대소문자, 공백, 문장 부호를 무시하고 문자열이 앞뒤로 똑같이 읽히는지 확인하는'],
  ['word_frequencies', 'counts how often each word appears in a text and returns the ten most common words', '글에서 각 단어가 몇 번 나오는지 세어 가장 많이 나온 열 단어를 돌려주는'],
  ['merge_intervals', 'merges the overlapping intervals in a list of (start, end) pairs', '(시작, 끝) 쌍의 목록에서 겹치는 구간을 하나로 합치는'],
  ['roman_to_int', "converts a Roman numeral such as 'MCMXCIV' to an integer", "'MCMXCIV' 같은 로마 숫자를 정수로 바꾸는"],
  ['chunk_list', 'splits a list into chunks of a given size, where the last chunk may be shorter', '리스트를 주어진 크기의 묶음으로 나누되, 마지막 묶음은 더 짧아도 되는'],
  ['flatten', 'flattens an arbitrarily nested list of integers into a flat list', '임의로 중첩된 정수 리스트를 한 단계의 리스트로 펼치는'],
  ['brackets_balanced', 'checks whether the brackets (), [] and {} in a string are properly balanced', '문자열 안의 괄호 (), [], {}가 올바르게 짝지어졌는지 확인하는'],
  ['moving_average', 'returns the moving averages of a list of numbers over a window of k values', '숫자 리스트에서 k개씩 묶은 구간의 이동 평균을 돌려주는'],
  ['parse_duration', "parses a duration such as '1h30m15s' into a number of seconds", "'1h30m15s' 같은 기간 문자열을 초 단위 숫자로 바꾸는"],
  ['binary_search', 'finds the index of a value in a sorted list and returns -1 when the value is absent', '정렬된 리스트에서 값의 위치를 찾고, 값이 없으면 -1을 돌려주는'],
  ['rotate_matrix', 'rotates a square matrix by 90 degrees clockwise', '정사각 행렬을 시계 방향으로 90도 회전하는'],
  ['dedupe', 'removes duplicates from a list while keeping the order of first occurrences', '리스트에서 중복을 없애되 처음 나온 순서는 그대로 유지하는'],
  ['caesar_shift', 'shifts every letter of a text by n places in the alphabet and leaves other characters unchanged', '글의 알파벳 글자를 모두 n칸씩 밀고 나머지 문자는 그대로 두는'],
  ['median', 'returns the median of a non-empty list of numbers without modifying the list', '비어 있지 않은 숫자 리스트의 중앙값을 리스트를 바꾸지 않고 구하는'],
  ['group_anagrams', 'groups together the words in a list that are anagrams of each other', '리스트에서 글자 구성이 같은 단어(애너그램)끼리 묶는'],
  ['is_valid_ipv4', 'checks whether a string is a valid IPv4 address', '문자열이 올바른 IPv4 주소인지 확인하는'],
  ['run_length_encode', "compresses a string with run-length encoding, so that 'aaabcc' becomes 'a3b1c2'", "'aaabcc'를 'a3b1c2'로 바꾸는 식으로 문자열을 런 렝스 부호화하는"],
  ['days_between', "returns the number of days between two dates given as 'YYYY-MM-DD' strings", "'YYYY-MM-DD' 형식으로 주어진 두 날짜 사이의 일수를 돌려주는"],
  ['top_k_frequent', 'returns the k most frequent elements of a list', '리스트에서 가장 자주 나오는 원소 k개를 돌려주는'],
  ['snake_to_camel', 'converts a snake_case identifier to camelCase', 'snake_case 식별자를 camelCase로 바꾸는'],
];

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const CODE_FORMS: ReadonlyArray<readonly [en: (name: string, what: string) => string, ko: (name: string, what: string) => string]> = [
  [
    (n, w) => `Write a Python function \`${n}\` that ${w}. Include a docstring.`,
    (n, w) => `${w} 파이썬 함수를 작성해 주세요(함수 이름: \`${n}\`). 독스트링도 넣어 주세요.`,
  ],
  [
    (n, w) => `Write a Python function \`${n}\` that ${w}. Use type hints and add three doctest examples.`,
    (n, w) => `${w} 파이썬 함수를 작성해 주세요(함수 이름: \`${n}\`). 타입 힌트를 쓰고 doctest 예제를 세 개 넣어 주세요.`,
  ],
  [
    (n, w) => `Implement a TypeScript function \`${camel(n)}\` that ${w}.`,
    (n, w) => `${w} TypeScript 함수를 구현해 주세요(함수 이름: \`${camel(n)}\`).`,
  ],
  [
    (n, w) => `Write pytest unit tests, including edge cases, for a Python function \`${n}\` that ${w}.`,
    (n, w) => `${w} 파이썬 함수 \`${n}\`에 대한 pytest 단위 테스트를 경계 조건까지 포함해서 작성해 주세요.`,
  ],
  [
    (n, w) => `Explain step by step how you would write a function \`${n}\` that ${w}, then write it in Python and state its time complexity.`,
    (n, w) => `${w} 함수(\`${n}\`)를 어떻게 작성할지 단계별로 설명한 다음, 파이썬으로 구현하고 시간 복잡도를 밝혀 주세요.`,
  ],
];

/** The `k`-th of `of` articles: three paragraphs in a row, starting points spread evenly over the corpus. */
function article(paragraphs: readonly string[], k: number, of: number): string {
  const first = Math.floor((k * paragraphs.length) / of);
  return [0, 1, 2].map((j) => paragraphs[(first + j) % paragraphs.length]!).join('\n\n');
}

/** The 100 distinct texts of a task: prompt i takes subject i % 20 and form ⌊i / 20⌋. */
function taskText(task: Task, i: number, language: Language, corpus: () => string): string {
  const ko = language === 'ko' ? 1 : 0;
  const subject = i % 20;
  const form = Math.floor(i / 20) % 5;
  switch (task) {
    case 'chat':
      return CHAT_FORMS[form]![ko]!(CHAT_TOPICS[subject]![ko]!);
    case 'qa':
      return QA_FORMS[form]![ko]!(QA_SUBJECTS[subject]![ko]!);
    case 'code': {
      const [name, en, kr] = CODE_FUNCTIONS[subject]!;
      const f = CODE_FORMS[form]!;
      return ko ? f[1](name, kr) : f[0](name, en);
    }
    case 'summarization': {
      const paragraphs = corpus().split('\n\n');
      return `${SUMMARY_FORMS[form]![ko]!}\n\n${article(paragraphs, subject, 20)}`;
    }
  }
}

/** Distinct prompts per task and language. */
export const TASK_SET_SIZE = 100;

/**
 * `count` prompts of a built-in task set (100 by default), one user message each. The set has 100 distinct prompts;
 * a larger count repeats it in order (same ids), as a benchmark that cycles through its prompts would.
 */
export function taskPrompts(task: Task, count: number = TASK_SET_SIZE, opts: { language?: Language; corpus?: string } = {}): TaskPrompt[] {
  if (!(TASKS as readonly string[]).includes(task)) throw new Error(`unknown task "${task}"; one of ${TASKS.join(', ')}`);
  if (!(Number.isInteger(count) && count >= 0)) throw new Error(`prompt count must be a whole number, got ${count}`);
  const language = opts.language ?? 'en';
  let corpus: string | undefined;
  const getCorpus = (): string => (corpus ??= opts.corpus === undefined ? loadCorpus(language) : normalizeCorpus(opts.corpus));
  const texts = new Map<number, string>();
  return Array.from({ length: count }, (_, n) => {
    const i = n % TASK_SET_SIZE;
    let text = texts.get(i);
    if (text === undefined) texts.set(i, (text = taskText(task, i, language, getCorpus)));
    return { id: `${task}-${language}-${i}`, task, messages: [{ role: 'user', content: text }] };
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Users' exports.

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A message's text: a string, or OpenAI-style content parts ([{type: "text", text}]) joined. */
function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v;
  if (Array.isArray(v)) {
    const parts = v.flatMap((part) => (isObj(part) && typeof part.text === 'string' ? [part.text] : []));
    return textOf(parts.join('\n'));
  }
  return null;
}

export type Extracted = { prompt: string } | { skip: string } | { error: string };

const USER_ROLES = new Set(['human', 'user', 'prompter']);
const SHAPES = 'ShareGPT "conversations", "messages", "prompt", "instruction", "text", "question", or an oasst tree/message';

/** The first user turn of one record, in any of the supported shapes; `skip` for records that are not prompts. */
export function extractPrompt(rec: unknown): Extracted {
  if (!isObj(rec)) return { error: `expected a JSON object, got ${Array.isArray(rec) ? 'an array' : typeof rec === 'object' ? 'null' : typeof rec}` };
  const turns = (key: 'conversations' | 'messages', roleKeys: readonly string[], textKeys: readonly string[]): Extracted => {
    const list = rec[key] as unknown[];
    const first = list.find((t) => isObj(t) && roleKeys.some((k) => USER_ROLES.has(String(t[k]))));
    if (!isObj(first)) return { error: `"${key}" has no user turn` };
    const text = textKeys.map((k) => textOf(first[k])).find((t) => t !== null);
    return text === undefined ? { error: `the first user turn in "${key}" has no text` } : { prompt: text };
  };
  // ShareGPT: {"conversations": [{"from": "human", "value": …}, {"from": "gpt", …}]}
  if (Array.isArray(rec.conversations)) return turns('conversations', ['from', 'role'], ['value', 'content', 'text']);
  // Chat format: {"messages": [{"role": "system", …}, {"role": "user", "content": …}]}
  if (Array.isArray(rec.messages)) return turns('messages', ['role', 'from'], ['content', 'value', 'text']);
  // oasst tree export: {"message_tree_id", "prompt": {"text", "role": "prompter", "replies": […]}}
  if (isObj(rec.prompt)) {
    if (rec.prompt.role !== 'prompter') return { error: `"prompt" is an object but not an oasst prompter message (role ${JSON.stringify(rec.prompt.role)})` };
    const text = textOf(rec.prompt.text);
    return text === null ? { error: 'the oasst tree\'s prompt has no "text"' } : { prompt: text };
  }
  // oasst flat message rows: a conversation starts at a prompter message without a parent; replies belong to trees.
  if ('parent_id' in rec && 'role' in rec) {
    if (rec.deleted === true) return { skip: 'deleted oasst message' };
    if (rec.parent_id !== null || rec.role !== 'prompter') return { skip: 'oasst reply' };
    const text = textOf(rec.text);
    return text === null ? { error: 'oasst root message has no "text"' } : { prompt: text };
  }
  if ('prompt' in rec) {
    const text = textOf(rec.prompt);
    return text === null ? { error: '"prompt" is empty or not a string' } : { prompt: text };
  }
  // Alpaca style: {"instruction": …, "input": …}; the input, when there is one, follows the instruction.
  if ('instruction' in rec) {
    const instruction = textOf(rec.instruction);
    if (instruction === null) return { error: '"instruction" is empty or not a string' };
    const input = textOf(rec.input);
    return { prompt: input === null ? instruction : `${instruction}\n\n${input}` };
  }
  for (const key of ['text', 'question'] as const) {
    if (key in rec) {
      const text = textOf(rec[key]);
      return text === null ? { error: `"${key}" is empty or not a string` } : { prompt: text };
    }
  }
  return { error: `no prompt found (expected ${SHAPES})` };
}

export interface JsonlOptions {
  /** At most this many prompts (the first ones in the file). */
  limit?: number;
  /** The task name the prompts are filed under; "custom" by default. */
  task?: string;
  /** Skip lines that are not valid records instead of failing; they are reported to `onSkipped`. */
  skipInvalid?: boolean;
  /** Called once, when invalid lines were skipped, with one "file:line: reason" per line (their count is its length). */
  onSkipped?: (invalid: readonly string[]) => void;
}

/**
 * Prompts from the text of an export, one JSON record a line (a file that is one JSON array, like the ShareGPT
 * dump, is read element by element). An invalid record is an error naming `file:line` and what is wrong, unless
 * `skipInvalid`. Pure: `file` only names the source in ids and messages.
 */
export function parseJsonlPrompts(text: string, file: string, opts: Omit<JsonlOptions, 'onSkipped'> = {}): { prompts: TaskPrompt[]; invalid: string[] } {
  const name = basename(file);
  const records: Array<{ where: number; parse: () => unknown }> = [];
  const body = text.replace(/^\uFEFF/, '');
  if (body.trimStart().startsWith('[')) {
    let all: unknown;
    try {
      all = JSON.parse(body);
    } catch (err) {
      throw new Error(`${file}: starts with "[" but is not a valid JSON array (${(err as Error).message})`);
    }
    (all as unknown[]).forEach((rec, i) => records.push({ where: i + 1, parse: () => rec }));
  } else {
    body.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() !== '') records.push({ where: i + 1, parse: () => JSON.parse(line) as unknown });
    });
  }
  const unit = body.trimStart().startsWith('[') ? 'element ' : '';
  const prompts: TaskPrompt[] = [];
  const invalid: string[] = [];
  for (const r of records) {
    if (opts.limit !== undefined && prompts.length >= opts.limit) break;
    let result: Extracted;
    try {
      result = extractPrompt(r.parse());
    } catch (err) {
      result = { error: `not valid JSON (${(err as Error).message})` };
    }
    if ('skip' in result) continue;
    if ('error' in result) {
      const message = `${file}:${unit}${r.where}: ${result.error}`;
      if (!opts.skipInvalid) throw new Error(message);
      invalid.push(message);
      continue;
    }
    prompts.push({ id: `${name}:${r.where}`, task: opts.task ?? 'custom', messages: [{ role: 'user', content: result.prompt }] });
  }
  return { prompts, invalid };
}

/** Prompts from a user's JSONL export (see parseJsonlPrompts); a file that yields none is an error. */
export async function loadJsonlPrompts(path: string, opts: JsonlOptions = {}): Promise<TaskPrompt[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read prompts file ${path}: ${(err as Error).message}`);
  }
  const { prompts, invalid } = parseJsonlPrompts(text, path, opts);
  if (invalid.length > 0) opts.onSkipped?.(invalid);
  if (prompts.length === 0) {
    throw new Error(`${path}: no prompts found${invalid.length > 0 ? ` (${invalid.length} invalid line${invalid.length === 1 ? '' : 's'} skipped)` : ''}`);
  }
  return prompts;
}
