// CBOR sequences (RFC 8742): items written back to back. Chain exports are one, so a reader must
// find where each item ends before decoding it. cborItemLength walks only the heads (RFC 8949
// section 3), never allocating, and refuses indefinite lengths, which canonical items never use
// (section 4.2.1); each complete item is then decoded with the strict canonical decoder.
import { open } from 'node:fs/promises';
import { type CborValue, decodeCanonical } from '../../core/codec/canonical.js';
import { fail, isBayledgerError } from '../../core/errors.js';
import { fileReadError } from '../file-read-error.js';

const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;

interface Head {
  readonly major: number;
  readonly argument: number;
  readonly headBytes: number;
}

/** Reads one head at `offset`; undefined when the buffer ends first. */
function readHead(buffer: Uint8Array, offset: number): Head | undefined {
  if (offset >= buffer.byteLength) return undefined;
  const initial = buffer[offset]!;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (info < 24) return { major, argument: info, headBytes: 1 };
  if (info > 27)
    fail('CBOR_NON_CANONICAL', `indefinite length or reserved head ${initial}`, `byte ${offset}`);
  const size = 2 ** (info - 24);
  if (offset + 1 + size > buffer.byteLength) return undefined;
  let argument = 0;
  for (let i = 0; i < size; i++) argument = argument * 256 + buffer[offset + 1 + i]!;
  if (!Number.isSafeInteger(argument))
    fail('CBOR_TOO_LARGE', 'length beyond the safe range', `byte ${offset}`);
  return { major, argument, headBytes: 1 + size };
}

/**
 * Byte length of the CBOR item starting at `offset`, or undefined if `buffer` holds only part of
 * it. Stops with CBOR_TOO_LARGE as soon as the item would exceed `maxBytes`.
 */
export function cborItemLength(buffer: Uint8Array, offset: number, maxBytes: number): number | undefined {
  let position = offset;
  let pending = 1; // items still to skip, counting nested array and map members
  while (pending > 0) {
    if (position - offset > maxBytes)
      fail('CBOR_TOO_LARGE', `item larger than ${maxBytes} bytes`, `byte ${offset}`);
    const head = readHead(buffer, position);
    if (head === undefined) return undefined;
    position += head.headBytes;
    pending--;
    if (head.major === MAJOR_BYTES || head.major === MAJOR_TEXT) {
      if (head.argument > maxBytes)
        fail('CBOR_TOO_LARGE', `string of ${head.argument} bytes`, `byte ${position}`);
      position += head.argument;
      if (position > buffer.byteLength) return undefined;
    } else if (head.major === MAJOR_ARRAY) pending += head.argument;
    else if (head.major === MAJOR_MAP) pending += 2 * head.argument;
    else if (head.major === MAJOR_TAG) pending += 1;
  }
  if (position - offset > maxBytes)
    fail('CBOR_TOO_LARGE', `item larger than ${maxBytes} bytes`, `byte ${offset}`);
  return position - offset;
}

const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Streams the items of a CBOR sequence file, each decoded canonically and at most `maxItemBytes`.
 * Memory stays at one item plus one read chunk. A truncated last item is an error.
 */
export async function* readCborSequence(
  path: string,
  maxItemBytes: number,
  readChunkBytes: number = READ_CHUNK_BYTES,
  /** What the file is, for a message that it cannot be read (e.g. 'chain export'). */
  what = 'CBOR sequence',
): AsyncGenerator<CborValue> {
  const file = await open(path, 'r').catch((error: unknown) => {
    throw fileReadError(error, path, what) ?? error;
  });
  try {
    let buffer = new Uint8Array(0);
    let start = 0;
    let fileOffset = 0;
    let ended = false;
    while (true) {
      const length = start < buffer.byteLength ? cborItemLength(buffer, start, maxItemBytes) : undefined;
      if (length !== undefined) {
        try {
          yield decodeCanonical(buffer.subarray(start, start + length), maxItemBytes);
        } catch (error) {
          if (isBayledgerError(error)) {
            fail(
              'CBOR_MALFORMED',
              `item at byte ${fileOffset - (buffer.byteLength - start)}: ${error.message}`,
              path,
            );
          }
          throw error;
        }
        start += length;
        continue;
      }
      if (ended) {
        if (start < buffer.byteLength)
          fail(
            'CBOR_MALFORMED',
            `file ends inside an item at byte ${fileOffset - (buffer.byteLength - start)}`,
            path,
          );
        return;
      }
      const chunk = new Uint8Array(readChunkBytes);
      // Opening a directory succeeds; its first read is what fails (EISDIR).
      const { bytesRead } = await file.read(chunk, 0, readChunkBytes, null).catch((error: unknown) => {
        throw fileReadError(error, path, what) ?? error;
      });
      if (bytesRead === 0) ended = true;
      const rest = buffer.subarray(start);
      const next = new Uint8Array(rest.byteLength + bytesRead);
      next.set(rest, 0);
      next.set(chunk.subarray(0, bytesRead), rest.byteLength);
      buffer = next;
      start = 0;
      fileOffset += bytesRead;
    }
  } finally {
    await file.close();
  }
}
