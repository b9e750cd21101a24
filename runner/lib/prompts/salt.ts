// Per-request salts: a short number at the very start of a prompt so that no request shares a prefix with any earlier
// request of the sweep (calibration, warmups, other points, other trials). Without it a server whose cache outlives a
// point computes only part of a longer prompt that contains a shorter earlier one, and TTFT measures half the prompt
// (docs/metrics.md, "Prompts that share a prefix"). Salts depend on the seed and the request's place in the design,
// never on the framework, so every framework receives the very same bytes.
import { createHash } from 'node:crypto';
import type { CountingTokenizer } from './tokenizers.ts';

/** Digits in a salt: three 3-digit groups for the tiktoken-style tokenizers, so the first token varies by request. */
const DIGITS = 9;
const ATTEMPTS = 256;

export interface Salter {
  /** Tokens every salt of this tokenizer has, so a prompt cut to `n − tokens` is exactly `n` once salted. */
  readonly tokens: number;
  /** The salt for one request; `key` names the request's place in the sweep (scenario, point, trial, index). */
  salt(key: string): string;
}

function candidate(seed: number, key: string, attempt: number): string {
  const h = createHash('sha256').update(`${seed}\0${key}\0${attempt}`).digest();
  const n = h.readBigUInt64BE(0) % 10n ** BigInt(DIGITS);
  // A newline ends the salt: every tokenizer here splits there, so the salt never merges with the prompt's first word.
  return n.toString().padStart(DIGITS, '0') + '\n';
}

/**
 * Salts of one fixed token length under `tokenizer`. Digit runs tokenise to the same length under o200k and llama3;
 * a learnt vocabulary (the reference model's) may merge some digit pairs, so a key whose first candidate has another
 * length takes the next one.
 */
export function makeSalter(tokenizer: CountingTokenizer, seed: number): Salter {
  const counts = new Map<number, number>();
  for (let i = 0; i < 64; i++) {
    const c = tokenizer.count(candidate(seed, `probe-${i}`, 0));
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const tokens = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  const cache = new Map<string, string>();
  return {
    tokens,
    salt(key) {
      let s = cache.get(key);
      if (s !== undefined) return s;
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const c = candidate(seed, key, attempt);
        if (tokenizer.count(c) === tokens) {
          s = c;
          break;
        }
      }
      if (s === undefined) throw new Error(`no ${tokens}-token salt for "${key}" under ${tokenizer.name} in ${ATTEMPTS} tries`);
      cache.set(key, s);
      return s;
    },
  };
}
