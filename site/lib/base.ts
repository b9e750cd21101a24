// The sub-path the report is published under (SERVEBENCH_BASE), always ending in "/"; read at build time.
export const BASE = (process.env.SERVEBENCH_BASE ?? '/').replace(/\/?$/, '/');
