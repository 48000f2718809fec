// The worker-thread half of sealing (seal-pool.ts is the other half): it takes sealed chunks from
// the main thread (their buffers transferred, not copied), hashes each into its RFC 9162 leaf
// (section 2.1.1) and writes it at its place in the outbox file, then answers with the leaf.
// Chunks are written and answered strictly in the order they came, so the main thread appends
// leaves as they arrive.
//
// Only hashing and writing move here: AES-GCM stays on the main thread, because every
// cipher.update returns a fresh buffer, and in a worker thread those came from fresh pages (about
// twice the main thread's CPU per MB for the same encryption, measured).
//
// The file descriptor belongs to the main thread (it opens, syncs and closes the file); this
// thread only writes through it, so a terminated worker leaves no descriptor behind.
import { parentPort, workerData } from 'node:worker_threads';
import { assert, errorMessage } from '../../core/errors.js';
import { leafHashOfParts } from '../../core/merkle/hash.js';
import { writeAllToDescriptor } from './durable-fs.js';
import { chunkSealedOffset } from './layout.js';
import type { SealReply, SealRequest, SealWorkerData } from './seal-messages.js';

const port = parentPort;
assert(port !== null, 'seal-worker runs as a worker thread');
const { layout, fd } = workerData as SealWorkerData;
/** The write of the previous chunk: the next one is hashed while it runs, answered after it. */
let writes: Promise<void> = Promise.resolve();
let failed = false;

function reply(message: SealReply): void {
  port!.postMessage(message);
}

port.on('message', (request: SealRequest) => {
  if (request.type === 'finish') {
    writes = writes.then(() => reply({ type: 'finished' }));
    return;
  }
  if (failed) return;
  const { index, parts } = request;
  const leaf = leafHashOfParts(parts);
  writes = writes
    .then(() => writeAllToDescriptor(fd, parts, chunkSealedOffset(layout, index)))
    .then(
      () => reply({ type: 'written', index, leaf }),
      (error: unknown) => {
        failed = true;
        reply({ type: 'failed', index, message: errorMessage(error) });
      },
    );
});

// Loading this module's imports takes a worker thread's first tens of milliseconds; the main thread
// writes chunks itself until this arrives (seal.ts).
reply({ type: 'ready' });
