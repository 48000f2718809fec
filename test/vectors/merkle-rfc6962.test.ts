// RFC 6962 / RFC 9162 Merkle proof vectors from transparency-dev/merkle (Apache-2.0), read from
// ../shared/vectors beside the repository (see shared/vectors/README.md). Valid cases must verify,
// every `wantErr: true` case must be rejected. A missing folder fails the run, never skips it.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyConsistency, verifyInclusion } from '../../src/core/merkle/index.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TESTDATA = path.resolve(REPO_ROOT, '../shared/vectors/rfc6962/testdata');
const MIN_FILES_PER_KIND = 50;

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

function base64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function decodeProof(proof: string[] | null): Uint8Array[] {
  return (proof ?? []).map(base64);
}

/** Every .json file under `folder`, recursively, as paths relative to it; [] if it is missing. */
function jsonFilesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .sort();
}

/** Sizes above 2^53 (one vector uses 2^64 - 1) parse as unsafe numbers, which the verifier rejects. */
function readVector<T>(folder: string, name: string): T {
  return JSON.parse(readFileSync(path.join(folder, name), 'utf8')) as T;
}

function expectVerdict(verdict: { ok: boolean; reason?: string }, wantErr: boolean): void {
  if (wantErr) assert.equal(verdict.ok, false, 'an invalid proof was accepted');
  else assert.ok(verdict.ok, `a valid proof was rejected: ${verdict.reason}`);
}

describe('RFC 6962 / 9162 Merkle proof vectors', () => {
  const inclusionFolder = path.join(TESTDATA, 'inclusion');
  const consistencyFolder = path.join(TESTDATA, 'consistency');
  const inclusionFiles = jsonFilesUnder(inclusionFolder);
  const consistencyFiles = jsonFilesUnder(consistencyFolder);

  it('finds the vector folder with enough files', () => {
    assert.ok(existsSync(TESTDATA), `vector folder ${TESTDATA} is missing: copy shared/ beside the repo`);
    assert.ok(inclusionFiles.length > MIN_FILES_PER_KIND, `only ${inclusionFiles.length} inclusion vectors`);
    assert.ok(
      consistencyFiles.length > MIN_FILES_PER_KIND,
      `only ${consistencyFiles.length} consistency vectors`,
    );
  });

  describe('inclusion (RFC 9162 2.1.3.2)', () => {
    for (const name of inclusionFiles) {
      it(name, () => {
        const vector = readVector<InclusionVector>(inclusionFolder, name);
        const verdict = verifyInclusion(
          base64(vector.leafHash),
          vector.leafIdx,
          vector.treeSize,
          decodeProof(vector.proof),
          base64(vector.root),
        );
        expectVerdict(verdict, vector.wantErr);
      });
    }
  });

  describe('consistency (RFC 9162 2.1.4.2)', () => {
    for (const name of consistencyFiles) {
      it(name, () => {
        const vector = readVector<ConsistencyVector>(consistencyFolder, name);
        const verdict = verifyConsistency(
          vector.size1,
          vector.size2,
          base64(vector.root1),
          base64(vector.root2),
          decodeProof(vector.proof),
        );
        expectVerdict(verdict, vector.wantErr);
      });
    }
  });
});
