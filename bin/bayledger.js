#!/usr/bin/env node
// Entry point for the `bayledger` command: runs the compiled CLI (npm run build).
import '../dist/src/polyfill.js';
import { tuneV8 } from '../dist/src/node/v8-tuning.js';

// Before the CLI's modules load, so the whole node runs with it (src/node/v8-tuning.ts says why).
tuneV8();
await import('../dist/cli/main.js');
