import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import {
  libp2pKeyFromSeed,
  peerIdFromNodeKey,
  peerIdFromSeed,
  reconnectDelayMs,
} from '../../src/node/net/index.js';
import { dialAddressOf, PeerTable } from '../../src/node/net/peer-table.js';
import { Semaphore } from '../../src/node/net/semaphore.js';
import { rejectsWith, throwsWith } from '../helpers/rejects.js';

const seed = new Uint8Array(32).fill(9);

describe('net peer identities', () => {
  it('the libp2p key from a node seed has the same Ed25519 public key as the ledger signer', async () => {
    const libp2pKey = await libp2pKeyFromSeed(seed);
    const signer = new Ed25519Signer(seed);
    assert.deepEqual(libp2pKey.publicKey.raw, signer.publicKey);
    const fromSeed = await peerIdFromSeed(seed);
    assert.ok(fromSeed.equals(peerIdFromNodeKey(signer.publicKey, 'test')));
  });

  it('refuses keys of the wrong length', async () => {
    throwsWith(
      () => peerIdFromNodeKey(new Uint8Array(31), 'peers.x'),
      'KEY_INVALID',
      'peers.x: an Ed25519 public key has 32 bytes',
    );
    await rejectsWith(libp2pKeyFromSeed(new Uint8Array(16)), 'KEY_INVALID', 'a node key seed has 32 bytes');
  });

  it('the peer table skips ourselves, refuses duplicates, and gates banned peers', async () => {
    const self = await peerIdFromSeed(seed);
    const other = new Ed25519Signer(new Uint8Array(32).fill(10)).publicKey;
    const table = new PeerTable(
      [
        { id: 'me', publicKey: new Ed25519Signer(seed).publicKey, address: '/ip4/127.0.0.1/tcp/1' },
        { id: 'other', publicKey: other, address: '/ip4/127.0.0.1/tcp/2' },
      ],
      self.toString(),
    );
    assert.equal(table.byOrg('me'), undefined);
    const entry = table.require('other');
    assert.ok(entry.dialAddress?.toString().endsWith(`/p2p/${entry.peerIdText}`));
    assert.equal(table.byPeerId(entry.peerId), entry, 'found by peer id');
    assert.equal(table.byPeerId(entry.peerIdText), entry, 'and by its text');
    assert.equal(table.isAllowed(entry.peerId, 1000), true);
    assert.equal(table.isAllowed(self, 1000), false);
    entry.bannedUntilMs = 2000;
    assert.equal(table.isAllowed(entry.peerId, 1999), false);
    assert.equal(table.isAllowed(entry.peerId, 2000), true);
    assert.throws(
      () => table.require('stranger'),
      (error) => isBayledgerError(error, 'PEER_UNKNOWN'),
    );
    assert.throws(
      () =>
        new PeerTable(
          [
            { id: 'a', publicKey: other, address: undefined },
            { id: 'b', publicKey: other, address: undefined },
          ],
          self.toString(),
        ),
      (error) => isBayledgerError(error, 'CONFIG_INVALID'),
    );
  });

  it('the peer table takes up to maxOrganisations peers and refuses one more', async () => {
    const self = (await peerIdFromSeed(seed)).toString();
    const peers = Array.from({ length: LIMITS.maxOrganisations + 1 }, (_, i) => {
      const peerSeed = new Uint8Array(32);
      new DataView(peerSeed.buffer).setUint32(0, i + 1);
      return { id: `org-${i}`, publicKey: new Ed25519Signer(peerSeed).publicKey, address: undefined };
    });
    const table = new PeerTable(peers.slice(0, LIMITS.maxOrganisations), self);
    assert.equal([...table.entries()].length, LIMITS.maxOrganisations);
    assert.throws(
      () => new PeerTable(peers, self),
      (error) =>
        isBayledgerError(error, 'CONFIG_INVALID') &&
        /at most 256 peers, got 257/.test((error as Error).message),
    );
  });

  it('refuses an address naming another peer id, or not a multiaddr', async () => {
    const expected = (await peerIdFromSeed(seed)).toString();
    const someoneElse = (await peerIdFromSeed(new Uint8Array(32).fill(3))).toString();
    assert.equal(
      dialAddressOf(`/ip4/10.0.0.1/tcp/7/p2p/${expected}`, expected, 'x').toString(),
      `/ip4/10.0.0.1/tcp/7/p2p/${expected}`,
    );
    assert.throws(
      () => dialAddressOf(`/ip4/10.0.0.1/tcp/7/p2p/${someoneElse}`, expected, 'x'),
      (error) => isBayledgerError(error, 'CONFIG_INVALID'),
    );
    assert.throws(
      () => dialAddressOf('tcp://10.0.0.1:7', expected, 'x'),
      (error) => isBayledgerError(error, 'CONFIG_INVALID'),
    );
  });
});

describe('net reconnect backoff', () => {
  it('doubles from the minimum and stays within the cap, jitter included', () => {
    const middle = () => 0.5;
    assert.equal(reconnectDelayMs(0, {}, middle), LIMITS.minReconnectBackoffMs);
    assert.equal(reconnectDelayMs(1, {}, middle), 2 * LIMITS.minReconnectBackoffMs);
    for (let attempt = 0; attempt < 100; attempt++) {
      for (const random of [() => 0, () => 0.999]) {
        const delay = reconnectDelayMs(attempt, {}, random);
        assert.ok(
          delay >= 0.8 * LIMITS.minReconnectBackoffMs && delay <= LIMITS.maxReconnectBackoffMs,
          `${attempt}: ${delay}`,
        );
      }
    }
    assert.equal(
      reconnectDelayMs(1000, { maxDelayMs: 10 * LIMITS.maxReconnectBackoffMs }, () => 0.999),
      LIMITS.maxReconnectBackoffMs,
    );
  });
});

describe('net request slots', () => {
  it('admits up to capacity, queues the rest in order, and times out waiters', async () => {
    const slots = new Semaphore(2);
    const forever = new AbortController().signal;
    const a = await slots.acquire(forever, 'x');
    const b = await slots.acquire(forever, 'x');
    const order: string[] = [];
    const c = slots.acquire(forever, 'x').then((release) => {
      order.push('c');
      return release;
    });
    const d = slots.acquire(forever, 'x').then((release) => {
      order.push('d');
      return release;
    });
    await assert.rejects(slots.acquire(AbortSignal.timeout(20), 'x'), (error) =>
      isBayledgerError(error, 'TIMEOUT'),
    );
    a();
    a(); // releasing twice is harmless
    (await c)();
    b();
    (await d)();
    assert.deepEqual(order, ['c', 'd']);
    const e = await slots.acquire(AbortSignal.timeout(1000), 'x');
    const f = await slots.acquire(AbortSignal.timeout(1000), 'x');
    e();
    f();
  });
});
