// The units of work the ceiling measures. The one-core figures run them on the main thread and the
// all-cores figures run the very same chunks in one worker per core, so the two are comparable.
import { decodeCanonical, encodeCanonical } from '../../../src/core/codec/index.js';
import { verifySignature } from '../../../src/core/crypto/ed25519.js';
import { sha256 } from '../../../src/core/crypto/hash.js';
import { leafInputs, sampleRecord, signedChecks } from './fixtures.js';

export type Operation = 'verify' | 'sha256' | 'encode' | 'decode';

/** Operations per chunk: about 1 ms of verification, well under a millisecond for the rest. */
const CHUNK_OPERATIONS: Record<Operation, number> = { verify: 64, sha256: 256, encode: 64, decode: 64 };

/** Builds the inputs of `operation` and returns a chunk function (does work, returns how much). */
export function operationChunk(operation: Operation): () => number {
  const size = CHUNK_OPERATIONS[operation];
  switch (operation) {
    case 'verify': {
      // 16 signers over 1024 records: a realistic, KeyObject-cached working set.
      const checks = signedChecks(1024, 16);
      let next = 0;
      return () => {
        for (let index = 0; index < size; index++) {
          const check = checks[next++ % checks.length]!;
          if (!verifySignature(check.publicKey, check.message, check.signature)) {
            throw new Error('a fixture signature did not verify');
          }
        }
        return size;
      };
    }
    case 'sha256': {
      const leaves = leafInputs(size);
      return () => {
        for (const leaf of leaves) sha256(leaf);
        return size;
      };
    }
    case 'encode': {
      const record = sampleRecord(1);
      return () => {
        for (let index = 0; index < size; index++) encodeCanonical(record);
        return size;
      };
    }
    case 'decode': {
      const bytes = encodeCanonical(sampleRecord(1));
      return () => {
        for (let index = 0; index < size; index++) decodeCanonical(bytes);
        return size;
      };
    }
  }
}
