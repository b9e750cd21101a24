export * from './percentile.ts';
export * from './request.ts';
export * from './run.ts';
export * from './trials.ts';
export * from './compare.ts';
export * from './language.ts';
export * from './gpu.ts';
