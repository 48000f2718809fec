// End-to-end: a transaction whose relay to the validators was lost still commits, because the node
// it was submitted to sends it again while it waits in its mempool (src/node/mempool/rerelay.ts).
// Real processes, one validator and one follower (the follower never proposes, so without
// re-relay nothing else would ever bring the transaction to a proposer).
//
// How the relay is lost, honestly: the validator is paused (SIGSTOP) while the follower relays
// the transaction over an already open stream, so the bytes leave the follower and sit unread in
// the paused validator's socket; the validator is then killed (SIGKILL), which discards them, and
// restarted with an empty mempool. This is the loss of a validator that crashes or restarts with
// relays in flight, which the drop-oldest send queues do not repair (decision 9).
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { PROTOCOL } from '../../src/node/protocols.js';
import { findMetric } from '../helpers/metrics.js';
import { startTestNetwork, type TestNetwork } from '../helpers/network.js';

const RELAYS_SENT = 'bayledger_net_messages_sent_total';
const RELAY_LABELS = `{protocol="${PROTOCOL.txRelay}"}`;

async function metricOf(net: TestNetwork, org: string, name: string, labels = ''): Promise<number> {
  const answer = await net.get<string>(org, '/metrics');
  return findMetric(answer.json, name, labels) ?? 0;
}

describe('mempool re-relay (real processes)', function () {
  this.timeout(180_000);
  let net: TestNetwork;

  before(async () => {
    net = await startTestNetwork({ validators: 1, followers: 1 });
  });

  after(async () => {
    await net?.stop();
  });

  it('a transaction whose relay the validator lost is sent again and commits', async () => {
    const validator = net.validators[0]!;
    const follower = net.followers[0]!;
    // One transaction through the follower first: its relay stream to the validator is then open,
    // so the next relay leaves at once instead of waiting in the send queue for a stream.
    const warmUp = await net.makeConsentGrant();
    const warmAnswer = await net.submit(follower, warmUp.bytes, { wait: true });
    assert.equal(warmAnswer.status, 200, JSON.stringify(warmAnswer.json));

    const relaysBefore = await metricOf(net, follower, RELAYS_SENT, RELAY_LABELS);
    const paused = net.nodes.get(validator)!.process!;
    assert.ok(paused.kill('SIGSTOP'), 'the validator is paused');
    const grant = await net.makeConsentGrant();
    const answer = await net.submit(follower, grant.bytes);
    assert.equal(answer.status, 202, JSON.stringify(answer.json));
    // The relay has left the follower (handed to the open stream) before the validator dies.
    await net.waitFor(
      'the follower relayed the transaction',
      async () => (await metricOf(net, follower, RELAYS_SENT, RELAY_LABELS)) > relaysBefore,
    );
    const killed = await net.kill(validator, 'SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    await net.restart(validator);
    const pending = await net.get<{ status: string }>(follower, `/tx/${grant.txIdHex}`);
    assert.equal(pending.json.status, 'pending', 'still waiting in the follower mempool');

    // Re-sent after LIMITS.mempoolRerelayAgeMs (3 s), then at 6, 12, 24 s while the validator is
    // still starting; committed well inside this deadline. Without re-relay it stays pending.
    await net.waitFor(
      `transaction ${grant.txIdHex} committed`,
      async () =>
        (await net.get<{ status: string }>(follower, `/tx/${grant.txIdHex}`)).json.status === 'committed',
      { timeoutMs: 40_000 },
    );
    const rerelayed = await metricOf(net, follower, 'bayledger_txs_rerelayed_total');
    assert.ok(rerelayed >= 1, `the follower re-relayed ${rerelayed} transactions`);
    // The validator holds it too, committed by its own consensus after the restart.
    const onValidator = await net.get<{ status: string }>(validator, `/tx/${grant.txIdHex}`);
    assert.equal(onValidator.json.status, 'committed');
  });
});
