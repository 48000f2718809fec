#!/usr/bin/env node
// Entry point for the `bayledger` command: runs the compiled CLI (npm run build).
import '../dist/src/polyfill.js';

await import('../dist/cli/main.js');
