// Issue 7 item 2: sustained finalized throughput of 4 validators and 3 followers, each a real
// compiled node process on 127.0.0.1. The load (consent grants and declarations, 1.5 signatures
// per transaction) is signed before any clock starts, then submitted open-loop at increasing
// rates, one POST /tx per transaction over keep-alive connections spread across the validators.
// Finalized transactions are counted from a validator's /status logSize (committed entries), never
// from submissions. The load generator runs on the same 2 cores as the seven nodes, so every figure
// here is a lower bound of what the nodes would do with the cores to themselves.
import { type BenchNetwork, NodeClient, pollUntil, signWorkload, startBenchNetwork } from '../lib/network.js';
import type { BenchContext, Benchmark, Figure } from '../types.js';

/** Offered rates, tx/s, in order; the ramp stops at the first step the network cannot keep up with. */
const OFFERED_RATES = (process.env.BAYLEDGER_BENCH_RATES ?? '10,20,40,80,160,320,640,1280,2560')
  .split(',')
  .map(Number);
const STEP_MS = Number(process.env.BAYLEDGER_BENCH_STEP_MS ?? 8_000);
/** How long a step may take to commit what it submitted after the last submission. */
const DRAIN_TIMEOUT_MS = 60_000;
const CONNECTIONS_PER_VALIDATOR = 4;
/** Open loop, but bounded: past this many unanswered requests the client, not the network, is the limit. */
const MAX_IN_FLIGHT = 512;
const TICK_MS = 10;
/** A step keeps up when it finalizes at least this share of what it offered. */
const KEEPS_UP_SHARE = 0.9;

export interface StepResult {
  readonly offeredPerSecond: number;
  readonly submittedPerSecond: number;
  readonly finalizedPerSecond: number;
  readonly refused: number;
  readonly blocks: number;
  readonly mempoolTxs: number;
  /** From the first submission to the last of the step's transactions committed. */
  readonly windowSeconds: number;
}

export interface SaturationResult {
  readonly steps: readonly StepResult[];
  readonly saturationPerSecond: number;
}

interface Sample {
  readonly atMs: number;
  readonly logSize: number;
  readonly height: number;
  readonly mempoolTxs: number;
}

/** Submits `txs` open-loop at `ratePerSecond` across `clients`; resolves when all are sent. */
export async function submitOpenLoop(
  clients: readonly NodeClient[],
  txs: readonly { readonly bytes: Uint8Array }[],
  ratePerSecond: number,
  signal: AbortSignal,
  onAnswer: (index: number, status: number, startedMs: number) => void = () => {},
): Promise<{ sent: number; refused: number; elapsedMs: number }> {
  const startedMs = performance.now();
  let sent = 0;
  let inFlight = 0;
  let refused = 0;
  const answers: Promise<void>[] = [];
  while (sent < txs.length && !signal.aborted) {
    const due = Math.min(txs.length, Math.floor(((performance.now() - startedMs) * ratePerSecond) / 1000));
    while (sent < due && inFlight < MAX_IN_FLIGHT) {
      const index = sent++;
      const submittedMs = performance.now();
      inFlight++;
      answers.push(
        clients[index % clients.length]!.submit(txs[index]!.bytes).then(
          (answer) => {
            inFlight--;
            if (answer.status !== 202 && answer.status !== 200) refused++;
            onAnswer(index, answer.status, submittedMs);
          },
          () => {
            inFlight--;
            refused++;
          },
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(answers);
  return { sent, refused, elapsedMs: performance.now() - startedMs };
}

async function sampleStatus(client: NodeClient): Promise<Sample> {
  const status = await client.status();
  return {
    atMs: performance.now(),
    logSize: status.logSize,
    height: status.height,
    mempoolTxs: status.mempool.txs,
  };
}

async function runStep(
  network: BenchNetwork,
  clients: readonly NodeClient[],
  observer: NodeClient,
  ratePerSecond: number,
  step: number,
  context: BenchContext,
): Promise<StepResult> {
  const count = 2 * Math.ceil(Math.round((ratePerSecond * STEP_MS) / 1000) / 2);
  const txs = signWorkload(network, count / 2, `throughput/${step}/${ratePerSecond}`);
  const before = await sampleStatus(observer);
  const samples: Sample[] = [before];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      // A status answer that misses (a node busy past the timeout) is skipped, not fatal.
      const sample = await sampleStatus(observer).catch(() => undefined);
      if (sample !== undefined) samples.push(sample);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const startedMs = performance.now();
  const submitted = await submitOpenLoop(clients, txs, ratePerSecond, context.signal);
  // The step ends when everything it submitted is committed (or the drain deadline passes): the
  // finalized rate is counted over submission and drain, so blocks still in flight count.
  const target = before.logSize + submitted.sent - submitted.refused;
  const last = await pollUntil(
    'step committed',
    async () => {
      const sample = await sampleStatus(observer);
      return sample.logSize >= target ? sample : undefined;
    },
    DRAIN_TIMEOUT_MS,
    100,
  ).catch(() => sampleStatus(observer));
  sampling = false;
  await sampler;
  const seconds = (last.atMs - startedMs) / 1000;
  const during = samples.filter((s) => s.atMs <= startedMs + submitted.elapsedMs);
  const result: StepResult = {
    offeredPerSecond: ratePerSecond,
    submittedPerSecond: (submitted.sent * 1000) / submitted.elapsedMs,
    finalizedPerSecond: (last.logSize - before.logSize) / seconds,
    refused: submitted.refused,
    blocks: last.height - before.height,
    mempoolTxs: Math.max(...during.map((s) => s.mempoolTxs)),
    windowSeconds: seconds,
  };
  context.log(
    `throughput: offered ${ratePerSecond}/s, admitted ${result.submittedPerSecond.toFixed(0)}/s, ` +
      `finalized ${result.finalizedPerSecond.toFixed(1)}/s over ${seconds.toFixed(1)} s, ${result.blocks} blocks, ` +
      `peak mempool ${result.mempoolTxs}, refused ${result.refused}`,
  );
  return result;
}

/** Ramps the offered rate until finalized throughput stops keeping up; the best step is saturation. */
export async function measureSaturation(
  network: BenchNetwork,
  context: BenchContext,
  rates: readonly number[] = OFFERED_RATES,
): Promise<SaturationResult> {
  const clients = network.validators.map((node) => new NodeClient(node, CONNECTIONS_PER_VALIDATOR));
  const observer = new NodeClient(network.validators[0]!, 1);
  context.onCleanup(() => {
    for (const client of [...clients, observer]) client.close();
  });
  const steps: StepResult[] = [];
  for (const [step, rate] of rates.entries()) {
    if (context.signal.aborted) break;
    const result = await runStep(network, clients, observer, rate, step, context);
    steps.push(result);
    if (result.finalizedPerSecond < KEEPS_UP_SHARE * rate) break;
  }
  const saturationPerSecond = Math.max(...steps.map((s) => s.finalizedPerSecond));
  lastSaturation = saturationPerSecond;
  return { steps, saturationPerSecond };
}

/** The saturation rate the last throughput run in this process found (finality reuses it). */
export let lastSaturation: number | undefined;

export const throughput: Benchmark = {
  name: 'throughput',
  description:
    '4 validators + 3 followers as processes; open-loop signed consents and declarations; finalized tx/s',
  target: '>= 2,000 finalized tx/s (stretch 4,000); ratio to verify.allCores / 4 validators',
  timeLimitMs: 240_000,
  async run(context) {
    const ceiling = await context.ceiling();
    const network = await startBenchNetwork(context);
    const { steps, saturationPerSecond } = await measureSaturation(network, context);
    const best = steps.find((s) => s.finalizedPerSecond === saturationPerSecond)!;
    const figures: Figure[] = [
      {
        name: 'finalized.saturation',
        value: saturationPerSecond,
        unit: 'tx/s',
        ceiling: { name: 'verify.allCores / 4', value: ceiling.verifyAllCoresPerSecond / 4 },
        target: { on: 'value', comparison: '>=', bound: 2000 },
        note: `best of ${steps.length} open-loop steps (${steps.map((s) => s.offeredPerSecond).join(', ')} tx/s offered); load generator shares the 2 cores`,
      },
      { name: 'saturation.offered', value: best.offeredPerSecond, unit: 'tx/s' },
      {
        name: 'saturation.admitted',
        value: best.submittedPerSecond,
        unit: 'tx/s',
        note: 'rate the validators answered POST /tx (admission, one request per transaction)',
      },
      {
        name: 'saturation.blockTxs',
        value: best.blocks > 0 ? (best.finalizedPerSecond * best.windowSeconds) / best.blocks : 0,
        unit: 'tx/block',
      },
      {
        name: 'saturation.blockIntervalMs',
        value: best.blocks > 0 ? (best.windowSeconds * 1000) / best.blocks : 0,
        unit: 'ms',
      },
      { name: 'saturation.peakMempool', value: best.mempoolTxs, unit: 'txs' },
    ];
    return figures;
  },
};
