#!/usr/bin/env zx
// zx runner/sweep.mjs --help — every scenario against every framework, results to Parquet. The engine does the work.
import { main } from './lib/sweep/main.ts';

process.exitCode = await main(argv);
