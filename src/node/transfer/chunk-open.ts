// One received chunk, checked then opened, in the order design section 9 requires: its RFC 9162
// inclusion proof against the declared root first (ChunkVerifier), and only a chunk the
// declaration commits to is decrypted. The same function runs on the node's main thread or in a
// worker thread (worker-chunk-opener.ts), so both paths accept exactly the same chunks.
import type { ChunkRejection, ChunkVerifier } from './chunk-verifier.js';
import { openChunk, type PayloadKey } from './payload-crypto.js';

export type OpenedChunk =
  | { readonly ok: true; readonly leaf: Uint8Array; readonly plaintext: Uint8Array }
  | { readonly ok: false; readonly reason: ChunkRejection | 'DECRYPT_FAILED'; readonly detail: string };

export function verifyAndOpenChunk(
  verifier: ChunkVerifier,
  key: PayloadKey,
  index: number,
  proof: Uint8Array[],
  sealed: Uint8Array,
): OpenedChunk {
  const verdict = verifier.verify(index, proof, sealed);
  if (!verdict.ok) return verdict;
  const plaintext = openChunk(key, verifier.layout, index, sealed);
  if (plaintext === undefined) {
    return {
      ok: false,
      reason: 'DECRYPT_FAILED',
      detail: `chunk ${index} does not authenticate under the agreed key`,
    };
  }
  return { ok: true, leaf: verdict.leaf, plaintext };
}

/** Opens chunks for a receiver; several may be in flight, results come back per chunk. */
export interface ChunkOpener {
  /** How many chunks the receiver should keep in flight to keep this opener busy. */
  readonly depth: number;
  open(index: number, proof: Uint8Array[], sealed: Uint8Array): Promise<OpenedChunk>;
  close(): Promise<void>;
}

/** On the calling thread, one at a time: for small payloads and tests. */
export class InlineChunkOpener implements ChunkOpener {
  readonly depth = 1;
  readonly #verifier: ChunkVerifier;
  readonly #key: PayloadKey;

  constructor(verifier: ChunkVerifier, key: PayloadKey) {
    this.#verifier = verifier;
    this.#key = key;
  }

  open(index: number, proof: Uint8Array[], sealed: Uint8Array): Promise<OpenedChunk> {
    return Promise.resolve(verifyAndOpenChunk(this.#verifier, this.#key, index, proof, sealed));
  }

  async close(): Promise<void> {}
}
