// Write back-pressure on a libp2p stream. `send` returning false and the 'drain' event are not
// enough on their own: yamux fires 'drain' on every window update, however small, so a writer
// that sends one more frame per 'drain' fills the stream's unbounded write buffer faster than
// the peer takes it. Writers therefore wait here until the unsent bytes are back under
// LIMITS.maxStreamWriteBufferBytes, which bounds a stream's memory to one frame plus that.
import type { Stream } from '@libp2p/interface';
import { BayledgerError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';

export async function waitUntilWritable(stream: Stream, signal?: AbortSignal): Promise<void> {
  while (stream.writeBufferLength > LIMITS.maxStreamWriteBufferBytes) {
    if (stream.writeStatus !== 'writable') {
      throw new BayledgerError('CLOSED', 'the stream closed with data unsent', stream.protocol);
    }
    await nextWriteEvent(stream, signal);
  }
}

/** Resolves on the stream's next 'drain' or 'idle'; rejects when it closes or `signal` aborts. */
function nextWriteEvent(stream: Stream, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      stream.removeEventListener('drain', onProgress);
      stream.removeEventListener('idle', onProgress);
      stream.removeEventListener('close', onClose);
      signal?.removeEventListener('abort', onAbort);
    };
    // The muxer's own 'drain' listener (registered first) moves bytes out in a microtask queued
    // before this promise's continuation, so the loop above sees the new buffer length.
    const onProgress = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new BayledgerError('CLOSED', 'the stream closed with data unsent', stream.protocol));
    };
    const onAbort = (): void => {
      cleanup();
      reject(new BayledgerError('TIMEOUT', 'the peer stopped reading', stream.protocol));
    };
    if (signal?.aborted) return onAbort();
    stream.addEventListener('drain', onProgress);
    stream.addEventListener('idle', onProgress);
    stream.addEventListener('close', onClose);
    signal?.addEventListener('abort', onAbort);
  });
}
