#!/usr/bin/env zx
// zx runner/reference-server.mjs --help — the built-in reference server on its own (the sweep starts it too).
import { referenceServerMain } from './lib/reference/server/cli.ts';

process.exitCode = await referenceServerMain(argv);
