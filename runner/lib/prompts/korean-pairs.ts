// The korean scenario's prompt pairs (hypothesis H5): each task in Korean and in English with the same meaning,
// written for this project (original text, not taken or translated from any other source).
//
// Choices, so that the Korean/English comparison measures the language and nothing else:
// - One user message per prompt, no system prompt: the input tokens compared are the prompt's own (plus the same chat
//   template on both sides).
// - short_question: a question with some context, about 128 tokens in Korean (o200k and Llama 3 agree within a few).
// - long_summary: a technical document (a team's backup guideline) of about 512 Korean tokens to summarise.
// - translation: symmetric. The Korean prompt asks for the Korean passage in English (the design's Korean→English
//   task); its English counterpart asks for the same passage, in English, to be put into Korean. Both sides therefore
//   read the passage in their own language and write it in the other one, like every other pair reads its own
//   language; an English prompt that carried the Korean passage would make the "English" input mostly Korean.
// - essay: a request for an essay of about 500 characters. The English side keeps "characters" (not the design
//   table's "500 words", which asks for about five times the text): same meaning, same requested length.
import type { ChatMessage } from '../client/body.ts';
import type { CountingTokenizer } from './tokenizers.ts';

export const KOREAN_TASK_NAMES = ['short_question', 'long_summary', 'translation', 'essay'] as const;
export type KoreanTask = (typeof KOREAN_TASK_NAMES)[number];

export interface KoreanPair {
  task: KoreanTask;
  ko: ChatMessage[];
  en: ChatMessage[];
}

const SHORT_KO = `요즘 집에서 화분 몇 개를 키우기 시작했는데, 겨울이 다가오니 걱정이 됩니다. 베란다는 낮에는 햇빛이 잘 들지만 밤에는 기온이 영하 가까이 떨어지고, 거실은 따뜻하지만 창이 작아서 빛이 부족합니다. 몬스테라와 스투키, 그리고 바질 같은 작은 허브 화분들을 겨울 동안 각각 어디에 두는 것이 좋을까요? 물은 얼마나 자주 줘야 하는지, 잎이 누렇게 변하면 무엇을 먼저 의심해야 하는지도 함께 알려 주세요.`;

const SHORT_EN = `I recently started growing a few potted plants at home, and now that winter is coming I am worried. The balcony gets plenty of sunlight during the day, but at night the temperature drops to near freezing, while the living room is warm but has small windows and not much light. Where should I keep a monstera, a stuckyi and a few small herb pots such as basil during the winter? Please also tell me how often to water them, and what I should suspect first if the leaves turn yellow.`;

const BACKUP_KO = `데이터 백업 운영 지침

백업의 목적은 파일을 복사해 두는 것이 아니라, 문제가 생겼을 때 정해진 시간 안에 서비스를 되살리는 것이다. 그래서 백업 계획은 두 가지 숫자에서 출발한다. 하나는 잃어도 되는 데이터의 최대 분량을 시간으로 나타낸 복구 시점 목표이고, 다른 하나는 장애가 난 뒤 서비스를 다시 열기까지 허용되는 복구 시간 목표이다. 예를 들어 주문 데이터베이스의 복구 시점 목표가 15분이라면, 적어도 15분마다 변경 사항을 안전한 곳에 남겨야 한다.

우리 팀은 3-2-1 원칙을 기본으로 삼는다. 같은 데이터를 세 벌 이상 두고, 그중 두 벌은 서로 다른 종류의 저장 매체에 보관하며, 한 벌은 반드시 다른 지역에 둔다. 매일 밤 전체 백업을 하는 대신 일요일에만 전체 백업을 하고, 나머지 요일에는 바뀐 부분만 저장하는 증분 백업을 한다. 이렇게 하면 저장 공간과 네트워크 사용량이 크게 줄지만, 복구할 때는 전체 백업 위에 증분 백업을 순서대로 적용해야 하므로 시간이 더 걸린다.

모든 백업 파일은 저장하기 전에 암호화하고, 암호화 키는 백업과 다른 계정에서 관리한다. 랜섬웨어가 운영 서버를 장악하더라도 백업까지 지우거나 암호화하지 못하게 하려면, 일정 기간 수정과 삭제가 불가능한 저장소를 쓰는 것이 좋다. 백업 작업의 실패 알림은 담당자 한 명이 아니라 팀 전체가 받도록 설정한다.

가장 자주 빠뜨리는 단계는 복구 훈련이다. 백업 작업이 매일 성공으로 끝나더라도, 실제로 복구가 되는지는 직접 해 보기 전까지 알 수 없다. 분기마다 한 번은 임의의 날짜를 골라 별도의 환경에 데이터를 되살리고, 걸린 시간과 발견된 문제를 기록한다. 훈련에서 잰 복구 시간이 목표를 넘는다면 백업 방식과 목표 가운데 하나를 조정해야 한다. 복구 절차서는 훈련이 끝날 때마다 실제로 따라 한 순서대로 고쳐 둔다.`;

const BACKUP_EN = `Data backup operating guidelines

The purpose of a backup is not to keep copies of files but to bring a service back within a set time when something goes wrong. So a backup plan starts from two numbers. One is the recovery point objective, the largest amount of data that may be lost, expressed as time; the other is the recovery time objective, the time allowed between a failure and reopening the service. For example, if the recovery point objective of the order database is 15 minutes, its changes must be stored somewhere safe at least every 15 minutes.

Our team takes the 3-2-1 rule as its baseline. We keep at least three copies of the same data, store two of them on different kinds of storage media, and always keep one in another region. Instead of a full backup every night, we take a full backup only on Sundays, and on the other days an incremental backup that stores only what has changed. This greatly reduces storage space and network use, but restoring takes longer, because the incremental backups have to be applied in order on top of the full backup.

Every backup file is encrypted before it is stored, and the encryption keys are managed in an account separate from the backups. To keep ransomware that takes over a production server from also deleting or encrypting the backups, it is best to use storage where nothing can be modified or deleted for a set period. Failure alerts for backup jobs are set up to reach the whole team, not a single person in charge.

The step most often skipped is the restore drill. Even if the backup job ends in success every day, you cannot know whether a restore actually works until you try one. Once a quarter, we pick a random date, bring its data back in a separate environment, and record how long it took and what problems we found. If the restore time measured in the drill exceeds the objective, either the backup method or the objective has to be adjusted. After every drill, the restore runbook is corrected to match the steps that were actually followed.`;

const BAKERY_KO = `우리 동네에는 삼십 년 넘게 같은 자리를 지켜 온 작은 빵집이 있다. 주인 부부는 매일 새벽 네 시에 가게 불을 켜고, 첫 손님이 오는 일곱 시 전까지 식빵과 단팥빵을 구워 낸다. 몇 해 전 길 건너편에 큰 프랜차이즈 매장이 들어섰을 때, 사람들은 이 가게도 곧 문을 닫을 거라고 수군거렸다. 하지만 빵집은 오히려 메뉴를 줄이고, 그날 구운 빵은 그날 다 파는 방식으로 버텼다. 저녁 여섯 시가 넘으면 남은 빵을 반값에 팔고, 그래도 남으면 근처 지역아동센터에 가져다준다. 요즘은 그 빵을 먹고 자란 아이들이 어른이 되어 자기 아이의 손을 잡고 가게를 찾는다. 주인 할아버지는 비결을 묻는 사람들에게 늘 같은 대답을 한다. 좋은 밀가루를 쓰고, 서두르지 않고, 손님의 얼굴을 기억하는 것뿐이라고.`;

const BAKERY_EN = `In our neighborhood there is a small bakery that has stayed in the same spot for more than thirty years. Every day the couple who own it switch on the lights at four in the morning and bake loaves of white bread and red bean buns before the first customers arrive at seven. When a large franchise store opened across the street a few years ago, people whispered that this shop would soon close too. But the bakery held on by cutting down its menu instead and selling all of each day's bread on the same day. After six in the evening it sells the leftover bread at half price, and whatever still remains goes to a community children's center nearby. These days, children who grew up eating that bread have become adults and come to the shop holding their own children's hands. The old owner always gives the same answer to people who ask for his secret: he only uses good flour, never hurries, and remembers his customers' faces.`;

const ESSAY_KO = `'도시에 나무를 심는 일'을 주제로 500자 내외의 짧은 에세이를 써 주세요. 직접 겪은 일을 하나 넣고, 마지막 문단에서는 독자가 일상에서 해 볼 수 있는 작은 실천을 하나 제안해 주세요.`;

const ESSAY_EN = `Write a short essay of about 500 characters on the theme of 'planting trees in the city'. Include one thing you experienced yourself, and in the last paragraph suggest one small action readers can try in their daily lives.`;

const user = (content: string): ChatMessage[] => [{ role: 'user', content }];

export const KOREAN_PAIRS: readonly KoreanPair[] = [
  { task: 'short_question', ko: user(SHORT_KO), en: user(SHORT_EN) },
  {
    task: 'long_summary',
    ko: user(`다음은 한 개발팀의 기술 문서입니다. 핵심 내용을 세 문장으로 요약해 주세요.\n\n${BACKUP_KO}`),
    en: user(`The following is a technical document from a development team. Summarize its main points in three sentences.\n\n${BACKUP_EN}`),
  },
  {
    task: 'translation',
    ko: user(`다음 한국어 글을 자연스러운 영어로 번역해 주세요.\n\n${BAKERY_KO}`),
    en: user(`Translate the following English text into natural Korean.\n\n${BAKERY_EN}`),
  },
  { task: 'essay', ko: user(ESSAY_KO), en: user(ESSAY_EN) },
];

/** The four pairs, in the design's order. */
export function koreanTasks(): readonly KoreanPair[] {
  return KOREAN_PAIRS;
}

export interface KoreanPairStats {
  task: KoreanTask;
  ko: { tokens: number; chars: number };
  en: { tokens: number; chars: number };
  /** Korean input tokens per English input token for the same meaning (H5's input ratio). */
  ratio: number;
}

const side = (messages: readonly ChatMessage[], tok: CountingTokenizer) => ({
  tokens: messages.reduce((a, m) => a + tok.count(m.content), 0),
  chars: messages.reduce((a, m) => a + [...m.content].length, 0),
});

/** Input tokens and characters of each pair under a tokenizer, and the KO/EN token ratio. */
export function koreanPairStats(tok: CountingTokenizer, pairs: readonly KoreanPair[] = KOREAN_PAIRS): KoreanPairStats[] {
  return pairs.map((p) => {
    const ko = side(p.ko, tok);
    const en = side(p.en, tok);
    return { task: p.task, ko, en, ratio: ko.tokens / en.tokens };
  });
}
