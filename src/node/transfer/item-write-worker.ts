// The worker-thread half of receiving (item-write-pool.ts is the other half): it takes plaintext
// the main thread has already authenticated (inclusion proof and AEAD tag, receiver.ts) and copied
// into a shared slot, hashes each item as its bytes pass in order (the declared item digest,
// SHA-256) and writes the bytes into the item files. So the receiving node's decryption and its
// item hashing and writing run on two cores. Nothing here decides what is accepted: the main
// thread checked each chunk before sending it, and records a chunk as durable only after a flush
// answered here and its own datasync.
//
// The file descriptors belong to the main thread (it opens, syncs and closes them); this thread
// only writes through them, so a terminated worker leaves no descriptor behind. Where the main
// thread could open an item file with O_DIRECT too, the bytes go that way (direct-appender.ts),
// bypassing the page cache; a flush then also puts the staged last partial block in the file.
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { assert, errorMessage } from '../../core/errors.js';
import { errnoOf } from '../file-read-error.js';
import { DirectAppender } from './direct-appender.js';
import { piecesByItem } from './item-pieces.js';
import type {
  ItemFileSpan,
  ItemWriteReply,
  ItemWriteRequest,
  ItemWriteWorkerData,
} from './item-write-messages.js';

interface ItemState {
  readonly span: ItemFileSpan;
  /** Writes the item's bytes, through O_DIRECT where the main thread could open it so. */
  readonly appender: DirectAppender;
  readonly hasher: Hash;
  /** Bytes fed to `hasher`: the item's prefix seen in order by this thread. */
  hashedBytes: number;
}

const port = parentPort;
assert(port !== null, 'item-write-worker runs as a worker thread');
const { slots, slotBytes } = workerData as ItemWriteWorkerData;
let items: ItemState[] = [];
/** Every request's work, in order: a reply is sent only after the requests before it are done. */
let work: Promise<void> = Promise.resolve();
let failure: { readonly message: string; readonly errno?: string } | undefined;

function reply(message: ItemWriteReply): void {
  port!.postMessage(message);
}

/** Hashes the pieces now (while earlier writes run), then writes them after those writes. */
function write(position: number, parts: readonly Uint8Array[]): () => Promise<void> {
  const spans = items.map((item) => item.span);
  const writes = piecesByItem(spans, position, parts).map(({ item, offset, pieces }) => {
    const state = items[item]!;
    const byteLength = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
    if (offset === state.hashedBytes) {
      for (const piece of pieces) state.hasher.update(piece);
      state.hashedBytes += byteLength;
    }
    return { state, offset, pieces, ends: offset + byteLength === state.span.sizeBytes };
  });
  return async () => {
    await Promise.all(
      writes.map(async ({ state, offset, pieces, ends }) => {
        await state.appender.write(offset, pieces);
        // A finished item puts its last bytes in the file and gives its stage back now, so every
        // item is whole in its file once its last write is answered (the digests need no flush).
        if (ends) {
          await state.appender.flush();
          state.appender.release();
        }
      }),
    );
  };
}

/** Puts every byte written so far in the files (staged O_DIRECT tails included). */
async function flushAll(): Promise<void> {
  await Promise.all(items.map((item) => item.appender.flush()));
}

function digests(): (Uint8Array | null)[] {
  return items.map((item) =>
    item.hashedBytes === item.span.sizeBytes ? new Uint8Array(item.hasher.digest()) : null,
  );
}

port.on('message', (request: ItemWriteRequest) => {
  const { seq } = request;
  let step: () => Promise<ItemWriteReply>;
  if (request.type === 'items') {
    items = request.items.map((span) => ({
      span,
      appender: new DirectAppender(span.fd, span.directFd ?? undefined),
      hasher: createHash('sha256'),
      hashedBytes: 0,
    }));
    step = async () => ({ type: 'done', seq });
  } else if (request.type === 'write') {
    const bytes = new Uint8Array(slots, request.slot * slotBytes, request.byteLength);
    const writing = failure === undefined ? write(request.position, [bytes]) : undefined;
    step = async () => {
      await writing?.();
      return { type: 'done', seq };
    };
  } else if (request.type === 'flush') {
    step = async () => {
      await flushAll();
      return { type: 'done', seq };
    };
  } else {
    step = async () => ({ type: 'digests', seq, digests: digests() });
  }
  work = work.then(async () => {
    if (failure !== undefined) return reply({ type: 'failed', seq, ...failure });
    try {
      reply(await step());
    } catch (error) {
      failure = { message: errorMessage(error), errno: errnoOf(error) };
      reply({ type: 'failed', seq, ...failure });
    }
  });
});

// Loading a worker thread and this module's imports takes 55-100 ms on an idle machine and about
// 250 ms on a busy platform node: a recipient node keeps one loaded ahead (item-write-spare.ts).
reply({ type: 'ready' });
