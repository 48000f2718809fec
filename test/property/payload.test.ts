// Properties of the payload channel over random sizes (fast-check): every item list round-trips
// byte for byte, including 0- and 1-byte items and containers of exactly a chunk multiple and
// one byte either side; any flipped bit in any chunk or proof is refused; the layout arithmetic
// is consistent in both directions.
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { bytesEqual } from '../../src/core/bytes.js';
import { ChunkVerifier } from '../../src/node/transfer/chunk-verifier.js';
import { encodeContainerHead } from '../../src/node/transfer/container.js';
import { chunkSealedBytes, layoutForContainer, layoutForDeclared } from '../../src/node/transfer/layout.js';
import { OutboxPayload } from '../../src/node/transfer/outbox.js';
import { deliver, type Fixture, sealFixture, withTempDir } from '../unit/payload-harness.js';

const CHUNK = 64;

async function assertRoundTrip(fixture: Fixture): Promise<void> {
  const outcome = await deliver(fixture);
  assert.equal(outcome.status, 'delivered', JSON.stringify(outcome));
  if (outcome.status !== 'delivered') return;
  const manifest = JSON.parse(await readFile(path.join(outcome.directory, 'manifest.json'), 'utf8'));
  for (const [i, item] of manifest.items.entries()) {
    const filed = new Uint8Array(await readFile(path.join(outcome.directory, item.file)));
    assert.ok(bytesEqual(filed, fixture.contents[i]!), `item ${i} differs`);
  }
}

/** The size of one item that makes the container exactly `containerBytes` long (head included). */
function itemSizeForContainer(containerBytes: number): number {
  let size = containerBytes;
  for (let i = 0; i < 4; i++) size = containerBytes - encodeContainerHead([size]).byteLength;
  assert.equal(encodeContainerHead([size]).byteLength + size, containerBytes);
  return size;
}

describe('payload channel properties', () => {
  it('round-trips random item lists with sizes around chunk boundaries', async () => {
    const edgeSize = fc.oneof(
      fc.constantFrom(0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK - 1),
      fc.integer({ min: 0, max: 20 * CHUNK }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(edgeSize, { minLength: 1, maxLength: 4 }), async (sizes) => {
        await withTempDir(async (dir) =>
          assertRoundTrip(await sealFixture(dir, sizes, { chunkBytes: CHUNK })),
        );
      }),
      { numRuns: 15 },
    );
  });

  it('round-trips containers of exactly k chunks and one byte either side', async () => {
    for (const chunks of [1, 2, 3]) {
      for (const delta of [-1, 0, 1]) {
        const containerBytes = chunks * CHUNK + delta;
        await withTempDir(async (dir) => {
          const fixture = await sealFixture(dir, [itemSizeForContainer(containerBytes)], {
            chunkBytes: CHUNK,
          });
          assert.equal(fixture.sealed.commitment.chunkCount, Math.ceil(containerBytes / CHUNK));
          await assertRoundTrip(fixture);
        });
      }
    }
  });

  it('refuses any single flipped bit in any chunk or in any proof hash', async () => {
    await withTempDir(async (dir) => {
      const fixture = await sealFixture(dir, [40 * CHUNK], { chunkBytes: CHUNK });
      const outbox = await OutboxPayload.open(fixture.outboxDir, fixture.sealed.commitment.root);
      try {
        const created = ChunkVerifier.create(fixture.sealed.commitment);
        assert.ok(created.ok);
        const { verifier } = created;
        const chunkCount = verifier.layout.chunkCount;
        const chunks = await Promise.all(
          Array.from({ length: chunkCount }, (_, i) => outbox.readSealedChunk(i)),
        );
        for (let i = 0; i < chunkCount; i++)
          assert.ok(verifier.verify(i, outbox.inclusionProof(i), chunks[i]!).ok);
        fc.assert(
          fc.property(
            fc.integer({ min: 0, max: chunkCount - 1 }),
            fc.nat(),
            fc.boolean(),
            (index, bitSeed, inProof) => {
              const proof = outbox.inclusionProof(index).map((hash) => Uint8Array.from(hash));
              const sealed = Uint8Array.from(chunks[index]!);
              const target = inProof ? proof[bitSeed % proof.length]! : sealed;
              const bit = bitSeed % (target.byteLength * 8);
              target[bit >> 3]! ^= 1 << (bit & 7);
              const verdict = verifier.verify(index, proof, sealed);
              assert.equal(verdict.ok ? 'accepted' : verdict.reason, 'CHUNK_PROOF_INVALID');
            },
          ),
          { numRuns: 300 },
        );
      } finally {
        await outbox.close();
      }
    });
  });

  it('derives one layout from the container size and reads the same one back from the declaration', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.integer({ min: 1, max: 70_000 }),
        (containerBytes, chunkBytes) => {
          const made = layoutForContainer(containerBytes, chunkBytes);
          if (!made.ok) return;
          const { layout } = made;
          const read = layoutForDeclared(layout.payloadBytes, chunkBytes, layout.chunkCount);
          assert.deepEqual(read, made);
          assert.equal(layoutForDeclared(layout.payloadBytes, chunkBytes, layout.chunkCount + 1).ok, false);
          assert.equal(layoutForDeclared(layout.payloadBytes, chunkBytes, layout.chunkCount - 1).ok, false);
          let total = 0;
          for (let i = 0; i < layout.chunkCount; i++) {
            const sealed = chunkSealedBytes(layout, i);
            assert.ok(sealed > 16 && sealed <= chunkBytes + 16);
            total += sealed;
          }
          assert.equal(total, layout.payloadBytes);
        },
      ),
      { numRuns: 300 },
    );
  });
});
