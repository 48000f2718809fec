// Worker thread entry of the verify pool: verifies each packed batch it receives and transfers the
// result bitmap back. It holds no state; a pool of long-lived workers beats one worker per batch
// because a worker's start (loading this module and libsodium's addon) costs tens of milliseconds.
import { parentPort } from 'node:worker_threads';
import { assert } from '../../core/errors.js';
import type { VerifyReply, VerifyRequest, WorkerReady } from './protocol.js';
import { verifyPacked } from './verify-packed.js';

const port = parentPort;
assert(port !== null, 'verify-worker runs only as a worker thread');

port.on('message', (request: VerifyRequest) => {
  const bitmap = verifyPacked(request.packed);
  const reply: VerifyReply = {
    kind: 'verified',
    batchId: request.batchId,
    bitmap: bitmap.buffer as ArrayBuffer,
  };
  port.postMessage(reply, [reply.bitmap]);
});

const ready: WorkerReady = { kind: 'ready' };
port.postMessage(ready);
