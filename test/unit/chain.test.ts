// Chain reading, export and verification over a real data directory: every ChainReader view,
// proofs against an independent naive RFC 9162 implementation, export round trip, and
// verification of the data directory and of the export.
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { decodeProofBundle, verifyProofBundle } from '../../src/core/ledger/proof-bundle.js';
import { leafHash } from '../../src/core/merkle/index.js';
import type { CommittedBlockSource } from '../../src/node/chain/block-source.js';
import { cborItemLength, readCborSequence } from '../../src/node/chain/cbor-sequence.js';
import { openChainExport, writeChainExport } from '../../src/node/chain/export-file.js';
import { openDataDir } from '../../src/node/chain/open-chain.js';
import { StoreBlockSource } from '../../src/node/chain/store-block-source.js';
import { StoreChainReader } from '../../src/node/chain/store-chain-reader.js';
import { verifyDataDir, verifyExportFile } from '../../src/node/chain/verify-sources.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import {
  buildChain,
  commitChain,
  fileableTestGenesis,
  type TestChain,
  workloadBlocks,
} from '../helpers/chain.js';
import { testGenesis } from '../helpers/fixtures.js';
import { naiveConsistency, naivePath, naiveRoot } from '../helpers/naive-merkle.js';
import { rejectsWith } from '../helpers/rejects.js';

const hex = (bytes: readonly Uint8Array[]) => bytes.map((b) => toHex(b));

describe('chain: reader, export and verify over a data directory', function () {
  this.timeout(20_000);
  const net = fileableTestGenesis();
  let directory: string;
  let dataDir: string;
  let chain: TestChain;
  let leaves: Uint8Array[];

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'bayledger-chain-'));
    dataDir = join(directory, 'data');
    const blocks = workloadBlocks(net, 9);
    blocks.splice(4, 0, []); // an empty block in the middle
    chain = buildChain({ genesis: net.genesis, signers: net.signers, blocks });
    leaves = chain.blocks.flatMap(({ block }) => block.txs);
    const store = await LedgerStore.open(dataDir);
    await commitChain(store, chain);
    await store.close();
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function withReader<T>(use: (reader: StoreChainReader) => Promise<T>): Promise<T> {
    const { store, params } = await openDataDir(dataDir);
    const reader = new StoreChainReader(store, params);
    try {
      return await use(reader);
    } finally {
      await reader.close();
    }
  }

  it('reports status, blocks, transactions and checkpoints with hex hashes', async () => {
    await withReader(async (reader) => {
      const status = await reader.status();
      assert.deepEqual(status, {
        chainId: 'gba-health-test',
        height: 10,
        blockHash: toHex(chain.tip.blockHash),
        logSize: leaves.length,
        logRoot: toHex(naiveRoot(leaves)),
      });
      const block = await reader.block(3);
      assert.equal(block.header.height, 3);
      assert.deepEqual(block.txIds, hex(chain.applied[2]!.txIds));
      assert.equal(block.certificate.signatures.length, 4);
      const txId = toHex(chain.applied[2]!.txIds[1]!);
      const tx = await reader.tx(txId);
      assert.equal(tx.kind, 'transfer.declare');
      assert.deepEqual([tx.height, tx.index, tx.leafIndex], [3, 1, 4]);
      assert.equal(tx.leaf, toHex(leaves[4]!));
      assert.equal((tx.body as { sender: string }).sender, 'hku-szh');
      assert.deepEqual((tx.outcome as { accepted: boolean }).accepted, true);
      const checkpoint = await reader.checkpoint();
      assert.equal(checkpoint.height, 10);
      assert.equal(checkpoint.logRoot, toHex(chain.tip.logRoot));
      assert.equal((await reader.checkpoint(2)).logSize, 3);
    });
  });

  it('serves inclusion and consistency proofs equal to the naive reference, for every size', async () => {
    await withReader(async (reader) => {
      for (const [leafIndex, leaf] of leaves.entries()) {
        const txId = toHex(chain.applied.flatMap((a) => a.txIds)[leafIndex]!);
        for (const treeSize of [leafIndex + 1, Math.min(leaves.length, leafIndex + 3), leaves.length]) {
          const proof = await reader.inclusionProof(txId, treeSize);
          assert.equal(proof.leafIndex, leafIndex);
          assert.equal(proof.leafHash, toHex(leafHash(leaf)));
          assert.deepEqual(proof.path, hex(naivePath(leafIndex, leaves.slice(0, treeSize))));
          assert.equal(proof.root, toHex(naiveRoot(leaves.slice(0, treeSize))));
        }
      }
      for (let oldSize = 1; oldSize <= leaves.length; oldSize++) {
        const proof = await reader.consistencyProof(oldSize, leaves.length);
        assert.deepEqual(proof.path, hex(naiveConsistency(oldSize, leaves)));
        assert.equal(proof.oldRoot, toHex(naiveRoot(leaves.slice(0, oldSize))));
      }
    });
  });

  it('refuses unknown ids, heights and sizes with NOT_FOUND or USAGE', async () => {
    await withReader(async (reader) => {
      const unknown = 'ab'.repeat(32);
      const cases: [() => Promise<unknown>, string][] = [
        [() => reader.tx(unknown), 'NOT_FOUND'],
        [() => reader.tx('xyz'), 'USAGE'],
        [() => reader.block(11), 'NOT_FOUND'],
        [() => reader.block(0), 'NOT_FOUND'],
        [() => reader.checkpoint(99), 'NOT_FOUND'],
        [() => reader.inclusionProof(toHex(chain.applied[9]!.txIds[0]!), 2), 'NOT_FOUND'],
        [() => reader.consistencyProof(3, leaves.length + 1), 'NOT_FOUND'],
        [() => reader.consistencyProof(5, 3), 'USAGE'],
      ];
      for (const [call, code] of cases) {
        await assert.rejects(call(), (e: unknown) => isBayledgerError(e, code as never));
      }
    });
  });

  it("says which height, size or leaf it refuses, at each bound's edge", async () => {
    await withReader(async (reader) => {
      const logSize = leaves.length;
      // The last block's first transaction: its leaf index is the number of leaves before it.
      const lastTx = toHex(chain.applied[9]!.txIds[0]!);
      const leafIndex = logSize - chain.applied[9]!.txIds.length;
      const expectations: [() => Promise<unknown>, string][] = [
        [() => reader.block(11), 'no block at height 11 (the chain is at height 10)'],
        [() => reader.block(0), 'no block at height 0 (the chain is at height 10)'],
        [() => reader.block(1.5), 'no block at height 1.5 (the chain is at height 10)'],
        [() => reader.inclusionProof(lastTx, 0), `tree size 0 is not between 1 and the log size ${logSize}`],
        [
          () => reader.inclusionProof(lastTx, logSize + 1),
          `tree size ${logSize + 1} is not between 1 and the log size ${logSize}`,
        ],
        [
          () => reader.inclusionProof(lastTx, leafIndex),
          `transaction ${lastTx} is leaf ${leafIndex}, not in a tree of size ${leafIndex}`,
        ],
        [() => reader.consistencyProof(0, 3), `old size 0 is not between 1 and the log size ${logSize}`],
        [
          () => reader.consistencyProof(3, logSize + 1),
          `new size ${logSize + 1} is not between 1 and the log size ${logSize}`,
        ],
      ];
      for (const [call, message] of expectations) {
        await rejectsWith(call(), 'NOT_FOUND', message);
      }
      // Just inside each bound.
      assert.equal((await reader.block(10)).height, 10);
      assert.equal((await reader.inclusionProof(lastTx, leafIndex + 1)).treeSize, leafIndex + 1);
      assert.equal((await reader.consistencyProof(1, logSize)).newSize, logSize);
    });
  });

  it('refuses a block or checkpoint of a chain with none yet as not found, not as a corrupt store', async () => {
    const store = await LedgerStore.open(join(directory, 'empty'));
    const reader = new StoreChainReader(store, chain.params);
    try {
      await rejectsWith(reader.checkpoint(), 'NOT_FOUND', 'the chain has no block yet, so no checkpoint');
      await rejectsWith(reader.block(1), 'NOT_FOUND', 'no block at height 1 (the chain is at height 0)');
    } finally {
      await reader.close();
      await store.close();
    }
  });

  it('writes proof bundles that verify offline with the genesis alone', async () => {
    const txId = chain.applied[6]!.txIds[2]!;
    const encoded = await withReader((reader) => reader.proofBundle(toHex(txId)));
    const verdict = verifyProofBundle(decodeProofBundle(encoded), chain.params);
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
    assert.deepEqual(
      [verdict.kind, verdict.height, toHex(verdict.txId)],
      ['transfer.receipt', 7, toHex(txId)],
    );
  });

  it('verifies the data directory, with or without a genesis file', async () => {
    const genesisPath = join(directory, 'genesis.json');
    const { store } = await openDataDir(dataDir);
    await writeFile(genesisPath, store.genesis!.json);
    await store.close();
    for (const path of [undefined, genesisPath]) {
      const progress: number[] = [];
      const { report, genesisSource } = await verifyDataDir(dataDir, path, (height) => progress.push(height));
      assert.ok(report.ok, report.ok ? '' : `${report.height}: ${report.reason}`);
      assert.equal(genesisSource, path ? 'file' : 'data-dir');
      assert.equal(report.height, 10);
      assert.equal(report.txCount, leaves.length);
      assert.ok(report.stateEntries > 20, `${report.stateEntries} state entries compared`);
      // Every complete perfect subtree: 2n - popcount(n) nodes for n leaves.
      const popcount = leaves.length.toString(2).replaceAll('0', '').length;
      assert.equal(report.treeNodes, 2 * leaves.length - popcount);
      assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
    const other = fileableTestGenesis(7200, { chainId: 'another-chain' });
    const otherPath = join(directory, 'other-genesis.json');
    const otherStore = await LedgerStore.open(join(directory, 'other'));
    await commitChain(otherStore, buildChain({ genesis: other.genesis, signers: other.signers, blocks: [] }));
    await writeFile(otherPath, otherStore.genesis!.json);
    await otherStore.close();
    await assert.rejects(verifyDataDir(dataDir, otherPath), /belongs to genesis/);
  });

  it('refuses to export onto a directory before reading a block, and leaves nothing beside it', async () => {
    const target = join(directory, 'export-dir');
    await mkdir(target);
    let blocksRead = 0;
    const counting: CommittedBlockSource = {
      height: 10,
      async *blocks() {
        blocksRead++;
        yield* chain.blocks;
      },
    };
    await rejectsWith(
      writeChainExport(counting, chain.params, target),
      'FILE_UNWRITABLE',
      `${target}: cannot write the chain export file: a directory is in the way (EISDIR; --out)`,
    );
    assert.equal(blocksRead, 0);
    assert.deepEqual(
      (await readdir(directory)).filter((name) => name.startsWith('export-dir')),
      ['export-dir'],
    );
  });

  it('exports a CBOR sequence that verifies without the node, and catches a changed byte', async () => {
    const exportPath = join(directory, 'chain.cbor');
    const { store, params } = await openDataDir(dataDir);
    const written = await writeChainExport(new StoreBlockSource(store), params, exportPath);
    await store.close();
    assert.equal(written.height, 10);
    const { header, source } = await openChainExport(exportPath);
    assert.deepEqual([header.chainId, header.height], ['gba-health-test', 10]);
    let count = 0;
    for await (const { block } of source.blocks()) assert.equal(block.header.height, ++count);
    assert.equal(count, 10);
    const report = await verifyExportFile(exportPath, chain.params);
    assert.ok(report.ok, report.ok ? '' : report.reason);
    assert.equal(report.blockHash, toHex(chain.tip.blockHash));

    // Change one byte inside the last transaction of block 6: the certificate still matches the
    // header, so only re-deriving the roots finds it, at height 6.
    const bytes = new Uint8Array(await readFile(exportPath));
    const target = chain.blocks[5]!.block.txs.at(-1)!;
    const offset = Buffer.from(bytes).indexOf(Buffer.from(target)) + target.length - 70;
    bytes[offset]! ^= 0x01;
    await writeFile(exportPath, bytes);
    const tampered = await verifyExportFile(exportPath, chain.params);
    assert.equal(tampered.ok, false);
    if (!tampered.ok) assert.equal(tampered.height, 6, tampered.reason);

    await writeFile(exportPath, bytes.subarray(0, 2000));
    const truncated = await verifyExportFile(exportPath, chain.params);
    assert.equal(truncated.ok, false);

    // Cut at a block boundary: four whole blocks under a header that announces ten.
    const reopened = await openDataDir(dataDir);
    const whole = new StoreBlockSource(reopened.store);
    const firstFour: CommittedBlockSource = {
      height: 10,
      async *blocks() {
        for await (const block of whole.blocks()) {
          if (block.block.header.height > 4) return;
          yield block;
        }
      },
    };
    await writeChainExport(firstFour, reopened.params, exportPath);
    await reopened.store.close();
    const short = await verifyExportFile(exportPath, chain.params);
    assert.deepEqual(short.ok ? {} : { height: short.height, code: short.code }, {
      height: 5,
      code: 'SCHEMA_INVALID',
    });
    assert.match(short.ok ? '' : short.reason, /4 blocks, the header announces 10/);

    // All ten blocks under a header that announces four: the fifth item is refused.
    const again = await openDataDir(dataDir);
    const all = new StoreBlockSource(again.store);
    await writeChainExport({ height: 4, blocks: () => all.blocks() }, again.params, exportPath);
    await again.store.close();
    const long = await openChainExport(exportPath);
    let read = 0;
    await rejectsWith(
      (async () => {
        for await (const _ of long.source.blocks()) read++;
      })(),
      'SCHEMA_INVALID',
      `${exportPath}: more than the 4 blocks the header announces`,
    );
    assert.equal(read, 4);
    const other = testGenesis({ chainId: 'another-chain' });
    const wrongNetwork = await verifyExportFile(
      exportPath,
      buildChain({ genesis: other.genesis, signers: other.signers, blocks: [] }).params,
    );
    assert.equal(wrongNetwork.ok, false);
    if (!wrongNetwork.ok) assert.equal(wrongNetwork.code, 'WRONG_CHAIN');
    // The same chain id under another genesis is another chain too.
    const sameIdOtherGenesis = await verifyExportFile(exportPath, {
      ...chain.params,
      genesisHash: new Uint8Array(32).fill(9),
    });
    assert.equal(sameIdOtherGenesis.ok ? '' : sameIdOtherGenesis.code, 'WRONG_CHAIN');
  });
});

describe('chain: CBOR sequence reader', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'bayledger-cborseq-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function readAll(bytes: Uint8Array, chunkBytes: number, maxItemBytes = 1024): Promise<unknown[]> {
    const path = join(directory, 'sequence.cbor');
    await writeFile(path, bytes);
    const items: unknown[] = [];
    for await (const item of readCborSequence(path, maxItemBytes, chunkBytes)) items.push(item);
    return items;
  }

  const items = [
    { format: 'x', list: [1, 2, [3, { deep: new Uint8Array(40).fill(7) }]] },
    'text item',
    [new Uint8Array(300).fill(1), -5, 2 ** 40, null, true],
    {},
  ];
  const sequence = Buffer.concat(items.map((item) => encodeCanonical(item)));

  it('splits items correctly whatever the read chunk size', async () => {
    for (const chunkBytes of [1, 2, 7, 64, 4096]) {
      assert.deepEqual(
        (await readAll(sequence, chunkBytes)).map((item) => toHex(encodeCanonical(item))),
        items.map((item) => toHex(encodeCanonical(item))),
        `chunk ${chunkBytes}`,
      );
    }
    assert.equal(cborItemLength(sequence, 0, 1024), encodeCanonical(items[0]).byteLength);
    assert.equal(cborItemLength(sequence.subarray(0, 10), 0, 1024), undefined, 'incomplete item');
  });

  it('reads a last item whose head ends the file, and an item of exactly the size limit', async () => {
    // 1000 is a 3-byte head and nothing else: the file ends where its head does.
    assert.deepEqual(await readAll(Buffer.concat([encodeCanonical('a'), encodeCanonical(1000)]), 4096), [
      'a',
      1000,
    ]);
    const exact = encodeCanonical(new Uint8Array(1021).fill(2));
    assert.equal(exact.byteLength, 1024);
    assert.equal((await readAll(exact, 4096, 1024)).length, 1);
    await assert.rejects(readAll(encodeCanonical(new Uint8Array(1022)), 4096, 1024), (e: unknown) =>
      isBayledgerError(e, 'CBOR_TOO_LARGE'),
    );
  });

  it('refuses an oversize item from its heads, without reading on to the end of the file', async () => {
    // A byte string announcing 10,000 bytes, and an array announcing 100,000 members, each with
    // only some of them present: both are refused as too large, not read to the end of the file.
    const longString = Buffer.concat([Uint8Array.of(0x59, 0x27, 0x10), new Uint8Array(2000)]);
    const longArray = Buffer.concat([Uint8Array.of(0x9a, 0x00, 0x01, 0x86, 0xa0), new Uint8Array(3000)]);
    for (const bytes of [longString, longArray]) {
      await assert.rejects(readAll(bytes, 512, 1024), (e: unknown) => isBayledgerError(e, 'CBOR_TOO_LARGE'));
    }
    // An argument past 2^53.
    await assert.rejects(
      readAll(Uint8Array.of(0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 64),
      (e: unknown) =>
        isBayledgerError(e, 'CBOR_TOO_LARGE') && /beyond the safe range/.test((e as Error).message),
    );
  });

  it('names the byte offset of an item that is not canonical, and refuses indefinite lengths by their head', async () => {
    // 1 written with a one-byte argument (0x18 0x01) where canonical CBOR uses the short form.
    await assert.rejects(
      readAll(Buffer.concat([encodeCanonical('ab'), Uint8Array.of(0x18, 0x01)]), 64),
      (e: unknown) => isBayledgerError(e, 'CBOR_MALFORMED') && /item at byte 3:/.test((e as Error).message),
    );
    await assert.rejects(
      readAll(Uint8Array.of(0x9f, 0x01, 0xff), 5),
      (e: unknown) =>
        isBayledgerError(e, 'CBOR_NON_CANONICAL') && /indefinite length/.test((e as Error).message),
    );
  });

  it('refuses a truncated item, an indefinite length and an oversized item', async () => {
    await assert.rejects(readAll(sequence.subarray(0, sequence.length - 2), 5), /file ends inside an item/);
    await assert.rejects(readAll(new Uint8Array([0x9f, 0x01, 0xff]), 5), (e: unknown) => isBayledgerError(e));
    await assert.rejects(readAll(sequence, 64, 100), (e: unknown) => isBayledgerError(e, 'CBOR_TOO_LARGE'));
  });
});
