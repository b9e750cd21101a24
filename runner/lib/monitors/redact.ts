// Secrets never reach logs, data files or the site: values of key-like flags and variables are masked.
const SECRET_FLAG = /(--?(?:api[-_]?key|token|hf[-_]?token|password|secret)[= ])(\S+)/gi;
const SECRET_VAR = /\b([A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD)[A-Z0-9_]*=)(\S+)/g;
const BEARER = /(Bearer\s+)\S+/gi;

export function redact(text: string): string {
  return text.replace(SECRET_FLAG, '$1***').replace(SECRET_VAR, '$1***').replace(BEARER, '$1***');
}
