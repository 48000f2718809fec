// What the receiving sink (container-sink.ts, through item-write-pool.ts) and the item writing
// worker (item-write-worker.ts) say to each other. Every request is answered, in the order sent.
import type { ItemSpan } from './item-pieces.js';

export interface ItemFileSpan extends ItemSpan {
  /** The item file, opened by the main thread, which also syncs and closes it. */
  readonly fd: number;
  /**
   * The same file opened with O_DIRECT by the main thread (which closes it too), or null where
   * the file system refuses O_DIRECT: then every write goes through `fd`.
   */
  readonly directFd: number | null;
}

/** The worker's start data: the shared slots the main thread copies plaintext into. */
export interface ItemWriteWorkerData {
  readonly slots: SharedArrayBuffer;
  readonly slotBytes: number;
}

export type ItemWriteRequest =
  /** The item files, once the container head is checked; sent before any write. */
  | { readonly type: 'items'; readonly seq: number; readonly items: readonly ItemFileSpan[] }
  | {
      readonly type: 'write';
      readonly seq: number;
      /** Container offset of the first byte. */
      readonly position: number;
      /** The shared slot holding the authenticated plaintext, and its length; free once answered. */
      readonly slot: number;
      readonly byteLength: number;
    }
  /** Answered once every write sent before it is done. */
  | { readonly type: 'flush'; readonly seq: number }
  /** Answered, after every write sent before it, with each item's SHA-256 if it saw all of it. */
  | { readonly type: 'digests'; readonly seq: number };

export type ItemWriteReply =
  | { readonly type: 'done'; readonly seq: number }
  | { readonly type: 'digests'; readonly seq: number; readonly digests: readonly (Uint8Array | null)[] }
  /** `errno`: the file system's code ('ENOSPC', ...), so the reader can tell a full disk apart. */
  | { readonly type: 'failed'; readonly seq: number; readonly message: string; readonly errno?: string }
  /** Sent once, when the worker has loaded and listens. */
  | { readonly type: 'ready' };
