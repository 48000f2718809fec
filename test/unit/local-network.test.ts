// The readiness wait of a local network (src/node/local-network.ts), against fake node APIs on
// ports from the OS instead of node processes: each poll asks a node's /status once, also on the
// poll that confirms its identity, and that identity check is as strict as before (organisation,
// chain id, genesis hash from block 1's previousHash).
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isBayledgerError } from '../../src/core/errors.js';
import {
  type ExpectedIdentity,
  type LocalNodeInfo,
  probeNode,
  waitUntilReady,
} from '../../src/node/local-network.js';

const CHAIN = 'test-chain';
const GENESIS = 'ab'.repeat(32);

interface FakeNode {
  readonly api: string;
  /** How many times /status was asked. */
  statusRequests: number;
  /** How many times /chain/blocks/1 was asked (the genesis check of a node past height 0). */
  blockRequests: number;
  close(): Promise<void>;
}

/** A fake node API whose /status is `status(n)` on the n-th request (from 1); undefined: 503. */
async function fakeNode(
  status: (request: number) => Record<string, unknown> | undefined,
  block1PreviousHash = GENESIS,
): Promise<FakeNode> {
  const node = { api: '', statusRequests: 0, blockRequests: 0, close: async () => {} };
  const server = http.createServer((request, response) => {
    let body: unknown;
    if (request.url === '/status') body = status(++node.statusRequests);
    else if (request.url === '/chain/blocks/1') {
      node.blockRequests++;
      body = { header: { previousHash: block1PreviousHash } };
    }
    response.writeHead(body === undefined ? 503 : 200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body ?? { error: { code: 'NOT_READY', message: 'starting' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  node.api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  node.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return node;
}

function info(org: string, role: string, api: string): LocalNodeInfo {
  return { org, role, api, tokenFile: '', config: '', log: `${org}/node.log` };
}

function identity(org: string): ExpectedIdentity {
  return { org, chainId: CHAIN, genesisHash: GENESIS };
}

describe('local network readiness', () => {
  const opened: FakeNode[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((node) => node.close()));
  });
  async function open(...args: Parameters<typeof fakeNode>): Promise<FakeNode> {
    const node = await fakeNode(...args);
    opened.push(node);
    return node;
  }

  /**
   * A validator meshed from its first answer (height 0, no peers needed) and a follower answering
   * `followerStatus(n)`; resolves once waitUntilReady has seen both ready.
   */
  async function waitForPair(
    followerStatus: (request: number) => Record<string, unknown> | undefined,
    onProgress?: (message: string) => void,
  ): Promise<{ validator: FakeNode; follower: FakeNode }> {
    const validator = await open(() => ({
      org: 'a',
      chainId: CHAIN,
      height: 0,
      blockHash: GENESIS,
      peers: [],
      ready: true,
    }));
    const follower = await open(followerStatus);
    await waitUntilReady(
      [info('a', 'validator', validator.api), info('b', 'follower', follower.api)],
      new Map([
        ['a', identity('a')],
        ['b', identity('b')],
      ]),
      new Map(),
      { dir: '', command: [], readyTimeoutMs: 10_000, onProgress },
    );
    return { validator, follower };
  }

  it('asks each node for /status once per poll, also on the poll that confirms it', async () => {
    // The validator is meshed from its first answer; the follower does not answer its first
    // /status (a node still starting), so the wait takes exactly two polls and confirms the
    // follower on the second: each node must have been asked twice, not three times.
    const progress: string[] = [];
    const { validator, follower } = await waitForPair(
      (n) =>
        n === 1
          ? undefined
          : { org: 'b', chainId: CHAIN, height: 3, blockHash: 'cd'.repeat(32), peers: ['a'], ready: true },
      (message) => progress.push(message),
    );
    assert.equal(validator.statusRequests, 2);
    assert.equal(follower.statusRequests, 2);
    assert.deepEqual(progress, ['1/2 nodes answering', '2/2 nodes answering, connecting peers']);
  });

  it('checks the identity of a node once: later polls only read its /status', async () => {
    // The follower is confirmed on the second poll (height 3: its genesis is read from block 1)
    // but meshed only on the third; that third poll must not read block 1 again.
    const { follower } = await waitForPair((n) =>
      n === 1
        ? undefined
        : {
            org: 'b',
            chainId: CHAIN,
            height: 3,
            blockHash: 'cd'.repeat(32),
            peers: n === 2 ? [] : ['a'],
            ready: true,
          },
    );
    assert.equal(follower.statusRequests, 3);
    assert.equal(follower.blockRequests, 1);
  });

  it('waits for every node to be ready, not only connected: its transfer routes come a moment later', async () => {
    // The follower is connected from its first answer but ready only from its third.
    const { follower } = await waitForPair((n) => ({
      org: 'b',
      chainId: CHAIN,
      height: 0,
      blockHash: GENESIS,
      peers: ['a'],
      ready: n >= 3,
    }));
    assert.equal(follower.statusRequests, 3);
  });

  it('probeNode returns the /status it checked the identity on', async () => {
    const node = await open(() => ({ org: 'a', chainId: CHAIN, height: 5, peers: ['b'] }));
    const probe = await probeNode(node.api, identity('a'));
    assert.equal(probe.kind, 'mine');
    assert.deepEqual(probe.kind === 'mine' ? probe.status : undefined, {
      org: 'a',
      chainId: CHAIN,
      height: 5,
      peers: ['b'],
    });
    assert.equal(node.statusRequests, 1);
  });

  it('probeNode tells another organisation, chain or genesis from this network', async () => {
    const otherOrg = await open(() => ({ org: 'x', chainId: CHAIN, height: 0, blockHash: GENESIS }));
    const otherChain = await open(() => ({ org: 'a', chainId: 'other', height: 0, blockHash: GENESIS }));
    const otherGenesis = await open(() => ({ org: 'a', chainId: CHAIN, height: 2 }), 'ef'.repeat(32));
    const otherTip = await open(() => ({ org: 'a', chainId: CHAIN, height: 0, blockHash: 'ef'.repeat(32) }));
    assert.deepEqual(await probeNode(otherOrg.api, identity('a')), {
      kind: 'other',
      description: `another node (org x, chain ${CHAIN})`,
    });
    assert.deepEqual(await probeNode(otherChain.api, identity('a')), {
      kind: 'other',
      description: 'another node (org a, chain other)',
    });
    for (const node of [otherGenesis, otherTip])
      assert.deepEqual(await probeNode(node.api, identity('a')), {
        kind: 'other',
        description: `another node (org a, chain ${CHAIN}, genesis ${'ef'.repeat(8)}...)`,
      });
  });

  it('fails naming the port when a node is answered by another network', async () => {
    const impostor = await open(() => ({ org: 'a', chainId: CHAIN, height: 1 }), 'ef'.repeat(32));
    await assert.rejects(
      waitUntilReady([info('a', 'validator', impostor.api)], new Map([['a', identity('a')]]), new Map(), {
        dir: '',
        command: [],
        readyTimeoutMs: 10_000,
      }),
      (error: unknown) => {
        assert.ok(isBayledgerError(error, 'CONFLICT'), String(error));
        assert.match(
          error.message,
          new RegExp(
            `^node a: port ${new URL(impostor.api).port} is answered by another node \\(org a, chain ${CHAIN}, genesis efefefef`,
          ),
        );
        return true;
      },
    );
  });
});
