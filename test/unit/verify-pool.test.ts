import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { utf8 } from '../../src/core/bytes.js';
import { Ed25519Signer, verifySignature } from '../../src/core/crypto/ed25519.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import {
  bitmapBytes,
  countVerified,
  createBitmap,
  isVerified,
  mergeBits,
  setVerified,
} from '../../src/node/verify-pool/bitmap.js';
import { packBatch } from '../../src/node/verify-pool/packed-batch.js';
import type { SignatureCheck } from '../../src/node/verify-pool/signature-check.js';
import { splitIntoBatches } from '../../src/node/verify-pool/split-batches.js';
import { verifyPacked } from '../../src/node/verify-pool/verify-packed.js';
import { VerifyPool } from '../../src/node/verify-pool/verify-pool.js';
import { rejectsWith, throwsWith } from '../helpers/rejects.js';

// Keys derive from fixed labels at test time: nothing secret is committed.
const signers = [0, 1, 2].map((n) => new Ed25519Signer(sha256(utf8(`verify-pool-test-signer-${n}`))));

function validCheck(n: number): SignatureCheck {
  const signer = signers[n % signers.length]!;
  const message = utf8(`message ${n} `.repeat(1 + (n % 5)));
  return { publicKey: signer.publicKey, message, signature: signer.sign(message) };
}

function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[index]! ^= 0x01;
  return copy;
}

/** Every way a check can fail, interleaved with valid checks; `n` picks the variant. */
function mixedCheck(n: number): SignatureCheck {
  const check = validCheck(n);
  switch (n % 9) {
    case 1:
      return { ...check, message: flipByte(check.message, 0) };
    case 2:
      return { ...check, signature: flipByte(check.signature, 5) };
    case 3:
      return { ...check, publicKey: signers[(n + 1) % signers.length]!.publicKey };
    case 4:
      return { ...check, publicKey: check.publicKey.subarray(0, 31) };
    case 5:
      return { ...check, signature: check.signature.subarray(0, 63) };
    case 6:
      return { ...check, publicKey: new Uint8Array(32).fill(0xff) }; // not a point on the curve
    case 7:
      return { ...check, message: new Uint8Array(0) };
    default:
      return check;
  }
}

function singleThreadBits(checks: readonly SignatureCheck[]): boolean[] {
  return checks.map((check) => verifySignature(check.publicKey, check.message, check.signature));
}

function bitsOf(bitmap: Uint8Array, count: number): boolean[] {
  assert.equal(bitmap.byteLength, bitmapBytes(count));
  return Array.from({ length: count }, (_, index) => isVerified(bitmap, index));
}

describe('verify pool: packed layout (same thread)', () => {
  it('verifies a packed batch exactly like verifySignature, malformed lengths included', () => {
    const checks = Array.from({ length: 45 }, (_, n) => mixedCheck(n));
    const expected = singleThreadBits(checks);
    assert.ok(expected.includes(true) && expected.includes(false));
    assert.deepEqual(bitsOf(verifyPacked(packBatch(checks)), checks.length), expected);
  });

  it('merges batch answers in any arrival order, also when two batches share a byte', () => {
    // Batches of 13 bits: the second starts inside the first one's last byte and lands first.
    const first = createBitmap(13);
    const second = createBitmap(13);
    for (let index = 0; index < 13; index++) {
      setVerified(first, index);
      if (index % 2 === 0) setVerified(second, index);
    }
    const whole = createBitmap(26);
    mergeBits(whole, 13, second, 13);
    mergeBits(whole, 0, first, 13);
    assert.deepEqual(
      bitsOf(whole, 26),
      Array.from({ length: 26 }, (_, index) => index < 13 || (index - 13) % 2 === 0),
    );
  });

  it('splits long inputs by count, keeping order and first indexes', () => {
    const checks = Array.from({ length: 20 }, (_, n) => validCheck(n));
    const batches = splitIntoBatches(checks, 7);
    assert.deepEqual(
      batches.map((batch) => [batch.firstIndex, batch.checks.length]),
      [
        [0, 7],
        [7, 7],
        [14, 6],
      ],
    );
    assert.equal(batches[2]!.checks[0], checks[14]);
  });

  it('splits by bytes at the exact edge of a batch, and packs a batch of exactly the byte bound', () => {
    // A check's packed cost is its three offset words and its bytes; a batch pays two more words.
    const withMessageOf = (messageBytes: number): SignatureCheck => ({
      ...validCheck(0),
      message: new Uint8Array(messageBytes),
    });
    const fixedBytes = 12 + 32 + 64;
    const room = LIMITS.maxVerifyBatchBytes - 8;
    const whole = withMessageOf(room - fixedBytes);
    assert.deepEqual(
      splitIntoBatches([whole], 4).map((batch) => batch.checks.length),
      [1],
      'one check that fills a batch exactly',
    );
    assert.equal(packBatch([whole]).byteLength, LIMITS.maxVerifyBatchBytes);
    throwsWith(
      () => packBatch([withMessageOf(room - fixedBytes + 1)]),
      'MESSAGE_TOO_LARGE',
      `a packed batch of ${LIMITS.maxVerifyBatchBytes + 1} bytes exceeds ${LIMITS.maxVerifyBatchBytes}`,
    );
    throwsWith(
      () => splitIntoBatches([withMessageOf(room - fixedBytes + 1)], 4),
      'MESSAGE_TOO_LARGE',
      `check 0: check of ${room + 1} bytes exceeds a batch`,
    );
    // Two halves that fill one batch exactly, then one byte more: two batches.
    const half = (room - 2 * fixedBytes) / 2;
    const halves = (extra: number) => [withMessageOf(half), withMessageOf(half + extra)];
    assert.deepEqual(
      splitIntoBatches(halves(0), 4).map((batch) => batch.checks.length),
      [2],
    );
    assert.deepEqual(
      splitIntoBatches(halves(1), 4).map((batch) => batch.checks.length),
      [1, 1],
    );
    assert.deepEqual(splitIntoBatches([], 4), []);
  });

  it('refuses a check larger than a whole batch with a typed error', () => {
    const huge = { ...validCheck(0), message: new Uint8Array(LIMITS.maxVerifyBatchBytes) };
    assert.throws(
      () => splitIntoBatches([huge], 4),
      (error) => isBayledgerError(error, 'MESSAGE_TOO_LARGE'),
    );
  });
});

describe('verify pool: workers', function () {
  // Worker start-up under tsx compiles the worker's modules: allow for a slow shared machine.
  this.timeout(30_000);
  let pool: VerifyPool;

  before(async () => {
    pool = new VerifyPool({ workers: 2 });
    await pool.ready();
  });

  after(async () => {
    await pool.close();
  });

  it('returns the single-threaded answer for a mix of valid and invalid signatures', async () => {
    const checks = Array.from({ length: 200 }, (_, n) => mixedCheck(n));
    const bitmap = await pool.verifyBatch(checks);
    assert.deepEqual(bitsOf(bitmap, checks.length), singleThreadBits(checks));
    assert.equal(countVerified(bitmap, checks.length), singleThreadBits(checks).filter(Boolean).length);
  });

  it('keeps each batch answer with its batch when many run at once', async () => {
    // Batch k carries its invalid check at position k, so a swapped answer cannot pass.
    const batches = Array.from({ length: 12 }, (_, k) =>
      Array.from({ length: 16 }, (_, n) => (n === k ? mixedCheck(2) : validCheck(n))),
    );
    const bitmaps = await Promise.all(batches.map((checks) => pool.verifyBatch(checks)));
    bitmaps.forEach((bitmap, k) => {
      assert.deepEqual(
        bitsOf(bitmap, 16),
        Array.from({ length: 16 }, (_, n) => n !== k),
      );
    });
  });

  it('verifyMany splits across batches and keeps order, also off byte boundaries', async () => {
    const checks = Array.from({ length: 301 }, (_, n) => mixedCheck(n * 7));
    const expected = singleThreadBits(checks);
    assert.deepEqual(bitsOf(await pool.verifyMany(checks, 13), checks.length), expected);
    assert.deepEqual(bitsOf(await pool.verifyMany(checks, 64), checks.length), expected);
  });

  it('answers an empty batch without a worker', async () => {
    const answer = pool.verifyBatch([]);
    assert.equal(pool.inFlightBatches + pool.queuedBatches, 0, 'no worker asked, not even queued');
    assert.equal((await answer).byteLength, 0);
  });
});

describe('verify pool: bounds and shutdown', function () {
  this.timeout(30_000);

  it('refuses an invalid worker count before starting any worker', () => {
    assert.throws(
      () => new VerifyPool({ workers: 0 }),
      (error) => isBayledgerError(error, 'CONFIG_INVALID'),
    );
  });

  it('refuses batches beyond the queue bound with OVERLOADED, then serves the rest', async () => {
    const pool = new VerifyPool({ workers: 1, maxInFlightPerWorker: 1, maxQueuedBatches: 1 });
    try {
      const checks = [validCheck(1), validCheck(2)];
      const first = pool.verifyBatch(checks);
      const second = pool.verifyBatch(checks);
      assert.equal(pool.inFlightBatches, 1);
      assert.equal(pool.queuedBatches, 1);
      await rejectsWith(
        pool.verifyBatch(checks),
        'OVERLOADED',
        '1 batches are already waiting for a verify worker',
      );
      for (const bitmap of await Promise.all([first, second]))
        assert.deepEqual(bitsOf(bitmap, 2), [true, true]);
    } finally {
      await pool.close();
    }
  });

  it('close() rejects pending batches, refuses new ones and can be called twice', async () => {
    const pool = new VerifyPool({ workers: 1, maxInFlightPerWorker: 1 });
    const checks = Array.from({ length: 64 }, (_, n) => validCheck(n));
    // Handlers attach before close() so the rejections are never unhandled, even for a moment.
    const inFlight = rejectsWith(pool.verifyBatch(checks), 'CLOSED', 'the verify pool is closed');
    const queued = rejectsWith(pool.verifyBatch(checks), 'CLOSED', 'the verify pool is closed');
    assert.equal(pool.inFlightBatches + pool.queuedBatches, 2);
    await pool.close();
    await Promise.all([inFlight, queued]);
    await rejectsWith(pool.verifyBatch(checks), 'CLOSED', 'the verify pool is closed');
    await pool.close();
    assert.equal(pool.inFlightBatches + pool.queuedBatches, 0);
  });
});

describe('verify pool: process lifetime', function () {
  this.timeout(60_000);

  it('an idle pool that was never closed does not keep the process alive', async () => {
    // A child process verifies one batch and forgets the pool: idle workers are unref'd, so the
    // child must exit by itself. The deadline only bounds a failure; success ends as soon as it exits.
    const poolModule = fileURLToPath(new URL('../../src/node/verify-pool/verify-pool.ts', import.meta.url));
    const script = [
      `const { VerifyPool } = await import(${JSON.stringify(poolModule)});`,
      'const pool = new VerifyPool({ workers: 1 });',
      'const bitmap = await pool.verifyBatch([{ publicKey: new Uint8Array(32), message: new Uint8Array(0), signature: new Uint8Array(64) }]);',
      'process.stdout.write("verified " + bitmap.length + " " + bitmap[0]);',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const deadline = setTimeout(() => child.kill('SIGKILL'), 45_000);
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (code, killedBy) => resolve([code, killedBy])),
    );
    clearTimeout(deadline);
    assert.equal(signal, null, `the child hung and was killed; output: ${output}`);
    assert.equal(exitCode, 0, output);
    assert.equal(output, 'verified 1 0');
  });
});
