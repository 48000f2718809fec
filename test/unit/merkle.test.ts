// Hand-checked RFC 9162 Merkle cases: the RFC 6962 reference leaves and their known roots and
// proofs (as in certificate-transparency and transparency-dev/merkle), node bookkeeping of appends,
// and the O(log n) read bound of proof generation.
import { strict as assert } from 'node:assert';
import { parseHex, utf8 } from '../../src/core/bytes.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { isBayledgerError } from '../../src/core/errors.js';
import {
  completedNodesAfterAppend,
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  largestPowerOfTwoBelow,
  leafHash,
  MemoryMerkleLog,
  type MerkleNodeSource,
  merkleRoot,
  nodeHash,
  rootAt,
  verifyConsistency,
  verifyInclusion,
} from '../../src/core/merkle/index.js';

function hex(text: string): Uint8Array {
  const bytes = parseHex(text);
  assert.ok(bytes !== undefined, `bad hex in test: ${text}`);
  return bytes;
}

function hexList(...texts: string[]): Uint8Array[] {
  return texts.map(hex);
}

/** The eight leaves of the RFC 6962 reference tests. */
const REFERENCE_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hex);
const REFERENCE_LEAF_HASHES = REFERENCE_LEAVES.map(leafHash);

/** Known roots of the first n reference leaves, index n - 1. */
const REFERENCE_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(hex);

/** RFC 9162 2.1.1 MTH over leaf hashes, recursive. */
function referenceRoot(leafHashes: Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return sha256(new Uint8Array(0));
  if (leafHashes.length === 1) return leafHashes[0]!;
  let k = 1;
  while (k * 2 < leafHashes.length) k *= 2;
  return nodeHash(referenceRoot(leafHashes.slice(0, k)), referenceRoot(leafHashes.slice(k)));
}

function numberedLeafHashes(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => leafHash(utf8(`leaf ${i}`)));
}

function logOf(leafHashes: Uint8Array[]): MemoryMerkleLog {
  const log = new MemoryMerkleLog();
  for (const hash of leafHashes) log.append(hash);
  return log;
}

function throwsCode(action: () => unknown, code: Parameters<typeof isBayledgerError>[1]): void {
  assert.throws(action, (error: unknown) => isBayledgerError(error, code));
}

/** Node (level, index) is complete in a tree of `treeSize` leaves. */
function isComplete(level: number, index: number, treeSize: number): boolean {
  return (index + 1) * 2 ** level <= treeSize;
}

/**
 * A source standing for a huge tree without storing it: node hashes are a deterministic function
 * of (level, index) and are not consistent with each other, so it serves to count reads only.
 * Throws on any node that is not complete in a tree of `treeSize` leaves.
 */
class CountingFakeSource implements MerkleNodeSource {
  reads = 0;
  constructor(readonly treeSize: number) {}
  getNode(level: number, index: number): Uint8Array {
    assert.ok(isComplete(level, index, this.treeSize), `read of incomplete node (${level}, ${index})`);
    this.reads++;
    return sha256(utf8(`${level}/${index}`));
  }
}

/** A consistent tree of any size in which every leaf hash is the same: node (l, i) depends on l only. */
class UniformTreeSource implements MerkleNodeSource {
  readonly #hashByLevel: Uint8Array[] = [leafHash(utf8('same'))];
  constructor(readonly treeSize: number) {}
  getNode(level: number, index: number): Uint8Array {
    assert.ok(isComplete(level, index, this.treeSize), `read of incomplete node (${level}, ${index})`);
    while (this.#hashByLevel.length <= level) {
      const below = this.#hashByLevel[this.#hashByLevel.length - 1]!;
      this.#hashByLevel.push(nodeHash(below, below));
    }
    return this.#hashByLevel[level]!;
  }
}

describe('Merkle hashing (RFC 9162 2.1.1)', () => {
  it('hashes the empty tree, leaves and nodes with domain separation', () => {
    assert.deepEqual(EMPTY_ROOT, hex('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'));
    assert.deepEqual(
      leafHash(new Uint8Array(0)),
      hex('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'),
    );
    assert.deepEqual(
      leafHash(utf8('L123456')),
      hex('395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56'),
    );
    assert.deepEqual(
      nodeHash(utf8('N123'), utf8('N456')),
      hex('aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb'),
    );
  });

  it('largestPowerOfTwoBelow is the k of the split, k < n <= 2k', () => {
    const cases: Array<[number, number]> = [
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 4],
      [8, 4],
      [9, 8],
      [2 ** 40 + 1, 2 ** 40],
      [2 ** 53 - 1, 2 ** 52],
    ];
    for (const [n, k] of cases) assert.equal(largestPowerOfTwoBelow(n), k, `n = ${n}`);
    assert.throws(() => largestPowerOfTwoBelow(1));
  });
});

describe('Merkle roots', () => {
  it('the empty tree has root SHA-256("")', () => {
    assert.deepEqual(merkleRoot([]), EMPTY_ROOT);
    assert.deepEqual(new MemoryMerkleLog().root(), EMPTY_ROOT);
  });

  for (const size of [1, 2, 3, 7, 8]) {
    it(`a tree of ${size} reference leaves has the known root`, () => {
      const leafHashes = REFERENCE_LEAF_HASHES.slice(0, size);
      assert.deepEqual(merkleRoot(leafHashes), REFERENCE_ROOTS[size - 1]);
      assert.deepEqual(logOf(leafHashes).root(), REFERENCE_ROOTS[size - 1]);
    });
  }

  it('rootAt of every prefix equals the recursive reference and merkleRoot', () => {
    const leafHashes = numberedLeafHashes(130);
    const log = logOf(leafHashes);
    for (let size = 0; size <= leafHashes.length; size++) {
      const prefix = leafHashes.slice(0, size);
      assert.deepEqual(rootAt(log, size), referenceRoot(prefix), `size ${size}`);
      assert.deepEqual(merkleRoot(prefix), referenceRoot(prefix), `size ${size}`);
    }
  });
});

describe('Merkle proofs against known values', () => {
  const log = logOf(REFERENCE_LEAF_HASHES);

  it('inclusion proofs of the reference tree', () => {
    const cases: Array<[number, number, Uint8Array[]]> = [
      [0, 1, []],
      [
        0,
        8,
        hexList(
          '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
          '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
        ),
      ],
      [
        5,
        8,
        hexList(
          'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
          'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
          'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
        ),
      ],
      [2, 3, hexList('fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125')],
      [
        6,
        7,
        hexList(
          '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
          'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
        ),
      ],
    ];
    for (const [index, size, expected] of cases) {
      const proof = inclusionProof(log, index, size);
      assert.deepEqual(proof, expected, `leaf ${index} of ${size}`);
      const root = REFERENCE_ROOTS[size - 1]!;
      assert.ok(verifyInclusion(REFERENCE_LEAF_HASHES[index]!, index, size, proof, root).ok);
    }
  });

  it('consistency proofs of the reference tree', () => {
    const cases: Array<[number, number, Uint8Array[]]> = [
      [1, 1, []],
      [8, 8, []],
      [
        1,
        8,
        hexList(
          '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
          '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
        ),
      ],
      [
        6,
        8,
        hexList(
          '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
          'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
          'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
        ),
      ],
      [
        2,
        5,
        hexList(
          '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
          'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
        ),
      ],
    ];
    for (const [oldSize, newSize, expected] of cases) {
      const proof = consistencyProof(log, oldSize, newSize);
      assert.deepEqual(proof, expected, `${oldSize} -> ${newSize}`);
      const [oldRoot, newRoot] = [REFERENCE_ROOTS[oldSize - 1]!, REFERENCE_ROOTS[newSize - 1]!];
      assert.ok(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof).ok);
    }
  });
});

describe('completedNodesAfterAppend', () => {
  const leafHashes = numberedLeafHashes(64);

  it('returns the leaf and one parent per level while the new node is a right child', () => {
    const expected: Array<[number, Array<[number, number]>]> = [
      [0, [[0, 0]]],
      [
        1,
        [
          [0, 1],
          [1, 0],
        ],
      ],
      [2, [[0, 2]]],
      [
        3,
        [
          [0, 3],
          [1, 1],
          [2, 0],
        ],
      ],
      [6, [[0, 6]]],
      [
        7,
        [
          [0, 7],
          [1, 3],
          [2, 1],
          [3, 0],
        ],
      ],
    ];
    for (const [leafIndex, ids] of expected) {
      const log = logOf(leafHashes.slice(0, leafIndex));
      const nodes = completedNodesAfterAppend(log, leafIndex, leafHashes[leafIndex]!);
      assert.deepEqual(
        nodes.map((node) => [node.level, node.index]),
        ids,
        `leaf ${leafIndex}`,
      );
      for (const node of nodes) {
        const width = 2 ** node.level;
        const covered = leafHashes.slice(node.index * width, (node.index + 1) * width);
        assert.deepEqual(node.hash, referenceRoot(covered), `node (${node.level}, ${node.index})`);
      }
    }
  });

  it('a store that writes exactly these nodes holds every complete subtree and nothing else', () => {
    const stored = new Map<string, Uint8Array>();
    const store: MerkleNodeSource = {
      getNode: (level, index) => {
        const hash = stored.get(`${level}/${index}`);
        assert.ok(hash !== undefined, `missing node (${level}, ${index})`);
        return hash;
      },
    };
    for (let size = 1; size <= leafHashes.length; size++) {
      for (const node of completedNodesAfterAppend(store, size - 1, leafHashes[size - 1]!)) {
        const key = `${node.level}/${node.index}`;
        assert.ok(!stored.has(key), `node (${key}) written twice`);
        stored.set(key, node.hash);
      }
      let completeCount = 0;
      for (let level = 0; 2 ** level <= size; level++) {
        const width = 2 ** level;
        for (let index = 0; (index + 1) * width <= size; index++) {
          completeCount++;
          const covered = leafHashes.slice(index * width, (index + 1) * width);
          assert.deepEqual(store.getNode(level, index), referenceRoot(covered));
        }
      }
      assert.equal(stored.size, completeCount, `after ${size} appends`);
      assert.deepEqual(rootAt(store, size), referenceRoot(leafHashes.slice(0, size)));
    }
  });

  it('MemoryMerkleLog refuses to answer an incomplete node', () => {
    const log = logOf(leafHashes.slice(0, 3));
    assert.equal(log.size, 3);
    throwsCode(() => log.getNode(1, 1), 'NOT_FOUND');
    throwsCode(() => log.getNode(0, 3), 'NOT_FOUND');
  });
});

describe('Merkle proof generation cost', () => {
  const treeSize = 1_000_000;
  const maxReads = 2 * Math.ceil(Math.log2(treeSize));
  const leafIndexes = [0, 1, 2, 3, 123_456, 2 ** 19 - 1, 2 ** 19, 765_432, 999_935, 999_998, 999_999];

  it(`an inclusion proof at ${treeSize} leaves reads at most 2 * log2(n) complete nodes`, () => {
    for (const leafIndex of leafIndexes) {
      const source = new CountingFakeSource(treeSize);
      inclusionProof(source, leafIndex, treeSize);
      assert.ok(source.reads <= maxReads, `leaf ${leafIndex}: ${source.reads} reads`);
    }
  });

  it(`a consistency proof at ${treeSize} leaves reads at most 2 * log2(n) complete nodes`, () => {
    const oldSizes = [1, 2, 3, 1000, 2 ** 19, 2 ** 19 + 1, 654_321, 999_999, treeSize];
    for (const oldSize of oldSizes) {
      const source = new CountingFakeSource(treeSize);
      consistencyProof(source, oldSize, treeSize);
      assert.ok(source.reads <= maxReads, `old size ${oldSize}: ${source.reads} reads`);
    }
  });

  it(`rootAt reads one node per set bit of the size`, () => {
    const source = new CountingFakeSource(treeSize);
    rootAt(source, treeSize);
    assert.equal(source.reads, treeSize.toString(2).replaceAll('0', '').length);
  });

  it('proofs stay exact beyond 2^32 leaves (no 32-bit bitwise arithmetic)', () => {
    const newSize = 2 ** 41 + 2 ** 33 + 12_345;
    const oldSize = 2 ** 40 + 2 ** 32 + 7;
    const source = new UniformTreeSource(newSize);
    const leaf = source.getNode(0, 0);
    const [oldRoot, newRoot] = [rootAt(source, oldSize), rootAt(source, newSize)];
    for (const leafIndex of [0, 2 ** 32 + 1, oldSize - 1, newSize - 1]) {
      const proof = inclusionProof(source, leafIndex, newSize);
      assert.ok(verifyInclusion(leaf, leafIndex, newSize, proof, newRoot).ok, `leaf ${leafIndex}`);
      assert.equal(verifyInclusion(leaf, leafIndex, oldSize, proof, oldRoot).ok, false);
    }
    const proof = consistencyProof(source, oldSize, newSize);
    assert.ok(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof).ok);
  });
});

describe('Merkle argument checks', () => {
  const log = logOf(numberedLeafHashes(5));

  it('proof generation refuses out-of-range or malformed requests with typed errors', () => {
    throwsCode(() => inclusionProof(log, 5, 5), 'NOT_FOUND');
    throwsCode(() => inclusionProof(log, 0, 0), 'NOT_FOUND');
    throwsCode(() => inclusionProof(log, -1, 5), 'USAGE');
    throwsCode(() => inclusionProof(log, 0.5, 5), 'USAGE');
    throwsCode(() => consistencyProof(log, 0, 5), 'USAGE');
    throwsCode(() => consistencyProof(log, 4, 3), 'NOT_FOUND');
    throwsCode(() => consistencyProof(log, 2, Number.NaN), 'USAGE');
    throwsCode(() => rootAt(log, -1), 'USAGE');
  });

  it('verification rejects malformed arguments with a reason', () => {
    const leaf = log.getNode(0, 2);
    const root = log.root();
    const proof = inclusionProof(log, 2, 5);
    assert.ok(verifyInclusion(leaf, 2, 5, proof, root).ok);
    const rejected = [
      verifyInclusion(leaf, 2, 5.5, proof, root),
      verifyInclusion(leaf, Number.NaN, 5, proof, root),
      verifyInclusion(leaf, 2, 5, [...proof, proof[0]!], root),
      verifyInclusion(leaf, 2, 5, proof.slice(1), root),
      verifyInclusion(leaf, 2, 5, [proof[0]!.subarray(1), ...proof.slice(1)], root),
      verifyInclusion(leaf.subarray(0, 31), 2, 5, proof, root),
      verifyConsistency(2, 5, rootAt(log, 2), root, []),
      verifyConsistency(0, 5, EMPTY_ROOT, root, []),
      verifyConsistency(5, 2, root, rootAt(log, 2), []),
    ];
    for (const verdict of rejected) {
      assert.equal(verdict.ok, false);
      assert.ok(!verdict.ok && verdict.reason.length > 0);
    }
  });
});
