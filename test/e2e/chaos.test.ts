// A short fault soak (test/chaos/chaos.ts) in every test run: 40 seconds of crashes, clean stops
// and freezes of real node processes under load, then every safety, liveness, durability and
// recovery check. Longer and other seeds: `npm run test:chaos` (docs/TESTING.md, "Chaos soak").
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { runChaos } from '../chaos/chaos.js';

describe('chaos: crashes, clean stops and freezes of real nodes under load', function () {
  this.timeout(300_000);

  it('keeps one chain, keeps committing, loses no committed transaction, and every chain verifies', async () => {
    const report = await runChaos({ seed: 27, durationMs: 40_000, ratePerSecond: 20 });
    assert.deepEqual(report.violations, []);
    // The schedule did what it says: every kind of fault, and the load went through them.
    for (const kind of ['kill', 'term', 'freeze'] as const) {
      assert.ok(report.faults[kind] > 0, `no ${kind} fault in ${JSON.stringify(report.faults)}`);
    }
    assert.ok(report.committed > 200, `only ${report.committed} transactions committed`);
    assert.ok(report.finalHeight > 50, `only ${report.finalHeight} blocks`);
  });
});
