#!/usr/bin/env zx
// zx runner/sql.mjs "SELECT …" — ad-hoc SQL over the results (no query: an interactive prompt).
import { sqlMain } from './lib/sql/repl.ts';

process.exitCode = await sqlMain(argv);
