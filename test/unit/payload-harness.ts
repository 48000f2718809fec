// Shared fixtures for the payload channel tests (test/unit/payload*.test.ts and
// test/property/payload*.test.ts): temp folders, item files, a sealed transfer, and a loopback
// that feeds a PayloadSender's frames into a PayloadReceiver with an optional tamper in between.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { x25519KeyPairFromSecret } from '../../src/core/crypto/x25519.js';
import type { ExpectedItem } from '../../src/node/transfer/filing.js';
import type { PayloadRequest } from '../../src/node/transfer/protocol.js';
import {
  type PayloadExpectation,
  PayloadReceiver,
  type PayloadReceiverOptions,
  type ReceiveOutcome,
} from '../../src/node/transfer/receiver.js';
import { type SealedPayload, sealPayload } from '../../src/node/transfer/seal.js';
import { PayloadSender, type SendDecision } from '../../src/node/transfer/sender.js';

export const CHAIN_ID = 'gba-health-test';
export const RECIPIENT_ID = 'ehealth-hk';

export interface KeyPair {
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function x25519Pair(): KeyPair {
  const secret = new Uint8Array(randomBytes(32));
  return { secret, publicKey: x25519KeyPairFromSecret(secret).publicKey };
}

/**
 * Deterministic content: the AES-256-CTR keystream under SHA-256(seed), so files differ from each
 * other (and megabytes take milliseconds, not the seconds a hash per 32 bytes took).
 */
export function content(sizeBytes: number, seed: string): Uint8Array {
  const key = createHash('sha256').update(seed).digest();
  const keystream = createCipheriv('aes-256-ctr', key, new Uint8Array(16)).update(new Uint8Array(sizeBytes));
  return new Uint8Array(keystream.buffer, keystream.byteOffset, keystream.byteLength);
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** Runs `body` with a fresh temp folder and always removes it. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bayledger-payload-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface Fixture {
  readonly dir: string;
  readonly outboxDir: string;
  readonly inboxDir: string;
  readonly recipient: KeyPair;
  readonly contents: Uint8Array[];
  readonly sealed: SealedPayload;
  readonly expectation: PayloadExpectation;
}

export interface FixtureOptions {
  readonly chunkBytes?: number;
  /** Seal to this public key instead of the recipient's (the "wrong recipient key" case). */
  readonly sealTo?: Uint8Array;
}

/** Writes items of the given sizes, seals them, and builds the expectation a declaration implies. */
export async function sealFixture(
  dir: string,
  sizes: number[],
  options: FixtureOptions = {},
): Promise<Fixture> {
  const recipient = x25519Pair();
  const itemPaths: string[] = [];
  const contents: Uint8Array[] = [];
  for (const [i, size] of sizes.entries()) {
    const bytes = content(size, `${dir}/${i}`);
    const itemPath = path.join(dir, `source-${i}.dcm`);
    await writeFile(itemPath, bytes);
    itemPaths.push(itemPath);
    contents.push(bytes);
  }
  const outboxDir = path.join(dir, 'outbox');
  const sealed = await sealPayload({
    outboxDir,
    key: {
      chainId: CHAIN_ID,
      recipientId: RECIPIENT_ID,
      recipientPublicKey: options.sealTo ?? recipient.publicKey,
    },
    itemPaths,
    ...(options.chunkBytes === undefined ? {} : { chunkBytes: options.chunkBytes }),
  });
  const items: ExpectedItem[] = sealed.items.map((item, i) => ({
    category: i === 0 ? 'imaging-study' : 'radiology-report',
    documentType: i === 0 ? 'dicom-study' : 'pdf-report',
    sizeBytes: item.sizeBytes,
    digest: item.digest,
  }));
  const expectation: PayloadExpectation = {
    transferId: sha256(new TextEncoder().encode(`transfer/${dir}`)),
    patient: sha256(new TextEncoder().encode(`patient/${dir}`)),
    payload: sealed.commitment,
    items,
  };
  return { dir, outboxDir, inboxDir: path.join(dir, 'inbox'), recipient, contents, sealed, expectation };
}

export function receiverOptions(
  fixture: Fixture,
  overrides: Partial<PayloadReceiverOptions> = {},
): PayloadReceiverOptions {
  return {
    inboxDir: fixture.inboxDir,
    chainId: CHAIN_ID,
    recipientId: RECIPIENT_ID,
    recipientSecretKey: fixture.recipient.secret,
    expected: fixture.expectation,
    ...overrides,
  };
}

/** The release decision of an honest node whose transfer is approved. */
export function approve(fixture: Fixture): (request: PayloadRequest) => SendDecision {
  return () => ({ ok: true, payloadRoot: fixture.sealed.commitment.root });
}

export type Tamper = (frames: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

export interface DeliveryOptions {
  readonly tamper?: Tamper;
  readonly decide?: (request: PayloadRequest) => SendDecision;
  readonly sender?: PayloadSender;
  readonly receiver?: PayloadReceiver;
}

/** One request/response round trip, in memory; returns the outcome (the receiver is closed). */
export async function deliver(fixture: Fixture, options: DeliveryOptions = {}): Promise<ReceiveOutcome> {
  const receiver = options.receiver ?? (await PayloadReceiver.open(receiverOptions(fixture)));
  try {
    if (receiver.settled !== undefined) return receiver.settled;
    const sender = options.sender ?? new PayloadSender({ outboxDir: fixture.outboxDir });
    const frames = sender.respond(receiver.requestFrame(), options.decide ?? approve(fixture));
    return await receiver.receive(options.tamper ? options.tamper(frames) : frames);
  } finally {
    await receiver.close();
  }
}

/** Every file under `dir`, relative, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Files filed in the inbox, ignoring the partial folder. */
export async function filedFiles(inboxDir: string): Promise<string[]> {
  return (await listFiles(inboxDir)).filter((file) => !file.startsWith('.partial'));
}

/** Passes frames through `edit`, which may replace (return bytes), drop (undefined) or stop ('stop'). */
export function editFrames(
  edit: (frame: Uint8Array, position: number) => Uint8Array | undefined | 'stop',
): Tamper {
  return async function* (frames) {
    let position = 0;
    for await (const frame of frames) {
      const result = edit(frame, position++);
      if (result === 'stop') return;
      if (result !== undefined) yield result;
    }
  };
}
