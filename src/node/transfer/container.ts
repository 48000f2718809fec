// The plaintext container of one transfer: every item (file) of the transfer in ONE payload
// stream, so one key, one chunk tree and one commitment cover them all.
//
//   container = manifestLength (4 bytes, big-endian) || manifest || item 0 bytes || item 1 bytes ...
//   manifest  = canonical CBOR (RFC 8949 section 4.2.1) of { version: 1, itemSizes: [bytes, ...] }
//
// The manifest holds item boundaries only. Digests, categories and document types are in the
// signed declaration; the receiver checks each item's plaintext digest against it, so the
// container needs no second copy (and the sender can seal in a single pass over the files).

import { concatBytes } from '../../core/bytes.js';
import { decodeCanonical, encodeCanonical } from '../../core/codec/canonical.js';
import { array, type Infer, object, uint } from '../../core/codec/schema.js';
import { assert, fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';

export const CONTAINER_VERSION = 1;
export const MANIFEST_LENGTH_BYTES = 4;

const containerManifestSchema = object({
  version: uint(CONTAINER_VERSION, CONTAINER_VERSION),
  itemSizes: array(uint(LIMITS.maxPayloadBytes), LIMITS.maxItemsPerTransfer, 1),
});
export type ContainerManifest = Infer<typeof containerManifestSchema>;

/** The container head: length prefix and manifest for items of the given sizes. */
export function encodeContainerHead(itemSizes: readonly number[]): Uint8Array {
  const manifest = containerManifestSchema.parse(
    { version: CONTAINER_VERSION, itemSizes: [...itemSizes] },
    'container manifest',
  );
  const manifestBytes = encodeCanonical(manifest);
  // The schema allows at most maxItemsPerTransfer sizes of at most 9 bytes each: well under.
  assert(
    manifestBytes.byteLength <= LIMITS.maxPayloadManifestBytes,
    `container manifest of ${manifestBytes.byteLength} bytes, over maxPayloadManifestBytes (${LIMITS.maxPayloadManifestBytes})`,
  );
  const prefix = new Uint8Array(MANIFEST_LENGTH_BYTES);
  new DataView(prefix.buffer).setUint32(0, manifestBytes.byteLength);
  return concatBytes(prefix, manifestBytes);
}

/** Reads the manifest length from the first 4 container bytes; refuses a length over the limit. */
export function decodeManifestLength(prefix: Uint8Array): number {
  if (prefix.byteLength !== MANIFEST_LENGTH_BYTES) {
    fail('SCHEMA_INVALID', 'container is shorter than its manifest length prefix', 'container');
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint32(0);
  if (length < 1 || length > LIMITS.maxPayloadManifestBytes) {
    fail(
      'SCHEMA_INVALID',
      `manifest length ${length} is not from 1 to ${LIMITS.maxPayloadManifestBytes}`,
      'container',
    );
  }
  return length;
}

/** Decodes and validates the manifest (closed schema, canonical bytes only). */
export function decodeContainerManifest(manifestBytes: Uint8Array): ContainerManifest {
  return containerManifestSchema.parse(
    decodeCanonical(manifestBytes, LIMITS.maxPayloadManifestBytes),
    'container manifest',
  );
}

/** Total container bytes for a manifest head and item sizes. */
export function containerBytesFor(headBytes: number, itemSizes: readonly number[]): number {
  let total = headBytes;
  for (const size of itemSizes) total += size;
  return total;
}
