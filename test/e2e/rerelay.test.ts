// End-to-end: a transaction whose relay to the validators was lost still commits, because the node
// it was submitted to sends it again: to the validator as it reconnects (decision 64,
// src/node/mempool/tx-relay.ts), and, when that send is not due (one per validator per
// LIMITS.minConnectSendGapMs), while it waits in its mempool (re-relay, src/node/mempool/rerelay.ts).
// Real processes, one validator and one follower (the follower never proposes, so without these
// nothing else would ever bring the transaction to a proposer).
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

  /** Loses the relay of a new transaction as the head of the file says; resolves with its id. */
  async function loseARelay(validator: string, follower: string): Promise<string> {
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
    return grant.txIdHex;
  }

  async function committedEverywhere(txIdHex: string): Promise<void> {
    // Re-relay sends after LIMITS.mempoolRerelayAgeMs (3 s), then at 6, 12, 24 s while the
    // validator is still starting; committed well inside this deadline.
    await net.waitFor(
      `transaction ${txIdHex} committed`,
      async () =>
        (await net.get<{ status: string }>(net.followers[0]!, `/tx/${txIdHex}`)).json.status === 'committed',
      { timeoutMs: 40_000 },
    );
    // The validator holds it too, committed by its own consensus after the restart.
    const onValidator = await net.get<{ status: string }>(net.validators[0]!, `/tx/${txIdHex}`);
    assert.equal(onValidator.json.status, 'committed');
  }

  it('a transaction whose relay the validator lost is sent again, on reconnect or later, and commits', async () => {
    const validator = net.validators[0]!;
    const follower = net.followers[0]!;
    // One transaction through the follower first: its relay stream to the validator is then open,
    // so the next relay leaves at once instead of waiting in the send queue for a stream.
    const warmUp = await net.makeConsentGrant();
    const warmAnswer = await net.submit(follower, warmUp.bytes, { wait: true });
    assert.equal(warmAnswer.status, 200, JSON.stringify(warmAnswer.json));

    // The validator reconnects with an empty mempool: the follower sends it what waits (decision 64).
    const first = await loseARelay(validator, follower);
    await committedEverywhere(first);
    assert.equal(await metricOf(net, follower, 'bayledger_txs_sent_on_connect_total'), 1);

    // Lost again, and the validator back before that send is due again (10 s per validator): only
    // re-relay brings this one. A restart slower than the gap (a very loaded machine) gets the
    // send on connect instead, which says nothing of re-relay: then the loss is made again, each
    // time right after a send on connect, so the gap is whole.
    for (let attempt = 1; ; attempt++) {
      const sentBefore = await metricOf(net, follower, 'bayledger_txs_sent_on_connect_total');
      const again = await loseARelay(validator, follower);
      await committedEverywhere(again);
      const sentOnConnect =
        (await metricOf(net, follower, 'bayledger_txs_sent_on_connect_total')) - sentBefore;
      if (sentOnConnect > 0 && attempt < 3) continue;
      assert.equal(sentOnConnect, 0, `the validator restarted after the gap ${attempt} times`);
      const rerelayed = await metricOf(net, follower, 'bayledger_txs_rerelayed_total');
      assert.ok(rerelayed >= 1, `the follower re-relayed ${rerelayed} transactions`);
      break;
    }
  });
});
