// Korean vs English (H5): token efficiency and information rate of parallel prompts.
import type { RequestRecord } from '../client/record.ts';

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
