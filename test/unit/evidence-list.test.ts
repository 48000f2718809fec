// What `bayledger evidence list` prints (src/node/evidence): from a data directory each entry is
// checked with the genesis it trusts and a record that does not verify says why; over the API
// the summary is rebuilt from the signed messages (a node cannot relabel them), --genesis checks
// them locally, and a node of another chain, or one whose pages never end, is refused.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listingFooter } from '../../cli/commands/evidence.js';
import { toHex } from '../../src/core/bytes.js';
import { voteEvidence } from '../../src/core/consensus/evidence.js';
import type { Vote } from '../../src/core/consensus/messages.js';
import { signVote } from '../../src/core/consensus/signing.js';
import { BayledgerError } from '../../src/core/errors.js';
import { chainParamsOf } from '../../src/core/ledger/chain-params.js';
import { LIMITS } from '../../src/core/limits.js';
import { listEvidenceFromApi, listEvidenceFromDataDir } from '../../src/node/evidence/evidence-list.js';
import { evidencePage } from '../../src/node/evidence/evidence-view.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { fileableTestGenesis, type StoppedNodeFiles, writeStoppedNode } from '../helpers/chain.js';

const net = fileableTestGenesis(7700);
const params = chainParamsOf(net.genesis);
const GUILTY = params.validators[1]!.id;

function prevote(chainId: string, height: number, blockHash: Uint8Array | null): Vote {
  const signer = net.signers[GUILTY]!;
  return {
    type: 'prevote',
    height,
    round: 0,
    blockHash,
    validator: GUILTY,
    signature: signVote(signer, chainId, 'prevote', height, 0, blockHash),
  };
}

const GOOD = voteEvidence(
  prevote(params.chainId, 3, null),
  prevote(params.chainId, 3, new Uint8Array(32).fill(1)),
);
/** Signed for another network: valid signatures there, none here. */
const FOREIGN = voteEvidence(
  prevote('other-chain', 4, null),
  prevote('other-chain', 4, new Uint8Array(32).fill(2)),
);

async function serve(answer: (url: string) => unknown): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(answer(request.url ?? '')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('evidence list: every entry re-checked', () => {
  let files: StoppedNodeFiles;
  let servedPage: Awaited<ReturnType<typeof evidencePage>>;

  before(async () => {
    files = await writeStoppedNode(net, 1, 'bayledger-evidence-list-');
    const store = await LedgerStore.open(files.dataDir);
    try {
      await store.evidence.add(GOOD, 1_800_000_000);
      await store.evidence.add(FOREIGN, 1_800_000_100);
      servedPage = await evidencePage(store.evidence, params);
    } finally {
      await store.close();
    }
  });

  after(() => files?.remove());

  it('from a data directory: verifies against its genesis and says why a record does not', async () => {
    const listing = await listEvidenceFromDataDir(files.dataDir);
    assert.equal(listing.checkedWith, 'data directory genesis');
    assert.equal(listing.kept, 2);
    assert.deepEqual(
      listing.entries.map((entry) => [entry.height, entry.validator, entry.verifies, entry.reason]),
      [
        [3, GUILTY, true, null],
        [4, GUILTY, false, "the first vote's signature does not verify"],
      ],
    );
    assert.equal(listing.entries[0]!.receivedAt, '2027-01-15T08:00:00.000Z');
    assert.match(listingFooter(listing), /^2 kept, 0 dropped .*; checked with the data directory genesis$/);
    const withFile = await listEvidenceFromDataDir(files.dataDir, files.genesisFile);
    assert.equal(withFile.checkedWith, 'genesis file');
  });

  it('over the API: rebuilds the summary from the signed messages and checks them with --genesis', async () => {
    // A node that relabels its entries: another validator, and "verifies" for everything.
    const lying = {
      ...servedPage,
      entries: servedPage.entries.map((entry) => ({
        ...entry,
        validator: 'sz-cac',
        height: 99,
        verifies: true,
      })),
    };
    const { url, server } = await serve(() => lying);
    try {
      const trusting = await listEvidenceFromApi(url);
      assert.equal(trusting.checkedWith, 'node');
      assert.deepEqual(
        trusting.entries.map((entry) => [entry.validator, entry.height, entry.verifies]),
        [
          [GUILTY, 3, true],
          [GUILTY, 4, true],
        ],
      );
      // Nothing was verified here, and the listing's last line says so.
      assert.match(listingFooter(trusting), /checked with the node: NOT verified here.*--genesis FILE/);
      const checked = await listEvidenceFromApi(url, files.genesisFile);
      assert.equal(checked.checkedWith, 'genesis file');
      assert.match(listingFooter(checked), /; checked with the genesis file$/);
      assert.deepEqual(
        checked.entries.map((entry) => entry.verifies),
        [true, false],
      );
      assert.equal(
        checked.entries[0]!.evidence,
        toHex(new Uint8Array(Buffer.from(servedPage.entries[0]!.evidence, 'hex'))),
      );
    } finally {
      server.close();
    }
  });

  it('over the API: pages until the end, and refuses endless pages and a node of another chain', async () => {
    const pages = [
      { ...servedPage, entries: servedPage.entries.slice(0, 1), next: servedPage.entries[0]!.cursor },
      { ...servedPage, entries: servedPage.entries.slice(1), next: null },
    ];
    const { url, server } = await serve((path) => (path.includes('after=') ? pages[1] : pages[0]));
    try {
      const listing = await listEvidenceFromApi(url, files.genesisFile);
      assert.deepEqual(
        listing.entries.map((entry) => entry.height),
        [3, 4],
      );
    } finally {
      server.close();
    }
    const endless = await serve(() => ({ ...servedPage, next: servedPage.entries[0]!.cursor }));
    try {
      // A full store is 100 pages of 100; one page more is allowed, then the node is not trusted.
      await assert.rejects(
        listEvidenceFromApi(endless.url),
        (error: unknown) =>
          error instanceof BayledgerError &&
          error.code === 'REMOTE_ERROR' &&
          /more than 101 pages/.test(error.message),
      );
    } finally {
      endless.server.close();
    }
    // A page of exactly the page size is taken; one entry more, or a page that is no page, is not.
    const entry = servedPage.entries[0]!;
    const fullPage = await serve(() => ({
      ...servedPage,
      entries: new Array(LIMITS.maxEvidencePage).fill(entry),
      next: null,
    }));
    try {
      assert.equal((await listEvidenceFromApi(fullPage.url)).entries.length, LIMITS.maxEvidencePage);
    } finally {
      fullPage.server.close();
    }
    const { cursor: _cursor, ...withoutCursor } = entry;
    for (const [name, answer, message] of [
      [
        'over-full',
        { ...servedPage, entries: new Array(LIMITS.maxEvidencePage + 1).fill(entry) },
        /not an evidence page/,
      ],
      ['not a page', [servedPage], /not an evidence page/],
      ['no cursor', { ...servedPage, entries: [withoutCursor], next: null }, /without its cursor/],
    ] as const) {
      const bad = await serve(() => answer);
      try {
        await assert.rejects(
          listEvidenceFromApi(bad.url),
          (error: unknown) =>
            error instanceof BayledgerError && error.code === 'REMOTE_ERROR' && message.test(error.message),
          name,
        );
      } finally {
        bad.server.close();
      }
    }
    const other = await serve(() => ({ ...servedPage, chainId: 'other-chain' }));
    try {
      await assert.rejects(
        listEvidenceFromApi(other.url, files.genesisFile),
        (error: unknown) => error instanceof BayledgerError && error.code === 'CONFIG_INVALID',
      );
    } finally {
      other.server.close();
    }
  });
});
