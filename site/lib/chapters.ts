// The report's chapters, in reading order. Titles live in the MDX frontmatter; this fixes the order and the slugs.
export const CHAPTERS = ['overview', 'single', 'concurrent', 'long-context', 'prefix-cache', 'korean', 'workloads', 'hypotheses', 'appendix'] as const;
export type Chapter = (typeof CHAPTERS)[number];
