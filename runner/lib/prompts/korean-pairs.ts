// The korean scenario's prompt pairs: each task in Korean and in English with the same meaning, written for this
// project. The translation pair is symmetric rather than identical: Korean→English in Korean, English→Korean in English,
// so both sides ask the model to translate the same passage into the other language.
import type { ChatMessage } from '../client/body.ts';

export const KOREAN_TASK_NAMES = ['short_question', 'long_summary', 'translation', 'essay'] as const;
export type KoreanTask = (typeof KOREAN_TASK_NAMES)[number];

export interface KoreanPair {
  task: KoreanTask;
  ko: ChatMessage[];
  en: ChatMessage[];
}

const PASSAGE_KO = `우리 동네 도서관은 지난봄에 리모델링을 마치고 다시 문을 열었다. 예전에는 어두운 복도와 삐걱거리는 의자 때문에 학생들만 시험 기간에 잠깐 들르던 곳이었는데, 이제는 평일 오후에도 빈자리를 찾기 어렵다. 가장 큰 변화는 일 층 전체를 칸막이 없는 열람실로 바꾼 것이다. 창문을 넓혀 햇빛이 깊숙이 들어오고, 책장 사이사이에 낮은 소파를 두어 아이를 데려온 부모들도 편하게 머물 수 있게 했다. 이 층에는 소리를 내도 되는 공간과 조용히 해야 하는 공간을 유리벽으로 나누어, 토론하는 학생들과 혼자 책을 읽는 사람들이 서로 방해하지 않도록 했다.

사서들의 역할도 달라졌다. 책을 빌려주고 돌려받는 일은 대부분 무인 기계가 맡게 되었고, 사서들은 그 시간에 주민들을 위한 프로그램을 꾸린다. 매주 화요일 저녁에는 어르신들에게 스마트폰으로 병원 예약하는 법을 알려 주고, 토요일 오전에는 초등학생들과 함께 그림책을 읽고 짧은 이야기를 지어 본다. 처음에는 참가자가 다섯 명도 안 되었지만, 입소문이 나면서 지금은 미리 신청하지 않으면 자리를 얻기 힘들다.

물론 불만이 없는 것은 아니다. 주차 공간이 부족해서 주말에는 근처 골목까지 차가 늘어서고, 열람실이 밝고 개방적으로 바뀐 탓에 예전처럼 조용한 분위기를 원하는 사람들은 아쉬움을 이야기한다. 도서관 측은 내년 예산에 주차장 확충을 요청했고, 오전 시간에는 일부 구역을 완전한 정숙 구역으로 운영해 보겠다고 밝혔다. 도서관이 책을 보관하는 창고에서 사람들이 모이는 마당으로 바뀌는 과정에는 이런 조율이 계속 필요할 것이다.`;

const PASSAGE_EN = `The library in our neighborhood reopened last spring after a renovation. It used to be a place that only students visited briefly during exam season, because of its dark hallways and creaking chairs, but now it is hard to find an empty seat even on a weekday afternoon. The biggest change is that the entire first floor was turned into an open reading room without partitions. The windows were widened so that sunlight reaches deep inside, and low sofas were placed between the bookshelves so that parents who bring their children can stay comfortably. On the second floor, glass walls separate the spaces where noise is allowed from those where quiet is required, so that students in discussion and people reading alone do not disturb each other.

The librarians' role has changed as well. Lending and returning books is now mostly handled by self-service machines, and the librarians use that time to organize programs for residents. Every Tuesday evening they teach older people how to book hospital appointments on their smartphones, and on Saturday mornings they read picture books with elementary school children and make up short stories together. At first fewer than five people took part, but as word spread, it is now hard to get a place without signing up in advance.

Of course, there are complaints. Parking is scarce, so on weekends cars line up into the nearby alleys, and because the reading room has become bright and open, people who want the quiet atmosphere of the past express their disappointment. The library has requested a parking expansion in next year's budget and has said it will try running some areas as completely silent zones in the morning. As a library changes from a warehouse that stores books into a courtyard where people gather, this kind of adjustment will keep being necessary.`;

const SYSTEM_KO = '당신은 정확하고 친절한 한국어 도우미입니다.';
const SYSTEM_EN = 'You are an accurate and friendly assistant.';

const conversation = (system: string, user: string): ChatMessage[] => [
  { role: 'system', content: system },
  { role: 'user', content: user },
];

export const KOREAN_PAIRS: readonly KoreanPair[] = [
  {
    task: 'short_question',
    ko: conversation(
      SYSTEM_KO,
      '요즘 집에서 화분을 몇 개 키우기 시작했는데, 겨울이 다가오니 걱정이 됩니다. 베란다는 낮에는 햇빛이 잘 들지만 밤에는 기온이 꽤 내려가고, 거실은 따뜻하지만 빛이 부족합니다. 몬스테라와 스투키, 그리고 작은 허브 화분들을 겨울 동안 어디에 두는 것이 좋을까요? 물은 얼마나 자주 줘야 하는지도 함께 알려 주세요.',
    ),
    en: conversation(
      SYSTEM_EN,
      'I recently started growing a few potted plants at home, and I am worried now that winter is coming. The balcony gets plenty of sunlight during the day, but the temperature drops quite a bit at night, while the living room is warm but lacks light. Where should I keep a monstera, a stuckyi and a few small herb pots during the winter? Please also tell me how often I should water them.',
    ),
  },
  {
    task: 'long_summary',
    ko: conversation(SYSTEM_KO, `다음 글을 세 문장으로 요약해 주세요.\n\n${PASSAGE_KO}`),
    en: conversation(SYSTEM_EN, `Summarize the following text in three sentences.\n\n${PASSAGE_EN}`),
  },
  {
    task: 'translation',
    ko: conversation(SYSTEM_KO, `다음 한국어 글을 자연스러운 영어로 번역해 주세요.\n\n${PASSAGE_KO}`),
    en: conversation(SYSTEM_EN, `Translate the following English text into natural Korean.\n\n${PASSAGE_EN}`),
  },
  {
    task: 'essay',
    ko: conversation(
      SYSTEM_KO,
      '"도시에 나무를 심는 일"을 주제로 500자 내외의 짧은 에세이를 써 주세요. 개인적인 경험을 하나 넣고, 마지막 문단에서는 독자에게 작은 실천을 제안해 주세요.',
    ),
    en: conversation(
      SYSTEM_EN,
      'Write a short essay of about 500 characters on the theme "planting trees in the city". Include one personal experience, and in the last paragraph suggest a small action the reader can take.',
    ),
  },
];

export function koreanTasks(): readonly KoreanPair[] {
  return KOREAN_PAIRS;
}
