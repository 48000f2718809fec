#!/usr/bin/env -S node --initial-old-space-size=64
// Entry point for the `bayledger` command: runs the bundled CLI (npm run build writes it;
// cli/start.ts is its entry, cli/build/bundle.ts says how it is made). The first line gives Node
// the V8 heap flags of src/node/v8-tuning.ts (NODE_HEAP_FLAGS, kept equal by a test), which only
// work on the command line; run as `node bin/bayledger.js`, pass them yourself.
await import('../dist/bundle/start.js');
