// Proof that the simulator bites (issue 4, item 5): with a known bug planted through a test-only
// flag, the simulator finds an agreement violation within a bounded number of seeds, and the
// same seed without the bug is clean, so it is the bug that was caught.
import assert from 'node:assert/strict';
import type { ConsensusBugFlags } from '../../src/core/consensus/types.js';
import type { ScenarioProfile } from './scenario.js';
import { type RunOptions, runScenario } from './simulator.js';

interface Hunt {
  readonly name: string;
  readonly bugs: ConsensusBugFlags;
  readonly profile: ScenarioProfile;
  readonly sizes: readonly number[];
  /** The bound: the search fails if no seed up to here shows a violation. */
  readonly maxSeeds: number;
}

const HUNTS: readonly Hunt[] = [
  {
    name: 'a quorum of f votes',
    bugs: { quorumIsF: true },
    profile: 'mixed',
    sizes: [4, 7, 10],
    maxSeeds: 30,
  },
  // Breaking a lock needs a round that ends half-way (some decided, some only locked) followed by
  // a round whose proposer never saw the lock: message-kind cuts make that common enough.
  {
    name: 'ignoring the lock when prevoting',
    bugs: { ignoreLockWhenPrevoting: true },
    profile: 'targeted',
    sizes: [4],
    maxSeeds: 250,
  },
];

function hunt(spec: Hunt): RunOptions | null {
  for (let seed = 1; seed <= spec.maxSeeds; seed++) {
    const options: RunOptions = {
      seed,
      validatorCount: spec.sizes[seed % spec.sizes.length]!,
      bugs: spec.bugs,
      profile: spec.profile,
      stopOn: ['agreement'],
    };
    const result = runScenario(options);
    if (result.violations.some((violation) => violation.kind === 'agreement')) return options;
  }
  return null;
}

describe('simulator: planted bugs are caught', () => {
  for (const spec of HUNTS) {
    it(`finds an agreement violation when ${spec.name}, within ${spec.maxSeeds} seeds`, function () {
      this.timeout(120_000);
      const found = hunt(spec);
      assert.ok(found !== null, `no agreement violation in ${spec.maxSeeds} seeds`);
      const clean = runScenario({ ...found, bugs: {}, stopOn: undefined });
      assert.deepEqual(
        clean.violations,
        [],
        `seed ${found.seed} fails even without the bug: ${clean.replay}`,
      );
    });
  }
});
