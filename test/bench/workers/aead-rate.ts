// The payload benchmark's ceiling, in a process of its own started with malloc on huge pages
// (src/node/malloc-tuning.ts), as the nodes that move payloads run: AES-256-GCM sealing then
// opening 1 MiB chunks (LIMITS.payloadChunkBytes) allocates a new output each time, and in a process
// without the tunable this VM's page faults (11-13 us per 4 KiB) decided the rate, not AES
// (371-453 MB/s against 1,283-1,448 with it, 2026-11-30). Measures when its parent sends
// `{ samples }` over IPC and answers with the median of that many rates.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { LIMITS } from '../../../src/core/limits.js';
import { median } from '../lib/measure.js';

const MB = 1_000_000;
const MIB = 1_048_576;
const SAMPLE_BYTES = 128 * MIB;

/** MB/s of AES-256-GCM sealing then opening `totalBytes` in chunks, as the payload channel does. */
function aeadRate(totalBytes: number): number {
  const key = randomBytes(32);
  const chunk = randomBytes(LIMITS.payloadChunkBytes);
  const started = performance.now();
  for (let done = 0, counter = 0; done < totalBytes; done += chunk.byteLength, counter++) {
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(counter, 8);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const sealed = Buffer.concat([cipher.update(chunk), cipher.final()]);
    const tag = cipher.getAuthTag();
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.update(sealed);
    decipher.setAuthTag(tag);
    decipher.final();
  }
  return totalBytes / MB / ((performance.now() - started) / 1000);
}

process.once('message', ({ samples }: { samples: number }) => {
  aeadRate(16 * MIB);
  const rates: number[] = [];
  for (let sample = 0; sample < samples; sample++) rates.push(aeadRate(SAMPLE_BYTES));
  process.send!({ megabytesPerSecond: median(rates) }, () => process.exit(0));
});
