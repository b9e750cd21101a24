// Korean vs English (H5): token efficiency and information rate of parallel prompts.
import type { RequestRecord } from '../client/record.ts';
import { percentile } from './percentile.ts';

export interface LanguageRates {
  input_chars: number;
  output_chars: number;
  input_tokens: number | null;
  output_tokens: number | null;
  /** Output tokens per character: how many tokens the tokenizer spends on each character of the answer. */
  tokens_per_char_out: number | null;
  /** Characters of output per second of generation (first to last token): the information rate. */
  chars_per_s: number | null;
  tokens_per_s: number | null;
}

const charCount = (s: string): number => [...s].length;

export function languageRates(r: RequestRecord, promptText: string): LanguageRates {
  const outChars = charCount(r.output_text) + charCount(r.reasoning_text);
  const gen = r.t_first_token !== null && r.t_last_token !== null ? (r.t_last_token - r.t_first_token) / 1000 : null;
  const out = r.output_tokens;
  return {
    input_chars: charCount(promptText),
    output_chars: outChars,
    input_tokens: r.input_tokens,
    output_tokens: out,
    tokens_per_char_out: out !== null && outChars > 0 ? out / outChars : null,
    chars_per_s: gen !== null && gen > 0 ? outChars / gen : null,
    tokens_per_s: gen !== null && gen > 0 && out !== null && out > 1 ? (out - 1) / gen : null,
  };
}

export interface LanguageComparison {
  pairs: number;
  input_token_ratio_ko_en: number | null;
  tokens_per_char_out: { ko: number | null; en: number | null };
  chars_per_s: { ko: number | null; en: number | null };
  tokens_per_s: { ko: number | null; en: number | null };
}

const med = (xs: Array<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length > 0 ? percentile(v, 50) : null;
};

export function compareLanguages(pairs: ReadonlyArray<{ ko: LanguageRates; en: LanguageRates }>): LanguageComparison {
  const ratios = pairs.map((p) => (p.ko.input_tokens !== null && p.en.input_tokens ? p.ko.input_tokens / p.en.input_tokens : null));
  return {
    pairs: pairs.length,
    input_token_ratio_ko_en: med(ratios),
    tokens_per_char_out: { ko: med(pairs.map((p) => p.ko.tokens_per_char_out)), en: med(pairs.map((p) => p.en.tokens_per_char_out)) },
    chars_per_s: { ko: med(pairs.map((p) => p.ko.chars_per_s)), en: med(pairs.map((p) => p.en.chars_per_s)) },
    tokens_per_s: { ko: med(pairs.map((p) => p.ko.tokens_per_s)), en: med(pairs.map((p) => p.en.tokens_per_s)) },
  };
}
