// Secrets never reach logs, data files or the site: values of key-like flags and variables are masked.
const SECRET_FLAG = /(--?(?:api[-_]?key|token|hf[-_]?token|password|secret)[= ])(\S+)/gi;
const SECRET_VAR = /\b([A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD)[A-Z0-9_]*=)(\S+)/g;
const BEARER = /(Bearer\s+)\S+/gi;

export function redact(text: string): string {
  return text.replace(SECRET_FLAG, '$1***').replace(SECRET_VAR, '$1***').replace(BEARER, '$1***');
}

const SECRET_FLAG_NAME = /^--?(?:api[-_]?key|token|hf[-_]?token|password|secret)$/i;
const SECRET_VAR_NAME = /(?:KEY|TOKEN|SECRET|PASSWORD)/;

/**
 * The literal secret values a launch carries (values of secret flags, `--flag=value` or `--flag value`, and of
 * secret-named environment variables), so that a server echoing its own arguments in another shape — vLLM logs its
 * non-default args as a Python dict — still has them masked in its log.
 */
export function secretValues(args: readonly string[], env: Record<string, string | undefined> = {}): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    const eq = a.indexOf('=');
    if (eq > 0 && SECRET_FLAG_NAME.test(a.slice(0, eq))) out.push(a.slice(eq + 1));
    else if (SECRET_FLAG_NAME.test(a) && args[i + 1] !== undefined) out.push(args[i + 1]!);
  });
  for (const [k, v] of Object.entries(env)) if (SECRET_VAR_NAME.test(k) && v !== undefined) out.push(v);
  // Very short values would mask ordinary text everywhere; they are not credentials anyway.
  return [...new Set(out.filter((v) => v.length >= 6))];
}

/** Masks the known secret values, then the patterns. */
export function redactValues(text: string, secrets: readonly string[]): string {
  let t = text;
  for (const s of secrets) t = t.split(s).join('***');
  return redact(t);
}
