// Noise's frame reader without an exception per TCP read.
//
// libp2p's Noise stream (@chainsafe/libp2p-noise 17, EncryptedMessageStream) splits what the socket
// delivers into frames with @libp2p/utils' LengthPrefixedDecoder: it reads a frame's 2-byte length,
// yields the frame if all of it is there, and repeats until its length reader throws a RangeError
// for "fewer than 2 bytes left", which it catches as "wait for more". A read almost always ends on
// a frame boundary, so almost every read ended in a thrown and caught RangeError, and V8 captures
// a stack trace for each one (walking and summarising the optimised frames: TranslatedState,
// OptimizedFrame::Summarize in perf). Measured with this module on the seven bench nodes at 20 tx/s,
// two pairs alternating with the code before: their CPU per height fell 11-12% (39.6 / 35.6 ->
// 35.0 / 31.7 ms; docs/ARCHITECTURE.md decision 51).
//
// The reader is the stream's own object, created inside the library, so the node swaps the length
// reader of each stream the encrypter returns: an empty buffer answers length 0, which the
// decoder's loop reads as "a 2-byte prefix and nothing after it, not yet complete" and leaves;
// everything else goes to the original reader unchanged (a lone byte still throws, rarely). The
// fields it relies on are asserted on every stream, so a release that renames them fails at the
// first connection, not silently.
import type { NoiseExtensions } from '@chainsafe/libp2p-noise';
import type { ConnectionEncrypter, SecuredConnection } from '@libp2p/interface';
import { assert } from '../../core/errors.js';

/** The length reader's input: the decoder's Uint8ArrayList (or a plain array), read by byteLength. */
type LengthReader = (data: { readonly byteLength: number }) => number;

interface FrameDecoderFields {
  lengthDecoder: LengthReader;
  readonly buffer: { readonly byteLength: number };
}

/** A length reader that answers 0 for an empty buffer instead of asking `original` (which throws). */
export function withoutEmptyBufferThrow(original: LengthReader): LengthReader {
  return (data) => (data.byteLength === 0 ? 0 : original(data));
}

/** Swaps the frame decoder's length reader of one secured Noise stream (see the header). */
function quietNoiseFraming<T extends SecuredConnection<unknown>>(secured: T): T {
  const decoder = (secured.connection as unknown as { decoder?: FrameDecoderFields }).decoder;
  assert(
    decoder !== undefined &&
      typeof decoder.lengthDecoder === 'function' &&
      typeof decoder.buffer?.byteLength === 'number',
    'Noise stream has no frame decoder with lengthDecoder and buffer: update src/node/net/noise-framing.ts',
  );
  decoder.lengthDecoder = withoutEmptyBufferThrow(decoder.lengthDecoder);
  return secured;
}

/** Wraps libp2p's Noise encrypter factory so every stream it secures reads frames quietly. */
export function withQuietNoiseFraming<C>(
  makeEncrypter: (components: C) => ConnectionEncrypter<NoiseExtensions>,
): (components: C) => ConnectionEncrypter<NoiseExtensions> {
  return (components) => {
    const encrypter = makeEncrypter(components);
    const secureInbound = encrypter.secureInbound.bind(encrypter);
    const secureOutbound = encrypter.secureOutbound.bind(encrypter);
    encrypter.secureInbound = async (connection, options) =>
      quietNoiseFraming(await secureInbound(connection, options));
    encrypter.secureOutbound = async (connection, options) =>
      quietNoiseFraming(await secureOutbound(connection, options));
    return encrypter;
  };
}
