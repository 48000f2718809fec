// Who a submitted transaction is sent to, first and again (src/node/mempool/tx-relay.ts), and what
// a validator that connects is sent, against stand-in peers that record each send. The re-send
// schedule itself is mempool-rerelay.test.ts's.
import assert from 'node:assert/strict';
import type { RerelayPolicy } from '../../src/node/mempool/rerelay.js';
import { type ConnectSendPolicy, TxRelay } from '../../src/node/mempool/tx-relay.js';

const POLICY: RerelayPolicy = {
  minAgeMs: 3_000,
  maxIntervalMs: 30_000,
  maxTxsPerTick: 16,
  maxBytesPerTick: 64 * 1024,
};

const CONNECT_POLICY: ConnectSendPolicy = { maxTxs: 3, maxBytes: 64 * 1024, minGapMs: 10_000 };

interface Rig {
  readonly relay: TxRelay;
  /** Each send as "peer:first byte". */
  readonly sends: string[];
  /** The peers connected now; tests change it. */
  connected: string[];
  /** The mempool stand-in: transaction id to bytes, in arrival order (relayed ones included). */
  readonly pending: Map<string, Uint8Array>;
}

function rigOf(validatorIds: readonly string[], connected: readonly string[]): Rig {
  const sends: string[] = [];
  const pending = new Map<string, Uint8Array>();
  const rig: Rig = {
    relay: new TxRelay(
      {
        validatorIds,
        connectedPeers: () => rig.connected,
        send: (peerId, bytes) => sends.push(`${peerId}:${bytes[0]}`),
      },
      POLICY,
      CONNECT_POLICY,
      {
        bytesOf: (txIdHex) => pending.get(txIdHex),
        oldest: (maxTxs, maxBytes) => {
          const chosen: Uint8Array[] = [];
          let total = 0;
          for (const bytes of pending.values()) {
            if (chosen.length >= maxTxs || total + bytes.byteLength > maxBytes) break;
            chosen.push(bytes);
            total += bytes.byteLength;
          }
          return chosen;
        },
      },
    ),
    sends,
    connected: [...connected],
    pending,
  };
  return rig;
}

/** Admits transaction `id` (its bytes start with `marker`) to the stand-in mempool and sends it first. */
function submit(rig: Rig, id: string, marker: number, nowMs: number): void {
  const bytes = Uint8Array.of(marker, 0, 0);
  rig.pending.set(id, bytes);
  rig.relay.sendFirst(id, bytes, nowMs);
}

describe('transaction relay: who is sent what', () => {
  it('sends a new transaction once to every other validator, connected or not, and watches it', () => {
    const rig = rigOf(['v1', 'v2', 'v3'], ['v1']);
    submit(rig, 'a', 7, 0);
    assert.deepEqual(rig.sends, ['v1:7', 'v2:7', 'v3:7']);
    assert.equal(rig.relay.watchedTxs, 1);
  });

  it('neither sends nor watches when there is no other validator', () => {
    const rig = rigOf([], ['f1']);
    submit(rig, 'a', 7, 0);
    assert.deepEqual(rig.sends, []);
    assert.equal(rig.relay.watchedTxs, 0);
    assert.equal(rig.relay.tick(POLICY.minAgeMs * 10), 0);
  });

  it('re-sends a waiting transaction, once due, to the connected validators only', () => {
    const rig = rigOf(['v1', 'v2', 'v3'], ['v1', 'v3', 'f1']);
    submit(rig, 'a', 7, 0);
    rig.sends.length = 0;
    assert.equal(rig.relay.tick(POLICY.minAgeMs - 1), 0, 'not due yet');
    assert.deepEqual(rig.sends, []);
    assert.equal(rig.relay.tick(POLICY.minAgeMs), 1);
    assert.deepEqual(rig.sends, ['v1:7', 'v3:7']);
  });

  it('skips a tick with no validator connected without spending the backoff', () => {
    const rig = rigOf(['v1', 'v2'], ['f1']);
    submit(rig, 'a', 7, 0);
    rig.sends.length = 0;
    assert.equal(rig.relay.tick(POLICY.minAgeMs), 0);
    assert.deepEqual(rig.sends, []);
    // Had that tick counted as a send, the next would wait for the doubled age (6 s).
    rig.connected = ['v2'];
    assert.equal(rig.relay.tick(POLICY.minAgeMs + 1_000), 1);
    assert.deepEqual(rig.sends, ['v2:7']);
  });

  it('forgets a transaction that left the mempool on the next tick that reaches it', () => {
    const rig = rigOf(['v1'], ['v1']);
    submit(rig, 'a', 7, 0);
    submit(rig, 'b', 8, 0);
    rig.pending.delete('a');
    rig.sends.length = 0;
    assert.equal(rig.relay.tick(POLICY.minAgeMs), 1);
    assert.deepEqual(rig.sends, ['v1:8']);
    assert.equal(rig.relay.watchedTxs, 1);
  });

  it('keeps watching while no validator is connected, and forgets once one is', () => {
    const rig = rigOf(['v1'], []);
    submit(rig, 'a', 7, 0);
    rig.pending.delete('a');
    rig.relay.tick(POLICY.minAgeMs);
    assert.equal(rig.relay.watchedTxs, 1);
    rig.connected = ['v1'];
    assert.equal(rig.relay.tick(POLICY.minAgeMs), 0);
    assert.equal(rig.relay.watchedTxs, 0);
  });
});

describe('transaction relay: what a validator that connects is sent', () => {
  it('sends a connecting validator the oldest waiting transactions, relayed ones too, within the bounds', () => {
    const rig = rigOf(['v1', 'v2'], ['v1', 'v2']);
    // Relayed here by a peer (never sent first by this node): re-relay would never send these.
    for (const marker of [1, 2, 3, 4]) rig.pending.set(`relayed-${marker}`, Uint8Array.of(marker, 0, 0));
    assert.equal(rig.relay.sendOnConnect('v2', 0), CONNECT_POLICY.maxTxs);
    assert.deepEqual(rig.sends, ['v2:1', 'v2:2', 'v2:3'], 'oldest first, to that validator only');
    assert.equal(rig.relay.watchedTxs, 0, 'what another node submitted stays that node to re-send');
  });

  it('bounds the bytes sent on a connect', () => {
    const rig = rigOf(['v1'], ['v1']);
    rig.pending.set('big1', new Uint8Array(40 * 1024).fill(5));
    rig.pending.set('big2', new Uint8Array(40 * 1024).fill(6));
    assert.equal(rig.relay.sendOnConnect('v1', 0), 1);
    assert.deepEqual(rig.sends, ['v1:5']);
  });

  it('sends nothing to a follower, or to a validator that connected again within the gap', () => {
    const rig = rigOf(['v1'], ['v1', 'f1']);
    rig.pending.set('a', Uint8Array.of(7));
    assert.equal(rig.relay.sendOnConnect('f1', 0), 0);
    assert.equal(rig.relay.sendOnConnect('v1', 1_000), 1);
    assert.equal(rig.relay.sendOnConnect('v1', 1_000 + CONNECT_POLICY.minGapMs - 1), 0, 'a reconnect loop');
    assert.equal(rig.relay.sendOnConnect('v1', 1_000 + CONNECT_POLICY.minGapMs), 1);
    assert.deepEqual(rig.sends, ['v1:7', 'v1:7']);
  });

  it('does not spend the gap on a connect when nothing waits', () => {
    const rig = rigOf(['v1'], ['v1']);
    assert.equal(rig.relay.sendOnConnect('v1', 0), 0);
    rig.pending.set('a', Uint8Array.of(7));
    assert.equal(rig.relay.sendOnConnect('v1', 1), 1);
    assert.deepEqual(rig.sends, ['v1:7']);
  });
});
