// How long a halted network takes to decide again once a validator comes back: four validators
// as real processes and a steady trickle of consent grants. A measurement, not a test (timings
// vary run to run); it prints one line per trial and a summary.
//
//  --scenario halt (default): each trial SIGKILLs two validators (no quorum: the other two wait
//    in their round), keeps them down for --down-s seconds, restarts one and times, from the
//    moment its API answers, until a new height is committed; then the other comes back.
//  --scenario restart: one validator stays down for the whole run; each trial SIGKILLs another
//    and restarts it at once. What it had received (the proposal of the height it was deciding)
//    died with it, and the two others need its votes.
//
//   npm run build && node --import=tsx test/chaos/rejoin-after-halt.ts --scenario restart --trials 12
import { parseArgs } from 'node:util';
import { validatorsOf } from '../../src/core/config/validators.js';
import { proposerOf } from '../../src/core/consensus/proposer.js';
import { startTestNetwork, type TestNetwork } from '../helpers/network.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'halt' },
    trials: { type: 'string', default: '8' },
    'down-s': { type: 'string', default: '15' },
    'log-level': { type: 'string', default: 'info' },
    'dump-log': { type: 'boolean', default: false },
  },
});
const trials = Number(values.trials);
const downMs = Number(values['down-s']) * 1000;
if (values.scenario !== 'halt' && values.scenario !== 'restart')
  throw new Error(`--scenario ${values.scenario}: expected halt or restart`);
if (!Number.isInteger(trials) || trials < 1)
  throw new Error(`--trials ${values.trials}: expected a whole number >= 1`);
if (!(downMs >= 0)) throw new Error(`--down-s ${values['down-s']}: expected seconds >= 0`);

async function trickle(net: TestNetwork, stopped: () => boolean): Promise<void> {
  const submitter = net.followers[0] ?? net.validators[0]!;
  while (!stopped()) {
    const grant = await net.makeConsentGrant();
    const target = net.isRunning(submitter) ? submitter : net.validators.find((org) => net.isRunning(org))!;
    await net.submit(target, grant.bytes).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function heightOf(net: TestNetwork, org: string): Promise<number> {
  return (await net.status(org, { timeoutMs: 5_000 })).height;
}

/** Restarts `org`, then times until `target` is committed there; returns the seconds. */
async function timeRejoin(net: TestNetwork, org: string, target: number): Promise<number> {
  await net.restart(org);
  const backMs = performance.now();
  await net.waitFor('a new height', async () => (await heightOf(net, org)) >= target, {
    timeoutMs: 120_000,
    intervalMs: 20,
  });
  const seconds = (performance.now() - backMs) / 1000;
  if (values['dump-log']) console.log((await net.logOf(org)).trim().split('\n').slice(-150).join('\n'));
  return seconds;
}

async function describeRound(net: TestNetwork, live: string, rejoiner: string): Promise<string> {
  const status = await net.status(live);
  const proposer = proposerOf(validatorsOf(net.genesis), status.height + 1, status.round).id;
  const state = proposer === rejoiner ? 'rejoiner' : net.isRunning(proposer) ? 'live' : 'down';
  return `others in round ${status.round} (proposer ${proposer}: ${state})`;
}

async function haltTrial(net: TestNetwork, trial: number): Promise<number> {
  const validators = net.validators;
  const first = validators[trial % 4]!;
  const second = validators[(trial + 1 + ((trial >> 2) % 3)) % 4]!;
  const live = validators.filter((org) => org !== first && org !== second);
  await net.kill(first);
  await net.kill(second);
  const haltedAt = await heightOf(net, live[0]!);
  await new Promise((resolve) => setTimeout(resolve, downMs));
  const round = await describeRound(net, live[0]!, first);
  const target = Math.max(haltedAt, await heightOf(net, live[0]!)) + 1;
  const seconds = await timeRejoin(net, first, target);
  console.log(
    `trial ${trial + 1}: killed ${first} and ${second}; ${round}; ${first} back, next height in ${seconds.toFixed(2)} s`,
  );
  await net.restart(second);
  const settled = (await heightOf(net, first)) + 2;
  await net.waitFor('settled', async () => (await heightOf(net, second)) >= settled, { timeoutMs: 120_000 });
  return seconds;
}

async function restartTrial(net: TestNetwork, trial: number): Promise<number> {
  const [down, ...others] = net.validators;
  const rejoiner = others[trial % others.length]!;
  const live = others.filter((org) => org !== rejoiner);
  if (trial === 0) await net.kill(down!);
  // Mid-height: wait for a height to pass first, so the kill lands at a varying point of the next.
  const before = await heightOf(net, live[0]!);
  await net.waitFor('a height', async () => (await heightOf(net, live[0]!)) > before, { timeoutMs: 60_000 });
  await net.kill(rejoiner);
  const haltedAt = await heightOf(net, live[0]!);
  const round = await describeRound(net, live[0]!, rejoiner);
  const seconds = await timeRejoin(net, rejoiner, haltedAt + 1);
  console.log(
    `trial ${trial + 1}: ${rejoiner} killed and restarted at once; ${round}; next height in ${seconds.toFixed(2)} s`,
  );
  return seconds;
}

async function main(): Promise<void> {
  const net = await startTestNetwork({ validators: 4, followers: 1, logLevel: values['log-level'] });
  let stopping = false;
  const load = trickle(net, () => stopping);
  const results: number[] = [];
  try {
    for (let trial = 0; trial < trials; trial++) {
      results.push(
        values.scenario === 'restart' ? await restartTrial(net, trial) : await haltTrial(net, trial),
      );
    }
  } finally {
    stopping = true;
    await load;
    await net.stop();
  }
  const sorted = [...results].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    `next height after rejoin (s): ${sorted.map((s) => s.toFixed(2)).join(' ')}; median ${median.toFixed(2)}`,
  );
}

await main();
