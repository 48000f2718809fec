// Issue 7 item 3: finality latency, from a transaction's planned arrival at the client to the first
// moment a validator's API shows it committed (lib/commit-watcher.ts asks for the next block with
// `?waitMs=`, answered when it commits, and reads its transaction ids), at 20%, 50% and 80% of the
// saturation rate. Arrivals are open-loop Poisson with a fixed seed, submitted the way the
// throughput benchmark submits (lib/submit.ts), so the time a transaction waits for the client's
// next 5 ms tick counts against it. The saturation rate comes from the throughput benchmark run
// earlier in this process, else BAYLEDGER_BENCH_SATURATION (tx/s), else a short ramp. The fresh
// network first carries an
// unmeasured warm-up at the lowest level: on cold processes (code not yet optimised, first
// connections and key imports) the same 40 tx/s measured p50/p90 200/1,064 ms against 71/114 ms
// once warm, so without it the lowest level measured start-up, not finality. It lasts as long as
// throughput's (WARMUP_MS, 45 s): V8 is still optimising the nodes' code for most of a minute.
//
// After the three shares, one more level runs at the target's own rate (TARGET_RATE_PER_SECOND,
// 1,000 tx/s), so the table answers the issue's bound directly instead of only at rates below it:
// on a machine whose saturation is near or under that rate the level is overloaded, and its
// latencies then show the backlog, which is the honest answer there.
import { CommitWatcher } from '../lib/commit-watcher.js';
import { percentile } from '../lib/measure.js';
import {
  type BenchNetwork,
  NodeClient,
  pollUntil,
  type SignedTx,
  signWorkload,
  startBenchNetwork,
} from '../lib/network.js';
import { poissonArrivals, submitAtArrivals } from '../lib/submit.js';
import type { BenchContext, Benchmark, Figure } from '../types.js';
import { lastSaturation, measureSaturation, WARMUP_MS } from './throughput.js';

const LOAD_SHARES = [0.2, 0.5, 0.8] as const;
/** The rate issue 7's finality bound is stated at (p99 <= 250 ms at 1,000 tx/s). */
const TARGET_RATE_PER_SECOND = 1000;
const TARGET_P99_MS = 250;
/**
 * Measured seconds per level. 20 s, not the 8 s it was until 2026-11-27: at the 20% level 8 s held
 * about 950 transactions, so the p99 was about the tenth-worst and moved 177-396 ms between runs
 * of the same code; the rate probe's 20-s windows were steadier.
 */
const LEVEL_MS = Number(process.env.BAYLEDGER_BENCH_LEVEL_MS ?? 20_000);
const MIN_TXS_PER_LEVEL = 20;
/** How long after its last submission a level waits for its transactions to commit. */
const DRAIN_TIMEOUT_MS = 30_000;
const CONNECTIONS_PER_VALIDATOR = 4;

interface LevelResult {
  readonly latenciesMs: number[];
  /** Refused by the nodes (or whose request failed): never committed, nor expected to be. */
  readonly refused: number;
  /** `refused` by cause. */
  readonly refusedBy: ReadonlyMap<string, number>;
  /** Admitted but not committed within DRAIN_TIMEOUT_MS of the level's last submission. */
  readonly uncommitted: number;
}

/** Transactions for `durationMs` at `ratePerSecond` (at least MIN_TXS_PER_LEVEL), signed as pairs. */
function workloadFor(
  network: BenchNetwork,
  ratePerSecond: number,
  durationMs: number,
  seed: string,
): SignedTx[] {
  const count = Math.max(MIN_TXS_PER_LEVEL, Math.round((ratePerSecond * durationMs) / 1000));
  return signWorkload(network, Math.ceil(count / 2), seed);
}

async function runLevel(
  clients: readonly NodeClient[],
  watcher: CommitWatcher,
  txs: readonly SignedTx[],
  ratePerSecond: number,
  seed: number,
  signal: AbortSignal,
): Promise<LevelResult> {
  const arrivalsMs = poissonArrivals(txs.length, ratePerSecond, seed);
  const startedMs = performance.now();
  const submitted = await submitAtArrivals(clients, txs, arrivalsMs, signal);
  const expected = txs.length - submitted.refused;
  await pollUntil(
    'level committed',
    async () => txs.filter((tx) => watcher.committedAtMs(tx.txIdHex) !== undefined).length >= expected,
    DRAIN_TIMEOUT_MS,
    50,
  ).catch(() => undefined);
  const latenciesMs: number[] = [];
  for (const [index, tx] of txs.entries()) {
    const committedMs = watcher.committedAtMs(tx.txIdHex);
    if (committedMs !== undefined) latenciesMs.push(committedMs - (startedMs + arrivalsMs[index]!));
  }
  return {
    latenciesMs,
    refused: submitted.refused,
    refusedBy: submitted.refusedBy,
    uncommitted: expected - latenciesMs.length,
  };
}

async function saturationRate(network: BenchNetwork, context: BenchContext): Promise<number> {
  if (lastSaturation !== undefined && lastSaturation > 0) return lastSaturation;
  const fromEnvironment = Number(process.env.BAYLEDGER_BENCH_SATURATION ?? Number.NaN);
  if (fromEnvironment > 0) return fromEnvironment;
  context.log('finality: no saturation rate from throughput in this run; measuring a short ramp');
  return (await measureSaturation(network, context)).saturationPerSecond;
}

export const finality: Benchmark = {
  name: 'finality',
  description:
    'p50/p99/max submission-to-commit latency at 20%, 50%, 80% of the saturation rate and at 1,000 tx/s',
  target: 'p99 <= 250 ms at 1,000 tx/s',
  timeLimitMs: 360_000,
  async run(context) {
    const network = await startBenchNetwork(context);
    const saturation = await saturationRate(network, context);
    const clients = network.validators.map((node) => new NodeClient(node, CONNECTIONS_PER_VALIDATOR));
    const watcherClient = new NodeClient(network.validators[0]!, 2);
    const watcher = new CommitWatcher(watcherClient);
    await watcher.start();
    context.onCleanup(async () => {
      await watcher.stop();
      for (const client of [...clients, watcherClient]) client.close();
    });
    const figures: Figure[] = [{ name: 'saturation.used', value: saturation, unit: 'tx/s' }];
    if (WARMUP_MS > 0) {
      const rate = Math.max(1, saturation * LOAD_SHARES[0]);
      const txs = workloadFor(network, rate, WARMUP_MS, 'finality/warm-up');
      await runLevel(clients, watcher, txs, rate, 5, context.signal);
      context.log(`finality: warm-up of ${txs.length} txs at ${rate.toFixed(0)} tx/s done (not measured)`);
    }
    const measureAt = async (name: string, rate: number, label: string, seed: number): Promise<Figure[]> => {
      const txs = workloadFor(network, rate, LEVEL_MS, `finality/${name}`);
      const { latenciesMs, refused, refusedBy, uncommitted } = await runLevel(
        clients,
        watcher,
        txs,
        rate,
        seed,
        context.signal,
      );
      if (latenciesMs.length === 0) throw new Error(`finality: nothing committed at ${rate.toFixed(0)} tx/s`);
      const load = `${label} = ${rate.toFixed(0)} tx/s, ${latenciesMs.length} txs`;
      const causes = [...refusedBy].map(([cause, count]) => `${count} ${cause}`).join(', ');
      context.log(
        `finality: ${load}, ${refused} refused${refused > 0 ? ` (${causes})` : ''}, ` +
          `${uncommitted} admitted but not committed within ${DRAIN_TIMEOUT_MS} ms of the last`,
      );
      // The issue's bound is p99 at 1,000 tx/s; below that rate the bound still applies a fortiori.
      const p99Target =
        rate <= TARGET_RATE_PER_SECOND
          ? ({ on: 'value', comparison: '<=', bound: TARGET_P99_MS } as const)
          : undefined;
      return [
        { name: `${name}.p50`, value: percentile(latenciesMs, 50), unit: 'ms', note: load },
        {
          name: `${name}.p99`,
          value: percentile(latenciesMs, 99),
          unit: 'ms',
          ...(p99Target === undefined ? {} : { target: p99Target }),
        },
        { name: `${name}.max`, value: Math.max(...latenciesMs), unit: 'ms' },
        ...(refused > 0 ? [{ name: `${name}.refused`, value: refused, unit: 'txs', note: causes }] : []),
        ...(uncommitted > 0 ? [{ name: `${name}.uncommitted`, value: uncommitted, unit: 'txs' }] : []),
      ];
    };
    for (const [level, share] of LOAD_SHARES.entries()) {
      const percent = Math.round(share * 100);
      const rate = Math.max(1, saturation * share);
      figures.push(...(await measureAt(`load${percent}`, rate, `${percent}% of saturation`, 7 + level)));
    }
    figures.push(
      ...(await measureAt(
        `at${TARGET_RATE_PER_SECOND}`,
        TARGET_RATE_PER_SECOND,
        `the target's rate (${Math.round((100 * TARGET_RATE_PER_SECOND) / saturation)}% of saturation)`,
        7 + LOAD_SHARES.length,
      )),
    );
    return figures;
  },
};
