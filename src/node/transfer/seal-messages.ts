// What the main thread and the sealing worker (seal-worker.ts, seal-pool.ts) say to each other.
import type { PayloadLayout } from './layout.js';

export interface SealWorkerData {
  readonly layout: PayloadLayout;
  /** The outbox payload file, opened by the main thread, which also syncs and closes it. */
  readonly fd: number;
}

export type SealRequest =
  | {
      readonly type: 'write';
      readonly index: number;
      /** Sealed chunk `index` (ciphertext, then tag) as consecutive parts, transferred. */
      readonly parts: readonly Uint8Array[];
    }
  /** Answered with `finished` once every chunk asked for before it is written. */
  | { readonly type: 'finish' };

export type SealReply =
  | {
      readonly type: 'written';
      readonly index: number;
      /** RFC 9162 leaf hash of the sealed chunk. */
      readonly leaf: Uint8Array;
    }
  | { readonly type: 'failed'; readonly index: number; readonly message: string }
  | { readonly type: 'finished' }
  /** Sent once, when the worker has loaded and listens. */
  | { readonly type: 'ready' };
