export { reconnectDelayMs } from './backoff.js';
export { decodeBatch, encodeBatch, maxBatchFrameBytes } from './batch.js';
export { FramedStream } from './framed-stream.js';
export { encodeFrame, FrameDecoder } from './framing.js';
export { createPeerNetwork } from './network.js';
export { libp2pKeyFromSeed, peerIdFromNodeKey, peerIdFromSeed } from './peer-ids.js';
export { RemoteError } from './response-envelope.js';
export { SendQueue } from './send-queue.js';
// Every type of the network's contract (types.ts holds nothing else).
export type * from './types.js';
