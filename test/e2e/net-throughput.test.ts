import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import { createSilentLogger } from '../../src/node/log/index.js';
import { createPeerNetwork, type PeerNetwork } from '../../src/node/net/index.js';
import { waitFor } from '../helpers/wait.js';

// Measures small-message throughput between two nodes on loopback, with batching. The design
// target is tens of thousands of messages a second (gossipsub managed 1 to 2 thousand here).
const PROTOCOL = '/bayledger-test/throughput/1';
const MESSAGES = 200_000;
const MESSAGE_BYTES = 100;
/** The sender keeps at most this many messages queued, so nothing is dropped. */
const MAX_QUEUED = 5_000;

describe('peer network throughput (loopback, batched)', function () {
  this.timeout(120_000);
  const nets: PeerNetwork[] = [];

  after(async () => {
    await Promise.all(nets.map((net) => net.close()));
  });

  it(`delivers ${MESSAGES} messages of ${MESSAGE_BYTES} bytes at thousands per second`, async () => {
    const seeds = [new Uint8Array(32).fill(11), new Uint8Array(32).fill(12)];
    const peers = seeds.map((seed, i) => ({
      id: `n${i}`,
      publicKey: new Ed25519Signer(seed).publicKey,
      address: undefined,
    }));
    let received = 0;
    let lastN = -1;
    let outOfOrder = 0;
    for (const seed of seeds) {
      const net = await createPeerNetwork({
        nodeSeed: seed,
        listenAddress: '/ip4/127.0.0.1/tcp/0',
        peers,
        logger: createSilentLogger(),
      });
      await net.registerProtocol<number>({
        name: PROTOCOL,
        maxMessageBytes: 1024,
        decode: (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0),
        onMessage: (_from, n) => {
          if (n !== lastN + 1) outOfOrder++;
          lastN = n;
          received++;
        },
      });
      await net.start();
      nets.push(net);
    }
    const [sender, receiver] = nets as [PeerNetwork, PeerNetwork];
    sender.setPeerAddress('n1', receiver.listenAddresses()[0]!.replace(/\/p2p\/.*$/, ''));
    await waitFor('connected', () => sender.isConnected('n1') && receiver.isConnected('n0'));

    const startedMs = performance.now();
    let sent = 0;
    while (sent < MESSAGES) {
      // Pace on the queue so the drop-oldest policy never fires: this measures delivery, not loss.
      while (sent < MESSAGES && sender.queuedMessages('n1', PROTOCOL) < MAX_QUEUED) {
        const message = new Uint8Array(MESSAGE_BYTES);
        new DataView(message.buffer).setUint32(0, sent);
        sender.send('n1', PROTOCOL, message);
        sent++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor('all delivered', () => received === MESSAGES, { timeoutMs: 60_000, intervalMs: 2 });
    const seconds = (performance.now() - startedMs) / 1000;
    const rate = Math.round(MESSAGES / seconds);
    const stats = sender.stats();
    console.log(
      `      throughput: ${rate} messages/s (${MESSAGES} x ${MESSAGE_BYTES} B in ${seconds.toFixed(2)} s, ` +
        `${(stats.messagesSent / stats.framesSent).toFixed(0)} messages per frame)`,
    );
    assert.equal(outOfOrder, 0);
    assert.equal(stats.messagesDropped, 0);
    // A floor well under the measured rate, so a busy shared machine does not fail the suite.
    assert.ok(rate > 5_000, `only ${rate} messages/s`);
  });
});
