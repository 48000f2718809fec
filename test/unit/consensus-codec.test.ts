// Wire and WAL codec of consensus messages (src/core/consensus/codec.ts): exact round trips, and
// refusal, always as a typed BayledgerError, of garbage, truncation, trailing bytes, unknown or
// missing fields, out-of-range numbers, non-canonical encodings and oversized input. The
// simulator feeds the same decoder random and mutated bytes; fast-check hunts here too.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytesEqual, utf8 } from '../../src/core/bytes.js';
import { encodeCanonical } from '../../src/core/codec/canonical.js';
import {
  type ConsensusMessage,
  decodeConsensusMessage,
  decodeWalRecord,
  encodeConsensusMessage,
  encodeWalRecord,
} from '../../src/core/consensus/codec.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { makeBlock, makeFixture, makeProposal, makeVote } from '../sim/fixtures.js';

const fx = makeFixture(4);
const A = makeBlock(fx, 1, 1);
const vote = makeVote(fx, 2, 'precommit', 3, A);
const nilVote = makeVote(fx, 2, 'prevote', 0, null);
const proposal = makeProposal(fx, 1, 4, A, 2);
const messages: ConsensusMessage[] = [
  { type: 'vote', vote },
  { type: 'vote', vote: nilVote },
  { type: 'proposal', proposal },
  { type: 'proposal', proposal: makeProposal(fx, 1, 0, A) },
  { type: 'proposal-request', request: { height: 7, round: 2 } },
];

function refuses(bytes: Uint8Array, decode: (bytes: Uint8Array) => unknown = decodeConsensusMessage): string {
  try {
    decode(bytes);
  } catch (error) {
    assert.ok(isBayledgerError(error), `untyped error: ${String(error)}`);
    return error.code;
  }
  return assert.fail('decoded what it should refuse');
}

describe('consensus codec', () => {
  it('round-trips votes and proposals exactly', () => {
    for (const message of messages) {
      const bytes = encodeConsensusMessage(message);
      assert.deepEqual(decodeConsensusMessage(bytes), message);
      assert.ok(bytesEqual(encodeConsensusMessage(decodeConsensusMessage(bytes)), bytes));
    }
  });

  it('round-trips WAL records, with and without the locked block', () => {
    for (const record of [
      { type: 'vote', vote, block: A },
      { type: 'vote', vote: nilVote, block: null },
      { type: 'proposal', proposal },
    ] as const) {
      assert.deepEqual(decodeWalRecord(encodeWalRecord(record)), record);
    }
  });

  it('refuses a proposal request with a round past LIMITS.maxRoundsPerHeight, a negative height or another field', () => {
    const request = { height: 7, round: 2 };
    const wire = (changed: Record<string, unknown>) =>
      encodeCanonical({ type: 'proposal-request', request: { ...request, ...changed } });
    assert.equal(refuses(wire({ round: LIMITS.maxRoundsPerHeight + 1 })), 'SCHEMA_INVALID');
    assert.equal(refuses(wire({ height: -1 })), 'SCHEMA_INVALID');
    assert.equal(refuses(wire({ blockHash: new Uint8Array(32) })), 'SCHEMA_INVALID');
    assert.equal(refuses(encodeCanonical({ type: 'proposal-request', request, vote })), 'SCHEMA_INVALID');
    const round = decodeConsensusMessage(wire({ round: LIMITS.maxRoundsPerHeight }));
    assert.deepEqual(round, {
      type: 'proposal-request',
      request: { height: 7, round: LIMITS.maxRoundsPerHeight },
    });
  });

  it('refuses a proposal request as a WAL record: the WAL keeps own signed messages only', () => {
    const bytes = encodeConsensusMessage({ type: 'proposal-request', request: { height: 1, round: 0 } });
    assert.equal(refuses(bytes, decodeWalRecord), 'SCHEMA_INVALID');
  });

  it('refuses truncated input, trailing bytes and empty input', () => {
    const bytes = encodeConsensusMessage(messages[2]!);
    assert.equal(refuses(bytes.subarray(0, bytes.length - 1)), 'CBOR_MALFORMED');
    assert.equal(refuses(new Uint8Array([...bytes, 0])), 'CBOR_TRAILING_BYTES');
    assert.equal(refuses(new Uint8Array(0)), 'CBOR_MALFORMED');
  });

  it('refuses unknown fields, missing fields and out-of-range values', () => {
    const wire = { type: 'vote', vote: { ...vote } };
    assert.equal(refuses(encodeCanonical({ ...wire, extra: 1 })), 'SCHEMA_INVALID');
    assert.equal(refuses(encodeCanonical({ type: 'vote', vote: { ...vote, extra: 1 } })), 'SCHEMA_INVALID');
    const { signature: _dropped, ...unsigned } = vote;
    assert.equal(refuses(encodeCanonical({ type: 'vote', vote: unsigned })), 'SCHEMA_INVALID');
    assert.equal(
      refuses(encodeCanonical({ type: 'vote', vote: { ...vote, type: 'commit' } })),
      'SCHEMA_INVALID',
    );
    assert.equal(
      refuses(encodeCanonical({ type: 'vote', vote: { ...vote, round: LIMITS.maxRoundsPerHeight + 1 } })),
      'SCHEMA_INVALID',
    );
    assert.equal(
      refuses(encodeCanonical({ type: 'vote', vote: { ...vote, signature: new Uint8Array(63) } })),
      'SCHEMA_INVALID',
    );
    assert.equal(refuses(encodeCanonical({ type: 'gossip', vote })), 'SCHEMA_INVALID');
    assert.equal(refuses(encodeCanonical([1, 2, 3])), 'SCHEMA_INVALID');
  });

  it('refuses a non-canonical encoding of a valid message', () => {
    const bytes = encodeConsensusMessage({ type: 'vote', vote: nilVote });
    // 0xa2 is a map of two entries; the same map with a 1-byte length head (0xb8 0x02) is not shortest.
    assert.equal(bytes[0], 0xa2);
    const longHead = new Uint8Array([0xb8, 0x02, ...bytes.subarray(1)]);
    assert.equal(refuses(longHead), 'CBOR_NON_CANONICAL');
  });

  it('refuses a message that is not a map, naming it', () => {
    for (const value of [[1], 'vote', utf8('vote'), null, 7]) {
      assert.throws(
        () => decodeConsensusMessage(encodeCanonical(value)),
        (error: unknown) =>
          isBayledgerError(error) && error.code === 'SCHEMA_INVALID' && /expected a map/.test(error.message),
      );
    }
  });

  it('refuses input over LIMITS.maxMessageBytes before decoding it', () => {
    assert.equal(refuses(new Uint8Array(LIMITS.maxMessageBytes + 1)), 'CBOR_TOO_LARGE');
  });

  it('random bytes and bit flips of real messages never make it throw anything but a typed error', () => {
    const encoded = messages.map((message) => encodeConsensusMessage(message));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc
            .tuple(
              fc.nat(encoded.length - 1),
              fc.array(fc.tuple(fc.nat(), fc.nat(7)), { minLength: 1, maxLength: 4 }),
            )
            .map(([which, flips]) => {
              const bytes = Uint8Array.from(encoded[which]!);
              for (const [at, bit] of flips) bytes[at % bytes.length]! ^= 1 << bit;
              return bytes;
            }),
        ),
        (bytes) => {
          try {
            const message = decodeConsensusMessage(bytes);
            assert.ok(
              bytesEqual(encodeConsensusMessage(message), bytes),
              'whatever decodes re-encodes to itself',
            );
          } catch (error) {
            assert.ok(isBayledgerError(error), `untyped error: ${String(error)}`);
          }
        },
      ),
      { numRuns: 500, seed: 4 },
    );
  });
});
