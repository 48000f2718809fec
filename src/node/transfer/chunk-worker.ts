// Worker thread entry of WorkerChunkOpener: checks and opens received chunks off the node's main
// thread (verifyAndOpenChunk, the same function the main thread runs), so a recipient decrypts and
// hashes on one core while it takes the network stream in on another.
//
//   main -> worker: { type: 'init', commitment, key }    the declared commitment, the content key
//                   { type: 'open', index, proof, sealed } sealed: a copy the worker now owns
//   worker -> main: { type: 'opened', index, result }      the plaintext's buffer is transferred
import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { verifyAndOpenChunk } from './chunk-open.js';
import { ChunkVerifier } from './chunk-verifier.js';
import type { ChunkWorkerReply, ChunkWorkerRequest } from './worker-chunk-opener.js';

const port = parentPort;
if (port === null) throw new Error('chunk-worker runs as a worker thread');

/** Buffers of this size or more never come from Node's shared allocation pool. */
const UNPOOLED_BYTES = 4096;

let session: { verifier: ChunkVerifier; key: { key: KeyObject } } | undefined;

port.on('message', (message: ChunkWorkerRequest) => {
  if (message.type === 'init') {
    const created = ChunkVerifier.create(message.commitment);
    // The main thread built the same verifier from the same commitment before starting us.
    if (!created.ok) throw new Error(`chunk worker: ${created.detail}`);
    session = { verifier: created.verifier, key: { key: message.key } };
    return;
  }
  if (session === undefined) throw new Error('chunk worker: open before init');
  const result = verifyAndOpenChunk(
    session.verifier,
    session.key,
    message.index,
    message.proof,
    message.sealed,
  );
  const reply: ChunkWorkerReply = { type: 'opened', index: message.index, result };
  const plaintext = result.ok ? result.plaintext : undefined;
  // A whole, unpooled buffer moves to the main thread without a copy; anything else is cloned.
  const movable =
    plaintext !== undefined &&
    plaintext.byteLength >= UNPOOLED_BYTES &&
    plaintext.byteOffset === 0 &&
    plaintext.buffer.byteLength === plaintext.byteLength;
  port.postMessage(reply, movable ? [plaintext.buffer as ArrayBuffer] : []);
});
