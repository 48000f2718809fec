#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.hugetlb=1:${GLIBC_TUNABLES} node --initial-old-space-size=64
// Entry point for the `bayledger` command: runs the bundled CLI (npm run build writes it;
// cli/start.ts is its entry, cli/build/bundle.ts says how it is made). The first line gives Node
// the V8 heap flags of src/node/v8-tuning.ts (NODE_HEAP_FLAGS, kept equal by a test), which only
// work on the command line, and glibc's malloc the huge-page tunable of src/node/malloc-tuning.ts,
// which only works from the start (a GLIBC_TUNABLES of the caller's comes after it, so a choice of
// its own wins); run as `node bin/bayledger.js`, pass them yourself.
await import('../dist/bundle/start.js');
