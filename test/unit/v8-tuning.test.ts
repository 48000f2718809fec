// The entry point's V8 setting (src/node/v8-tuning.ts) yields to one given on the command line, so
// an operator's own `node --interrupt-budget=N bin/bayledger.js` is never overridden.
import { strict as assert } from 'node:assert';
import { interruptBudgetFlag, V8_INTERRUPT_BUDGET } from '../../src/node/v8-tuning.js';

describe('V8 tuning of node processes', () => {
  it('sets the interrupt budget when the command line does not', () => {
    assert.equal(interruptBudgetFlag([]), `--interrupt-budget=${V8_INTERRUPT_BUDGET}`);
    assert.equal(interruptBudgetFlag(['--perf-basic-prof']), `--interrupt-budget=${V8_INTERRUPT_BUDGET}`);
  });

  it("keeps an operator's own budget", () => {
    assert.equal(interruptBudgetFlag(['--interrupt-budget=100000']), undefined);
    assert.equal(interruptBudgetFlag(['--cpu-prof', '--interrupt-budget', '100000']), undefined);
  });
});
