// `npm run probe -- [--rate TX_S] [--measure-ms MS] [--warm-ms MS] [--warm-rate TX_S]`
//
// The rate probe: the benchmarks' network (4 validators and 3 followers as processes, the same
// signed workload) at ONE offered rate, and where its CPU goes over the measured window, per node
// and per thread, with the minor page faults (first touches of memory new to the thread) behind
// some of it, read from /proc (Linux only). It is the tool behind most figures of the form "node
// CPU per transaction" and "a validator's main thread" in docs/PERFORMANCE.md: compare two builds
// by running it on each in alternation, several times, since the machine's speed drifts. It
// prints, it asserts nothing, and it is not one of the registered benchmarks.
import '../../src/polyfill.js';
import { findMetric } from '../helpers/metrics.js';
import { pairsFor } from './benchmarks/throughput.js';
import { createBenchmarkScope } from './lib/context.js';
import { machineFacts } from './lib/machine.js';
import { NodeClient, signWorkload, startBenchNetwork } from './lib/network.js';
import { submitAtArrivals, uniformArrivals } from './lib/submit.js';
import { clockTicksPerSecond, nodePidsIn, type ThreadCpu, threadCpuOf } from './lib/thread-cpu.js';

interface ProbeArgs {
  readonly rate: number;
  readonly measureMs: number;
  readonly warmMs: number;
  readonly warmRate: number;
}

const USAGE = `usage: npm run probe -- [--rate TX_S] [--measure-ms MS] [--warm-ms MS] [--warm-rate TX_S]
  --rate       offered rate while measured, transactions a second (default 700)
  --measure-ms length of the measured window (default 20000)
  --warm-ms    warm-up before it, not measured (default 30000; 0 for none)
  --warm-rate  offered rate of the warm-up (default 200)`;

function parseProbeArgs(argv: readonly string[]): ProbeArgs {
  const values: Record<string, number> = {
    rate: 700,
    'measure-ms': 20_000,
    'warm-ms': 30_000,
    'warm-rate': 200,
  };
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index]?.replace(/^--/, '');
    const value = Number(argv[index + 1]);
    if (name === undefined || !Object.hasOwn(values, name) || !argv[index]!.startsWith('--')) {
      throw new Error(`unknown option ${argv[index]}\n${USAGE}`);
    }
    if (!Number.isSafeInteger(value) || value < 0 || (value === 0 && name !== 'warm-ms')) {
      throw new Error(`--${name} needs a positive integer${name === 'warm-ms' ? ' or 0' : ''}\n${USAGE}`);
    }
    values[name] = value;
  }
  return {
    rate: values.rate!,
    measureMs: values['measure-ms']!,
    warmMs: values['warm-ms']!,
    warmRate: values['warm-rate']!,
  };
}

type Snapshot = Map<string, Map<number, ThreadCpu>>;

function snapshot(pids: ReadonlyMap<string, number>): Snapshot {
  return new Map([...pids].map(([org, pid]) => [org, threadCpuOf(pid)]));
}

/** What one node spent between two snapshots, on its main thread and on all others. */
interface NodeUsage {
  readonly mainSeconds: number;
  readonly otherSeconds: number;
  readonly mainFaults: number;
  readonly otherFaults: number;
}

const NO_USAGE: NodeUsage = { mainSeconds: 0, otherSeconds: 0, mainFaults: 0, otherFaults: 0 };

function plus(a: NodeUsage, b: NodeUsage): NodeUsage {
  return {
    mainSeconds: a.mainSeconds + b.mainSeconds,
    otherSeconds: a.otherSeconds + b.otherSeconds,
    mainFaults: a.mainFaults + b.mainFaults,
    otherFaults: a.otherFaults + b.otherFaults,
  };
}

/** CPU seconds and minor page faults of each node between two snapshots, main thread and others. */
function usageBetween(
  before: Snapshot,
  after: Snapshot,
  pids: ReadonlyMap<string, number>,
): Map<string, NodeUsage> {
  const ticksPerSecond = clockTicksPerSecond();
  const out = new Map<string, NodeUsage>();
  for (const [org, threads] of after) {
    const main = { ticks: 0, faults: 0 };
    const other = { ticks: 0, faults: 0 };
    for (const [tid, thread] of threads) {
      const previous = before.get(org)?.get(tid);
      const sum = tid === pids.get(org) ? main : other;
      sum.ticks += thread.ticks - (previous?.ticks ?? 0);
      sum.faults += thread.minorFaults - (previous?.minorFaults ?? 0);
    }
    out.set(org, {
      mainSeconds: main.ticks / ticksPerSecond,
      otherSeconds: other.ticks / ticksPerSecond,
      mainFaults: main.faults,
      otherFaults: other.faults,
    });
  }
  return out;
}

/** What the probe reads of a node's commit-queue wait histogram (cumulative since its start). */
interface QueueWaits {
  readonly count: number;
  readonly sum: number;
  /** Waits of at most 10 ms and at most 100 ms (the histogram's cumulative buckets). */
  readonly within10ms: number;
  readonly within100ms: number;
}

function queueWaitsIn(metricsText: string): QueueWaits {
  const name = 'bayledger_commit_queue_wait_seconds';
  const sample = (suffix: string, labels = '') => findMetric(metricsText, `${name}${suffix}`, labels) ?? 0;
  return {
    count: sample('_count'),
    sum: sample('_sum'),
    within10ms: sample('_bucket', '{le="0.01"}'),
    within100ms: sample('_bucket', '{le="0.1"}'),
  };
}

/**
 * The validators' waits of proposal checks and builds for the commits queued before them
 * (decision 57) over the window: how many, their mean, and the share above 10 and 100 ms.
 */
function commitQueueWaitLine(before: readonly QueueWaits[], after: readonly QueueWaits[]): string {
  const over = (field: keyof QueueWaits) =>
    after.reduce((total, sample, index) => total + sample[field] - before[index]![field], 0);
  const count = over('count');
  const share = (within: number) => `${((100 * (count - within)) / Math.max(1, count)).toFixed(1)}%`;
  return (
    `validators' proposal checks and builds waiting for commits: ${count}, mean ` +
    `${((1000 * over('sum')) / Math.max(1, count)).toFixed(2)} ms, over 10 ms ${share(over('within10ms'))}, ` +
    `over 100 ms ${share(over('within100ms'))}`
  );
}

function us(seconds: number, transactions: number): string {
  return ((seconds * 1e6) / transactions).toFixed(1);
}

async function probe(args: ProbeArgs, signal: AbortSignal, log: (line: string) => void): Promise<void> {
  const scope = createBenchmarkScope(
    {
      machine: machineFacts(new Date()),
      sampleMs: 1000,
      samples: 1,
      log,
      ceiling: () => Promise.reject(new Error('the probe measures no ceiling')),
    },
    signal,
  );
  process.once('SIGINT', () => void scope.cleanUp().then(() => process.exit(130)));
  try {
    const network = await startBenchNetwork(scope.context);
    const pids = nodePidsIn(network.dir);
    const expected = network.validators.length + network.followers.length;
    if (pids.size !== expected) {
      throw new Error(`found ${pids.size} node processes of ${network.dir} in /proc, expected ${expected}`);
    }
    const roleOf = new Map<string, string>([
      ...network.validators.map((node) => [node.org, 'validator'] as const),
      ...network.followers.map((node) => [node.org, 'follower'] as const),
    ]);
    const clients = network.validators.map((node) => new NodeClient(node, 4));
    const observer = new NodeClient(network.validators[0]!, 1);
    scope.context.onCleanup(() => {
      for (const client of [...clients, observer]) client.close();
    });
    // Signed ahead: signing is the load generator's work, not part of the measured window.
    const sign = (rate: number, durationMs: number, seed: string) =>
      signWorkload(network, pairsFor(rate, durationMs), seed);
    const offer = (rate: number, txs: ReturnType<typeof sign>) =>
      submitAtArrivals(clients, txs, uniformArrivals(txs.length, rate), signal);
    if (args.warmMs > 0) {
      log(`probe: warm-up at ${args.warmRate} tx/s for ${args.warmMs} ms`);
      await offer(args.warmRate, sign(args.warmRate, args.warmMs, 'probe/warm-up'));
    }
    const measuredTxs = sign(args.rate, args.measureMs, 'probe/measured');
    // On a connection of its own: the load's keep-alive sockets may have been idle past the
    // server's keep-alive timeout while the measured load was signed.
    const queueWaits = () =>
      Promise.all(
        network.validators.map(async (node) => {
          const client = new NodeClient(node, 1);
          try {
            return queueWaitsIn((await client.get('/metrics')).body);
          } finally {
            client.close();
          }
        }),
      );
    const waitsBefore = await queueWaits();
    const statusBefore = await observer.status();
    const threadsBefore = snapshot(pids);
    const clientBefore = process.cpuUsage();
    const startedMs = performance.now();
    log(`probe: ${args.rate} tx/s for ${args.measureMs} ms`);
    const submitted = await offer(args.rate, measuredTxs);
    const seconds = (performance.now() - startedMs) / 1000;
    const clientCpu = process.cpuUsage(clientBefore);
    const threadsAfter = snapshot(pids);
    const statusAfter = await observer.status();
    const waitsAfter = await queueWaits();
    const committed = Math.max(1, statusAfter.logSize - statusBefore.logSize);
    const heights = Math.max(1, statusAfter.height - statusBefore.height);
    const perNode = usageBetween(threadsBefore, threadsAfter, pids);
    let total = 0;
    const byRole = new Map<string, { nodes: number } & NodeUsage>();
    for (const [org, usage] of perNode) {
      total += usage.mainSeconds + usage.otherSeconds;
      const role = roleOf.get(org) ?? 'unknown';
      const sum = byRole.get(role) ?? { nodes: 0, ...NO_USAGE };
      byRole.set(role, { nodes: sum.nodes + 1, ...plus(sum, usage) });
    }
    const lines = [
      `offered ${args.rate} tx/s for ${seconds.toFixed(1)} s: ${submitted.sent} sent, ${submitted.refused} refused; ` +
        `committed ${committed} (${(committed / seconds).toFixed(0)}/s) in ${heights} heights ` +
        `(${(committed / heights).toFixed(0)} tx/height); mempool ${statusAfter.mempool.txs} at the end`,
      `node CPU ${(total / seconds).toFixed(2)} cores, ${us(total, committed)} us per committed tx; ` +
        `load generator ${us((clientCpu.user + clientCpu.system) / 1e6, committed)} us`,
      'us of CPU per committed tx, per node of the role (main thread / all other threads):',
      ...[...byRole].map(
        ([role, sum]) =>
          `  ${role.padEnd(9)} ${us(sum.mainSeconds / sum.nodes, committed).padStart(8)} / ` +
          `${us(sum.otherSeconds / sum.nodes, committed)}`,
      ),
      'minor page faults per committed tx, per node of the role (main thread / all other threads):',
      ...[...byRole].map(
        ([role, sum]) =>
          `  ${role.padEnd(9)} ${(sum.mainFaults / sum.nodes / committed).toFixed(2).padStart(8)} / ` +
          `${(sum.otherFaults / sum.nodes / committed).toFixed(2)}`,
      ),
      'main thread by node, us per committed tx:',
      `  ${[...perNode].map(([org, usage]) => `${org} ${us(usage.mainSeconds, committed)}`).join(', ')}`,
      commitQueueWaitLine(waitsBefore, waitsAfter),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const failure of await scope.cleanUp()) log(`probe: cleanup failed: ${failure}`);
  }
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

try {
  await probe(parseProbeArgs(process.argv.slice(2)), new AbortController().signal, log);
} catch (error) {
  log(`probe: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
