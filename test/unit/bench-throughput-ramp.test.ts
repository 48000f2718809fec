import assert from 'node:assert/strict';
import { continuesRamp, type StepResult } from '../bench/benchmarks/throughput.js';

function step(offeredPerSecond: number, finalizedPerSecond: number): StepResult {
  return {
    offeredPerSecond,
    submittedPerSecond: offeredPerSecond,
    finalizedPerSecond,
    refused: 0,
    blocks: 10,
    mempoolTxs: 0,
    windowSeconds: 8,
    nodeCpuMsPerTx: 3,
    clientCpuMsPerTx: 0.2,
  };
}

describe('throughput bench ramp', () => {
  it('goes on after a step that kept up with 90% of its offer', () => {
    assert.equal(continuesRamp(step(400, 360), 197), true);
  });

  it('goes on after a step that fell behind its offer but finalized over 10% more than the best before', () => {
    // The 22:00 run: 354.6 of 400 tx/s after 197 of 200.
    assert.equal(continuesRamp(step(400, 354.6), 197), true);
  });

  it('stops at a step that neither kept up nor grew by 10%', () => {
    assert.equal(continuesRamp(step(1200, 480), 471.5), false);
    assert.equal(continuesRamp(step(1200, 400), 471.5), false);
  });

  it('stops at a first step that falls behind: growth needs a step before it', () => {
    assert.equal(continuesRamp(step(50, 0), 0), false);
    assert.equal(continuesRamp(step(50, 30), 0), false);
  });
});
