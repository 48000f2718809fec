// Payload channel micro-benchmark (design section 9; issue 7 item 6). Prints MB/s for:
//   1. raw AEAD on 1 MiB chunks, AES-256-GCM and ChaCha20-Poly1305 (why the channel uses AES-GCM),
//      and SHA-256 for reference (the chunk tree and item digests hash every byte);
//   2. encrypt + commit: sealPayload of a synthetic payload from files into an outbox;
//   3. verify + decrypt: PayloadSender -> protocol frames -> PayloadReceiver -> inbox, in memory
//      (no network), including inclusion proofs, AEAD, the resumable partial and filing.
// Usage: npx tsx test/bench/payload-crypto.ts [--mb 200]
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { x25519KeyPairFromSecret } from '../../src/core/crypto/x25519.js';
import { LIMITS } from '../../src/core/limits.js';
import { PayloadReceiver } from '../../src/node/transfer/receiver.js';
import { sealPayload } from '../../src/node/transfer/seal.js';
import { PayloadSender } from '../../src/node/transfer/sender.js';

const MB = 1_000_000;
const CHUNK = LIMITS.payloadChunkBytes;

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function rate(bytes: number, startMs: number): string {
  return `${(bytes / MB / ((performance.now() - startMs) / 1000)).toFixed(0)} MB/s`;
}

/** Runs `step` on 1 MiB for about `durationMs` and returns MB/s. */
function throughput(step: () => void, durationMs = 1500): string {
  for (let i = 0; i < 20; i++) step();
  const start = performance.now();
  let bytes = 0;
  while (performance.now() - start < durationMs) {
    step();
    bytes += CHUNK;
  }
  return rate(bytes, start);
}

function rawAead(): void {
  const key = randomBytes(32);
  const plaintext = randomBytes(CHUNK);
  const aad = Buffer.alloc(24);
  for (const cipherName of ['aes-256-gcm', 'chacha20-poly1305'] as const) {
    let counter = 0;
    const nonce = () => {
      const iv = Buffer.alloc(12);
      iv.writeUInt32BE(counter++, 8);
      return iv;
    };
    const seal = (iv: Buffer) => {
      const cipher =
        cipherName === 'aes-256-gcm'
          ? createCipheriv(cipherName, key, iv, { authTagLength: 16 })
          : createCipheriv(cipherName, key, iv, { authTagLength: 16 });
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { body, tag: cipher.getAuthTag() };
    };
    const sample = seal(Buffer.alloc(12));
    const encrypt = throughput(() => seal(nonce()));
    const decrypt = throughput(() => {
      const decipher =
        cipherName === 'aes-256-gcm'
          ? createDecipheriv(cipherName, key, Buffer.alloc(12), { authTagLength: 16 })
          : createDecipheriv(cipherName, key, Buffer.alloc(12), { authTagLength: 16 });
      decipher.setAAD(aad);
      decipher.setAuthTag(sample.tag);
      decipher.update(sample.body);
      decipher.final();
    });
    console.log(
      `raw AEAD ${cipherName.padEnd(18)} encrypt ${encrypt.padStart(10)}   decrypt ${decrypt.padStart(10)}`,
    );
  }
  console.log(
    `SHA-256 (reference)               ${throughput(() => createHash('sha256').update(plaintext).digest())}`,
  );
}

/** Writes `bytes` of incompressible synthetic data in 1 MiB blocks. */
async function writeSynthetic(file: string, bytes: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    const block = randomBytes(CHUNK);
    for (let written = 0; written < bytes; written += CHUNK) {
      block.writeUInt32BE(written / CHUNK, 0);
      await handle.write(block, 0, Math.min(CHUNK, bytes - written), written);
    }
  } finally {
    await handle.close();
  }
}

async function pipeline(totalMb: number): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bayledger-bench-payload-'));
  try {
    const sizes = [Math.round(totalMb * MB * 0.95), Math.round(totalMb * MB * 0.05)];
    const itemPaths = sizes.map((_, i) => path.join(dir, `item-${i}.bin`));
    for (const [i, size] of sizes.entries()) await writeSynthetic(itemPaths[i]!, size);
    const totalBytes = sizes[0]! + sizes[1]!;
    const recipientSecret = new Uint8Array(randomBytes(32));
    const recipientPublicKey = x25519KeyPairFromSecret(recipientSecret).publicKey;
    const chainId = 'bench-chain';
    const recipientId = 'ehealth-hk';

    const sealStart = performance.now();
    const sealed = await sealPayload({
      outboxDir: path.join(dir, 'outbox'),
      key: { chainId, recipientId, recipientPublicKey },
      itemPaths,
    });
    console.log(
      `encrypt + commit (seal ${(totalBytes / MB).toFixed(0)} MB, ${sealed.commitment.chunkCount} chunks)  ${rate(totalBytes, sealStart)}`,
    );

    const receiveStart = performance.now();
    const receiver = await PayloadReceiver.open({
      inboxDir: path.join(dir, 'inbox'),
      chainId,
      recipientId,
      recipientSecretKey: recipientSecret,
      expected: {
        transferId: new Uint8Array(32).fill(1),
        patient: new Uint8Array(32).fill(2),
        payload: sealed.commitment,
        items: sealed.items.map((item) => ({
          ...item,
          category: 'imaging-study',
          documentType: 'dicom-study',
        })),
      },
    });
    const sender = new PayloadSender({ outboxDir: path.join(dir, 'outbox') });
    const frames = sender.respond(receiver.requestFrame(), () => ({
      ok: true,
      payloadRoot: sealed.commitment.root,
    }));
    const outcome = await receiver.receive(frames);
    await receiver.close();
    if (outcome.status !== 'delivered') throw new Error(`not delivered: ${JSON.stringify(outcome)}`);
    console.log(`stream + verify + decrypt + file                  ${rate(totalBytes, receiveStart)}`);
    console.log(`end to end (seal, stream, verify, decrypt, file)  ${rate(totalBytes, sealStart)}`);
    console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

rawAead();
await pipeline(argument('mb', 200));
