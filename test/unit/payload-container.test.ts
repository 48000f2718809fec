// The payload container's head (src/node/transfer/container.ts): a 4-byte big-endian manifest
// length, then the canonical manifest of item sizes. The receiver reads both from a peer, so each
// bound is checked at its edge.
import { strict as assert } from 'node:assert';
import { LIMITS } from '../../src/core/limits.js';
import {
  decodeContainerManifest,
  decodeManifestLength,
  encodeContainerHead,
  MANIFEST_LENGTH_BYTES,
} from '../../src/node/transfer/container.js';
import { throwsWith } from '../helpers/rejects.js';

function lengthPrefix(length: number): Uint8Array {
  const prefix = new Uint8Array(MANIFEST_LENGTH_BYTES);
  new DataView(prefix.buffer).setUint32(0, length);
  return prefix;
}

describe('payload: container head', () => {
  it('writes a length prefix and a manifest that read back, the largest item sizes included', () => {
    const sizes = [300, 0, LIMITS.maxPayloadBytes];
    const head = encodeContainerHead(sizes);
    const length = decodeManifestLength(head.subarray(0, MANIFEST_LENGTH_BYTES));
    assert.equal(head.byteLength, MANIFEST_LENGTH_BYTES + length);
    assert.deepEqual(decodeContainerManifest(head.subarray(MANIFEST_LENGTH_BYTES)), {
      version: 1,
      itemSizes: sizes,
    });
  });

  it('takes a manifest length from 1 to maxPayloadManifestBytes, and refuses any other or a short prefix', () => {
    assert.equal(decodeManifestLength(lengthPrefix(1)), 1);
    assert.equal(
      decodeManifestLength(lengthPrefix(LIMITS.maxPayloadManifestBytes)),
      LIMITS.maxPayloadManifestBytes,
    );
    for (const length of [0, LIMITS.maxPayloadManifestBytes + 1, 0xffffffff])
      throwsWith(
        () => decodeManifestLength(lengthPrefix(length)),
        'SCHEMA_INVALID',
        `container: manifest length ${length} is not from 1 to ${LIMITS.maxPayloadManifestBytes}`,
      );
    throwsWith(
      () => decodeManifestLength(lengthPrefix(1).subarray(0, 3)),
      'SCHEMA_INVALID',
      'container: container is shorter than its manifest length prefix',
    );
  });
});
