// Issue 7 item 5: inclusion and consistency proof latency and size at 1,000,000 entries, generated
// from the store (LedgerStore + StoreChainReader, what GET /chain/proof/:id and
// /chain/consistency serve), not from memory: a fresh store is opened for the measurement, so
// each proof reads the tree nodes it needs from LevelDB (through the store's cache, as a node does).
// Inclusion proofs are for transactions at random heights and positions; consistency proofs
// between random earlier sizes and the whole log. Fixed seed, so every run asks the same proofs.

import { chainParamsOf } from '../../../src/core/ledger/chain-params.js';
import { readGenesisFile } from '../../../src/node/chain/open-chain.js';
import { StoreChainReader } from '../../../src/node/chain/store-chain-reader.js';
import { LedgerStore } from '../../../src/node/store/ledger-store.js';
import { median, percentile } from '../lib/measure.js';
import type { Benchmark, Figure } from '../types.js';
import { bigChainFor } from './chain-verify.js';

const PROOFS = 1_000;
const HASH_BYTES = 32;

function seededIndex(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % bound;
  };
}

async function timeEach(
  count: number,
  prove: (index: number) => Promise<number>,
): Promise<{ ms: number[]; bytes: number[] }> {
  const ms: number[] = [];
  const bytes: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const pathLength = await prove(i);
    ms.push(performance.now() - started);
    bytes.push(pathLength * HASH_BYTES);
  }
  return { ms, bytes };
}

export const proofs: Benchmark = {
  name: 'proofs',
  description:
    'inclusion and consistency proofs from the store of the big chain (1,000,000 entries by default)',
  target: 'median <= 1 ms',
  timeLimitMs: 3_600_000,
  async run(context) {
    const chain = await bigChainFor(context);
    const genesis = await readGenesisFile(chain.genesisPath);
    const store = await LedgerStore.open(chain.dataDir);
    const reader = new StoreChainReader(store, chainParamsOf(genesis));
    context.onCleanup(() => reader.close());
    const random = seededIndex(20261126);
    // Pick the transactions first (block reads are not part of a proof's latency).
    const txIds: string[] = [];
    for (let i = 0; i < PROOFS; i++) {
      const block = await reader.block(1 + random(chain.height));
      txIds.push(block.txIds[random(block.txIds.length)]!);
    }
    const logSize = (await reader.status()).logSize;
    const inclusion = await timeEach(
      PROOFS,
      async (i) => (await reader.inclusionProof(txIds[i]!)).path.length,
    );
    const consistency = await timeEach(
      PROOFS,
      async () => (await reader.consistencyProof(1 + random(logSize - 1), logSize)).path.length,
    );
    const note = `${PROOFS} proofs at ${logSize} entries, fresh store, seeded random picks`;
    const figures: Figure[] = [];
    for (const [kind, result] of [
      ['inclusion', inclusion],
      ['consistency', consistency],
    ] as const) {
      figures.push(
        {
          name: `${kind}.median`,
          value: median(result.ms),
          unit: 'ms',
          target: { on: 'value', comparison: '<=', bound: 1 },
          note,
        },
        { name: `${kind}.p99`, value: percentile(result.ms, 99), unit: 'ms' },
        {
          name: `${kind}.bytes`,
          value: median(result.bytes),
          unit: 'bytes',
          note: 'median audit path, 32-byte hashes',
        },
      );
    }
    return figures;
  },
};
