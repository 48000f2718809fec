#!/usr/bin/env -S node --initial-old-space-size=64
// Entry point for the `bayledger` command: runs the compiled CLI (npm run build). The first line
// gives Node the V8 heap flags of src/node/v8-tuning.ts (NODE_HEAP_FLAGS, kept equal by a test),
// which only work on the command line; run as `node bin/bayledger.js`, pass them yourself.
import '../dist/src/polyfill.js';
import { tuneV8 } from '../dist/src/node/v8-tuning.js';

// Before the CLI's modules load, so the whole node runs with it (src/node/v8-tuning.ts says why).
tuneV8();
await import('../dist/cli/main.js');
