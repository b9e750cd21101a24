// Prompt material for every scenario: exact-length filler, the prefix-cache set, the Korean/English pairs, the task
// sets and users' JSONL exports.
export { countingTokenizer, isTokenizerName, loadCountingTokenizer, makeO200kDecode, memoizedEncode, TOKENIZER_NAMES, type CountingTokenizer, type TokenizerName } from './tokenizers.ts';
export { corpusPath, exactTokenPrompt, LANGUAGES, loadCorpus, normalizeCorpus, sentenceStarts, wordStarts, type ExactPromptOptions, type Language } from './exact.ts';
export { prefixCachePrompts, singlePrompt, type ScenarioPrompt } from './scenarios.ts';
export { KOREAN_PAIRS, KOREAN_TASK_NAMES, koreanPairStats, koreanTasks, type KoreanPair, type KoreanPairStats, type KoreanTask } from './korean-pairs.ts';
export {
  extractPrompt, loadJsonlPrompts, parseJsonlPrompts, TASK_SET_SIZE, taskPrompts, TASKS, withParticle,
  type Extracted, type JsonlOptions, type Task, type TaskPrompt,
} from './tasks.ts';
