// Shared by the prompt tests: which corpora to cut, and whether the reference model's tokenizer can be loaded.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { corpusPath, type Language } from '../../runner/lib/prompts/index.ts';

/**
 * Stand-ins used only while the project's corpora are missing (they are written separately); once the files exist,
 * the tests cut the real ones.
 */
const STAND_IN: Record<Language, string> = {
  en: [
    'The morning train was late again, so the platform filled with people reading the same notice twice. A child counted the pigeons on the roof and lost track at seventeen.',
    'Good bread needs time more than skill. Dough that rests overnight in a cold room tastes deeper than dough rushed through a warm afternoon, because slow fermentation builds flavor.',
    'A database index is a sorted copy of one column with pointers back to the rows. It makes reads fast and writes slower, which is why adding one is a trade, not a free gift.',
  ].join('\n\n'),
  ko: [
    '아침 기차가 또 늦어서 승강장에는 같은 안내문을 두 번씩 읽는 사람들로 가득했다. 한 아이는 지붕 위의 비둘기를 세다가 열일곱에서 숫자를 놓쳤다.',
    '좋은 빵에는 솜씨보다 시간이 더 필요하다. 서늘한 방에서 하룻밤 쉰 반죽은 따뜻한 오후에 서둘러 만든 반죽보다 맛이 깊은데, 천천히 발효되면서 풍미가 쌓이기 때문이다.',
    '데이터베이스 인덱스는 한 열을 정렬해 둔 사본에 원래 행을 가리키는 표시를 붙인 것이다. 읽기는 빨라지고 쓰기는 느려지므로, 인덱스를 추가하는 일은 공짜가 아니라 거래다.',
  ].join('\n\n'),
};

export const realCorpus = (language: Language): boolean => existsSync(corpusPath(language));

/** undefined (the real corpus) when it exists, else a stand-in passed as `corpus`. */
export const corpusFor = (language: Language): string | undefined => (realCorpus(language) ? undefined : STAND_IN[language]);

export const referenceModelPresent = existsSync(fileURLToPath(new URL('../../runner/lib/reference/model/index.ts', import.meta.url)));

/** A test title that says why it is skipped when the reference model is not there (it.skipIf has no reason field). */
export const needsReference = (title: string): string =>
  referenceModelPresent ? title : `${title} — skipped: runner/lib/reference/model/index.ts does not exist yet`;

export const hangulShare = (s: string): number => (s.match(/[\uAC00-\uD7A3]/g) ?? []).length / Math.max(1, s.replace(/\s/g, '').length);
export const asciiShare = (s: string): number => (s.match(/[\x21-\x7E]/g) ?? []).length / Math.max(1, s.replace(/\s/g, '').length);
