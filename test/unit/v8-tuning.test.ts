// The entry point's V8 setting (src/node/v8-tuning.ts) yields to one given on the command line, so
// an operator's own `node --interrupt-budget=N bin/bayledger.js` is never overridden; the heap
// flags V8 takes only on the command line reach every node a command or test starts.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import {
  interruptBudgetFlag,
  missingNodeHeapFlags,
  NODE_HEAP_FLAGS,
  V8_INTERRUPT_BUDGET,
  withNodeHeapFlags,
} from '../../src/node/v8-tuning.js';

describe('V8 tuning of node processes', () => {
  it('sets the interrupt budget when the command line does not', () => {
    assert.equal(interruptBudgetFlag([]), `--interrupt-budget=${V8_INTERRUPT_BUDGET}`);
    assert.equal(interruptBudgetFlag(['--perf-basic-prof']), `--interrupt-budget=${V8_INTERRUPT_BUDGET}`);
  });

  it("keeps an operator's own budget", () => {
    assert.equal(interruptBudgetFlag(['--interrupt-budget=100000']), undefined);
    assert.equal(interruptBudgetFlag(['--cpu-prof', '--interrupt-budget', '100000']), undefined);
  });

  it('puts the heap flags right after the executable, unless the command sets them', () => {
    assert.deepEqual(NODE_HEAP_FLAGS, ['--initial-old-space-size=64']);
    assert.deepEqual(withNodeHeapFlags(['/usr/bin/node', 'bin/bayledger.js', 'node', 'start']), [
      '/usr/bin/node',
      '--initial-old-space-size=64',
      'bin/bayledger.js',
      'node',
      'start',
    ]);
    const own = ['/usr/bin/node', '--initial_old_space_size=32', '--cpu-prof', 'bin/bayledger.js'];
    assert.deepEqual(withNodeHeapFlags(own), own, "an operator's own value stays");
    assert.deepEqual(withNodeHeapFlags([]), []);
  });

  it('names the heap flags a process was started without', () => {
    assert.deepEqual(missingNodeHeapFlags(['--cpu-prof']), ['--initial-old-space-size=64']);
    assert.deepEqual(missingNodeHeapFlags(['--initial-old-space-size=128']), []);
  });

  it('gives the bin script the same heap flags on its first line', () => {
    const firstLine = readFileSync(new URL('../../bin/bayledger.js', import.meta.url), 'utf8').split('\n')[0];
    assert.equal(firstLine, `#!/usr/bin/env -S node ${NODE_HEAP_FLAGS.join(' ')}`);
  });
});
