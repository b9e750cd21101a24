export { loadCountingTokenizer, TOKENIZER_NAMES, type CountingTokenizer, type TokenizerName } from './tokenizers.ts';
export { exactTokenPrompt, loadCorpus, type Language } from './exact.ts';
export { prefixCachePrompts } from './scenarios.ts';
export { koreanTasks, KOREAN_PAIRS, KOREAN_TASK_NAMES, type KoreanPair, type KoreanTask } from './korean-pairs.ts';
export { loadJsonlPrompts, promptOfRecord, taskPrompts, TASKS, type Task, type TaskPrompt } from './tasks.ts';
