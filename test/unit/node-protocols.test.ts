// The node's wire messages (src/node/protocols.ts): status announcements, block-sync requests and
// responses round-trip through canonical CBOR, and anything malformed, oversized or out of bounds
// is refused with a typed error (which gets the sending peer dropped).
import { strict as assert } from 'node:assert';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { LIMITS } from '../../src/core/limits.js';
import {
  decodeStatus,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeStatus,
  encodeSyncRequest,
  encodeSyncResponse,
} from '../../src/node/protocols.js';
import { buildChain, fileableTestGenesis, workloadBlocks } from '../helpers/chain.js';

const refused = (error: unknown): boolean => isBayledgerError(error);

describe('node: wire protocols', () => {
  const net = fileableTestGenesis();
  const chain = buildChain({ genesis: net.genesis, signers: net.signers, blocks: workloadBlocks(net, 3) });

  it('round-trips status, sync requests and sync responses', () => {
    const status = { height: 3, blockHash: blockHash(chain.blocks[2]!.block.header) };
    assert.deepEqual(decodeStatus(encodeStatus(status)), status);
    const request = { fromHeight: 2, maxBlocks: LIMITS.maxBlocksPerSyncResponse };
    assert.deepEqual(decodeSyncRequest(encodeSyncRequest(request)), request);
    const response = { tipHeight: 3, blocks: chain.blocks };
    const decoded = decodeSyncResponse(encodeSyncResponse(response));
    assert.equal(decoded.tipHeight, 3);
    assert.deepEqual(
      decoded.blocks.map(({ block }) => blockHash(block.header)),
      chain.blocks.map(({ block }) => blockHash(block.header)),
    );
    assert.deepEqual(decoded.blocks[1]!.certificate, chain.blocks[1]!.certificate);
  });

  it('refuses garbage, unknown fields, bad hashes and out-of-range requests', () => {
    assert.throws(() => decodeStatus(new Uint8Array([0xff])), refused);
    assert.throws(() => decodeStatus(encodeCanonical({ height: 1, blockHash: new Uint8Array(31) })), refused);
    assert.throws(
      () => decodeStatus(encodeCanonical({ height: 1, blockHash: new Uint8Array(32), x: 1 })),
      refused,
    );
    assert.throws(() => decodeStatus(new Uint8Array(200).fill(0x40)), refused);
    assert.throws(() => decodeSyncRequest(encodeCanonical({ fromHeight: 0, maxBlocks: 1 })), refused);
    assert.throws(
      () =>
        decodeSyncRequest(encodeCanonical({ fromHeight: 1, maxBlocks: LIMITS.maxBlocksPerSyncResponse + 1 })),
      refused,
    );
    assert.throws(
      () => decodeSyncRequest(encodeCanonical({ fromHeight: 1, maxBlocks: 1 }).subarray(0, 4)),
      refused,
    );
    // A response whose block and certificate are not what the schemas describe.
    const tampered = encodeCanonical({ tipHeight: 1, blocks: [{ block: { header: {} }, certificate: {} }] });
    assert.throws(() => decodeSyncResponse(tampered), refused);
  });
});
