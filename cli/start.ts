// What the `bayledger` command runs (bin/bayledger.js loads its bundle, dist/bundle/start.js): the
// polyfill libp2p needs on Node 20, the V8 tuning of src/node/v8-tuning.ts before the CLI's
// modules load (so the whole node runs with it), then the CLI. With BAYLEDGER_DEBUG=1 the stack
// traces it prints point into the sources (the bundle's source maps; cli/build/bundle.ts).
import '../src/polyfill.js';
import { tuneV8 } from '../src/node/v8-tuning.js';

tuneV8();
if (process.env.BAYLEDGER_DEBUG) process.setSourceMapsEnabled(true);
await import('./main.js');
