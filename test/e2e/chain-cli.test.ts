// The chain commands end to end, as a user runs them against a stopped node's data directory:
// the exact --json fields of issue 3 item 7, tables without --json, proofs that an independent
// naive RFC 9162 implementation reproduces, export then verify from the file alone, offline
// bundles, and clear errors with exit code 1 (unknown) or 2 (malformed) for bad input.
import { strict as assert } from 'node:assert';
import { lstat, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { LIMITS } from '../../src/core/limits.js';
import { leafHash } from '../../src/core/merkle/index.js';
import {
  fileableTestGenesis,
  type StoppedNodeFiles,
  type TestChain,
  writeStoppedNode,
} from '../helpers/chain.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { naiveConsistency, naivePath, naiveRoot } from '../helpers/naive-merkle.js';

function json<T>(result: CliResult): T {
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

describe('chain CLI against a data directory', function () {
  this.timeout(180_000);
  const net = fileableTestGenesis(7400);
  let files: StoppedNodeFiles;
  let directory: string;
  let dataDir: string;
  let genesisFile: string;
  let chain: TestChain;
  let leaves: Uint8Array[];
  let txIds: string[];

  before(async () => {
    files = await writeStoppedNode(net, 7, 'bayledger-chain-cli-');
    ({ directory, dataDir, genesisFile, chain } = files);
    leaves = chain.blocks.flatMap(({ block }) => block.txs);
    txIds = chain.applied.flatMap((applied) => applied.txIds.map((id) => toHex(id)));
  });

  after(async () => {
    await files?.remove();
  });

  const chainCli = (...args: string[]) => runCli(['chain', ...args, '--data-dir', dataDir]);

  it('prints exactly the documented JSON fields, hashes in lowercase hex', async () => {
    const leafIndex = 7;
    // One at a time: LevelDB lets one process hold a data directory, readers included.
    const status = await chainCli('status', '--json');
    const block = await chainCli('block', '3', '--json');
    const tx = await chainCli('tx', txIds[leafIndex]!, '--json');
    const proof = await chainCli('proof', txIds[leafIndex]!, '--json');
    const sizedProof = await chainCli('proof', txIds[leafIndex]!, '--size', '11', '--json');
    const consistency = await chainCli('consistency', '5', String(leaves.length), '--json');
    const checkpoint = await chainCli('checkpoint', '--height', '4', '--json');

    assert.deepEqual(json(status), {
      chainId: 'gba-health-test',
      height: 7,
      blockHash: toHex(chain.tip.blockHash),
      logSize: leaves.length,
      logRoot: toHex(naiveRoot(leaves)),
    });

    const blockView = json<Record<string, unknown>>(block);
    assert.deepEqual(Object.keys(blockView).sort(), [
      'blockHash',
      'certificate',
      'header',
      'height',
      'txIds',
    ]);
    assert.equal(blockView.blockHash, toHex(blockHash(chain.blocks[2]!.block.header)));
    assert.deepEqual(blockView.txIds, txIds.slice(3, 6));

    const txView = json<Record<string, unknown>>(tx);
    for (const field of ['txId', 'kind', 'height', 'index', 'leafIndex', 'leaf', 'body'])
      assert.ok(field in txView, field);
    assert.deepEqual(
      [txView.kind, txView.height, txView.index, txView.leafIndex],
      ['transfer.declare', 4, 1, 7],
    );
    assert.equal(txView.leaf, toHex(leaves[leafIndex]!));

    const expectProof = (treeSize: number) => ({
      txId: txIds[leafIndex],
      leafIndex,
      treeSize,
      leafHash: toHex(leafHash(leaves[leafIndex]!)),
      path: naivePath(leafIndex, leaves.slice(0, treeSize)).map((hash) => toHex(hash)),
      root: toHex(naiveRoot(leaves.slice(0, treeSize))),
    });
    assert.deepEqual(json(proof), expectProof(leaves.length));
    assert.deepEqual(json(sizedProof), expectProof(11));

    assert.deepEqual(json(consistency), {
      oldSize: 5,
      newSize: leaves.length,
      oldRoot: toHex(naiveRoot(leaves.slice(0, 5))),
      newRoot: toHex(naiveRoot(leaves)),
      path: naiveConsistency(5, leaves).map((hash) => toHex(hash)),
    });

    const checkpointView = json<{ certificate: { round: number; signatures: { validator: string }[] } }>(
      checkpoint,
    );
    assert.deepEqual(Object.keys(checkpointView).sort(), [
      'blockHash',
      'certificate',
      'height',
      'logRoot',
      'logSize',
    ]);
    assert.deepEqual(
      checkpointView.certificate.signatures.map((s) => s.validator),
      ['sz-cac', 'sz-health', 'qianhai', 'hk-health'],
    );
    for (const text of [status.stdout, block.stdout, proof.stdout]) assert.doesNotMatch(text, /[A-F]{4}/);
  });

  it('prints readable tables without --json', async () => {
    const status = await chainCli('status');
    const tx = await chainCli('tx', txIds[0]!);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^field\s+value$/m);
    assert.match(status.stdout, /^height\s+7$/m);
    assert.match(tx.stdout, /^kind\s+consent\.grant$/m);
  });

  it("prints a block's transactions and certificate, and an empty proof path as none", async () => {
    const block = await chainCli('block', '3');
    // The first transaction against a log of one: its inclusion proof has no path at all.
    const proof = await chainCli('proof', txIds[0]!, '--size', '1');
    assert.equal(block.code, 0, block.stderr);
    const lines = block.stdout.split('\n');
    const listed = lines.indexOf('transactions:');
    assert.ok(listed >= 0, block.stdout);
    assert.deepEqual(
      lines.slice(listed + 1, listed + 5).map((line) => line.split(/\s+/)),
      [['#', 'hash'], ...txIds.slice(3, 6).map((id, index) => [String(index), id])],
    );
    assert.match(block.stdout, /^certificate \(round \d+\):\nvalidator\s+signature$/m);
    assert.equal(proof.code, 0, proof.stderr);
    assert.match(proof.stdout, /^path \(RFC 9162, leaf to root\): none$/m);
  });

  it('names what is wrong with the source of a read or a verify (exit 2), before reaching for it', async () => {
    const unreachable = 'http://127.0.0.1:9';
    const [neither, both, genesisWithApi, verifyNothing] = await Promise.all([
      runCli(['chain', 'status']),
      runCli(['chain', 'status', '--api', unreachable, '--data-dir', dataDir]),
      runCli(['chain', 'status', '--api', unreachable, '--genesis', genesisFile]),
      runCli(['chain', 'verify']),
    ]);
    const errors = [neither, both, genesisWithApi, verifyNothing].map((result) => [
      result.code,
      result.stderr.trim(),
    ]);
    assert.deepEqual(errors, [
      [2, "bayledger: error: give --data-dir DIR (a stopped node's data) or --api URL (a running node)"],
      [2, 'bayledger: error: give either --data-dir or --api, not both'],
      [2, 'bayledger: error: --genesis goes with --data-dir, not --api'],
      [2, 'bayledger: error: chain verify needs --data-dir DIR or --file FILE --genesis GENESIS'],
    ]);
  });

  it('says which genesis a data directory was verified against', async () => {
    const stored = await chainCli('verify');
    const given = await runCli(['chain', 'verify', '--data-dir', dataDir, '--genesis', genesisFile]);
    for (const result of [stored, given]) {
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`^OK: ${dataDir} verified to height 7: ${txIds.length} transactions`, 'm'),
      );
    }
    const note =
      'note: verified against the genesis stored in the data directory; pass --genesis FILE to verify against a file you trust';
    assert.ok(stored.stdout.split('\n').includes(note), stored.stdout);
    assert.doesNotMatch(given.stdout, /note:/);
  });

  it('fails clearly on unknown ids and heights (exit 1) and malformed ones (exit 2)', async () => {
    const [malformed, missingDir] = await Promise.all([
      chainCli('proof', 'not-hex'),
      runCli(['chain', 'status', '--data-dir', join(directory, 'nowhere')]),
    ]);
    const unknownTx = await chainCli('tx', 'ab'.repeat(32));
    const unknownHeight = await chainCli('block', '99');
    assert.equal(unknownTx.code, 1);
    assert.match(unknownTx.stderr, /no transaction abab.* in this chain/);
    assert.equal(unknownHeight.code, 1);
    assert.match(unknownHeight.stderr, /no block at height 99 \(the chain is at height 7\)/);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /64 lowercase hex digits/);
    assert.equal(missingDir.code, 1);
    assert.match(missingDir.stderr, /no such data directory/);
    for (const result of [unknownTx, unknownHeight, malformed, missingDir]) {
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
    }
  });

  it('exports the chain and verifies the export with only the genesis file', async () => {
    const exportFile = join(directory, 'chain.cbor');
    const exported = json<{ height: number; bytes: number }>(
      await chainCli('export', '--out', exportFile, '--json'),
    );
    assert.equal(exported.height, 7);
    const verified = json<{ ok: boolean; height: number; blockHash: string }>(
      await runCli(['chain', 'verify', '--file', exportFile, '--genesis', genesisFile, '--json']),
    );
    assert.deepEqual(
      [verified.ok, verified.height, verified.blockHash],
      [true, 7, toHex(chain.tip.blockHash)],
    );
    // Without --json: what was verified in an export, not a comparison with a store it lacks.
    const text = await runCli(['chain', 'verify', '--file', exportFile, '--genesis', genesisFile]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(
        `^OK: ${exportFile} verified to height 7: 7 blocks and ${txIds.length} transactions from the genesis alone \\(every transaction signature and quorum certificate checked; block hashes, transaction roots, log roots and state roots re-derived and matched\\)$`,
        'm',
      ),
    );
    assert.doesNotMatch(text.stdout, /state entries|tree nodes/);
    const withoutGenesis = await runCli(['chain', 'verify', '--file', exportFile]);
    assert.equal(withoutGenesis.code, 2);
  });

  it('names the file a full disk kept it from writing, and leaves none of it', async () => {
    // /dev/full fails every write with ENOSPC, as a full disk does: the export's partial file and
    // the bundle are links to it.
    const exportFile = join(directory, 'full.cbor');
    await symlink('/dev/full', `${exportFile}.partial`);
    const exported = await chainCli('export', '--out', exportFile);
    assert.equal(exported.code, 1);
    assert.equal(
      exported.stderr,
      `bayledger: error: ${exportFile}: cannot write the chain export file: no space left on its disk (ENOSPC; --out)\n`,
    );
    const bundleFile = join(directory, 'full.bundle');
    await symlink('/dev/full', bundleFile);
    const bundled = await chainCli('proof', txIds[0]!, '--bundle', bundleFile);
    assert.equal(bundled.code, 1);
    assert.equal(
      bundled.stderr,
      `bayledger: error: ${bundleFile}: cannot write the proof bundle file: no space left on its disk (ENOSPC; --bundle)\n`,
    );
    for (const left of [exportFile, `${exportFile}.partial`, bundleFile]) {
      await assert.rejects(lstat(left), { code: 'ENOENT' }, `${left} is gone`);
    }
  });

  it('writes a proof bundle that proof verify checks offline, and refuses a changed one', async () => {
    const bundleFile = join(directory, 'proof.bundle');
    const txId = txIds[leaves.length - 1]!;
    const written = await chainCli('proof', txId, '--bundle', bundleFile);
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stdout, new RegExp(`^bundle written to ${bundleFile}$`, 'm'));
    const bytes = new Uint8Array(await readFile(bundleFile));
    const tampered = Uint8Array.from(bytes);
    const leafOffset = Buffer.from(tampered).indexOf(Buffer.from(leaves.at(-1)!));
    tampered[leafOffset + 40]! ^= 0x01;
    const tamperedFile = join(directory, 'tampered.bundle');
    await writeFile(tamperedFile, tampered);
    const oversizeFile = join(directory, 'oversize.bundle');
    await writeFile(oversizeFile, new Uint8Array(LIMITS.maxProofBundleBytes + 1));
    // Exactly at the bound: read and decoded (it is no bundle), not refused for its size.
    const garbageFile = join(directory, 'garbage.bundle');
    await writeFile(garbageFile, new Uint8Array(LIMITS.maxProofBundleBytes).fill(0xff));
    const [ok, table, bad, oversize, garbage] = await Promise.all([
      runCli(['proof', 'verify', bundleFile, '--genesis', genesisFile, '--json']),
      runCli(['proof', 'verify', bundleFile, '--genesis', genesisFile]),
      runCli(['proof', 'verify', tamperedFile, '--genesis', genesisFile]),
      runCli(['proof', 'verify', oversizeFile, '--genesis', genesisFile]),
      runCli(['proof', 'verify', garbageFile, '--genesis', genesisFile]),
    ]);
    assert.equal(oversize.code, 1);
    assert.equal(
      oversize.stderr.trim(),
      `bayledger: error: ${oversizeFile}: ${LIMITS.maxProofBundleBytes + 1} bytes, a bundle is at most ${LIMITS.maxProofBundleBytes}`,
    );
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, new RegExp(`^bayledger: error: ${garbageFile}: not a proof bundle: `));
    const proven = json<{ txId: string; kind: string; height: number; signers: string[] }>(ok);
    assert.deepEqual(
      [proven.txId, proven.kind, proven.height, proven.signers],
      [txId, 'transfer.receipt', 7, ['sz-cac', 'sz-health', 'qianhai', 'hk-health']],
    );
    assert.match(table.stdout, new RegExp(`OK: transaction ${txId} \\(transfer\\.receipt\\) is in block 7`));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /inclusion proof|transaction/);
  });
});
