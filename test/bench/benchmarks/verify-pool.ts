// Issue 7 (supports benchmarks 2 and 4): signature verification through the verify pool
// (src/node/verify-pool) against one thread calling verifySignature, at batch sizes 64, 256 and
// 1024, and through `verifyMany` as `chain verify` will use it. The pool's figures are ratios to
// the all-cores ceiling; chain verify's target (70% of the ceiling) is only reachable if the pool
// itself gets there, so that is the pool's target too.
import { verifySignature } from '../../../src/core/crypto/ed25519.js';
import { LIMITS } from '../../../src/core/limits.js';
import { allVerified } from '../../../src/node/verify-pool/bitmap.js';
import type { SignatureCheck } from '../../../src/node/verify-pool/signature-check.js';
import { DEFAULT_BATCH_ITEMS, VerifyPool } from '../../../src/node/verify-pool/verify-pool.js';
import { signedChecks } from '../lib/fixtures.js';
import { measurePipelineRate, measureRate, median } from '../lib/measure.js';
import type { BenchContext, Benchmark, Figure, Target } from '../types.js';

const BATCH_SIZES = [64, 256, 1024] as const;
const CHECK_COUNT = 4096;
const POOL_TARGET: Target = { on: 'ratio', comparison: '>=', bound: 0.7 };

function singleThreadRate(checks: readonly SignatureCheck[], context: BenchContext): number {
  let next = 0;
  const chunk = (): number => {
    for (let index = 0; index < 64; index++) {
      const check = checks[next++ % checks.length]!;
      if (!verifySignature(check.publicKey, check.message, check.signature))
        throw new Error('fixture invalid');
    }
    return 64;
  };
  return median(measureRate(chunk, context.sampleMs, context.samples));
}

/** Keeps every worker's in-flight slots full of `batchItems`-sized batches. */
async function poolBatchRate(
  pool: VerifyPool,
  checks: readonly SignatureCheck[],
  batchItems: number,
  context: BenchContext,
): Promise<number> {
  const batches: SignatureCheck[][] = [];
  for (let first = 0; first < checks.length; first += batchItems)
    batches.push(checks.slice(first, first + batchItems));
  let next = 0;
  const submit = async (): Promise<number> => {
    const batch = batches[next++ % batches.length]!;
    if (!allVerified(await pool.verifyBatch(batch), batch.length))
      throw new Error('the pool refused a valid signature');
    return batch.length;
  };
  const inFlight = pool.size * LIMITS.maxVerifyInFlightPerWorker;
  return median(
    await measurePipelineRate(submit, inFlight, context.sampleMs, context.samples, context.signal),
  );
}

/** One `verifyMany` of all checks at a time, as a block or `chain verify` would call it. */
async function verifyManyRate(
  pool: VerifyPool,
  checks: readonly SignatureCheck[],
  context: BenchContext,
): Promise<number> {
  const submit = async (): Promise<number> => {
    if (!allVerified(await pool.verifyMany(checks), checks.length))
      throw new Error('the pool refused a valid signature');
    return checks.length;
  };
  return median(await measurePipelineRate(submit, 1, context.sampleMs, context.samples, context.signal));
}

export const verifyPool: Benchmark = {
  name: 'verify-pool',
  description:
    'Ed25519 verifications/s through the worker-thread verify pool vs one thread, batches 64/256/1024',
  target: 'pool throughput at least 70% of the all-cores verify ceiling (what chain verify needs)',
  timeLimitMs: 120_000,
  async run(context) {
    const ceiling = await context.ceiling();
    const allCores = { name: 'verify.allCores', value: ceiling.verifyAllCoresPerSecond };
    const checks = signedChecks(CHECK_COUNT);
    context.log('verify-pool: one thread');
    const singleThread = singleThreadRate(checks, context);
    const pool = new VerifyPool();
    context.onCleanup(() => pool.close());
    await pool.ready();
    const figures: Figure[] = [
      {
        name: 'singleThread',
        value: singleThread,
        unit: 'verifies/s',
        ceiling: { name: 'verify.oneCore', value: ceiling.verifyOneCorePerSecond },
      },
    ];
    for (const batchItems of BATCH_SIZES) {
      context.log(`verify-pool: batches of ${batchItems} on ${pool.size} workers`);
      const rate = await poolBatchRate(pool, checks, batchItems, context);
      figures.push({
        name: `pool.batch${batchItems}`,
        value: rate,
        unit: 'verifies/s',
        ceiling: allCores,
        target: POOL_TARGET,
        note: `${(rate / singleThread).toFixed(2)}x one thread; ${pool.size} workers`,
      });
    }
    context.log(`verify-pool: verifyMany of ${CHECK_COUNT} checks`);
    const manyRate = await verifyManyRate(pool, checks, context);
    figures.push({
      name: `pool.verifyMany${CHECK_COUNT}`,
      value: manyRate,
      unit: 'verifies/s',
      ceiling: allCores,
      target: POOL_TARGET,
      note: `batches of ${DEFAULT_BATCH_ITEMS}, one call at a time; ${(manyRate / singleThread).toFixed(2)}x one thread`,
    });
    return figures;
  },
};
