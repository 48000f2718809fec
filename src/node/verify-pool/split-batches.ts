// Splits a long list of checks into batches that respect both bounds of a packed batch
// (LIMITS.maxVerifyBatchItems checks, LIMITS.maxVerifyBatchBytes bytes), keeping order.
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { packedCheckBytes } from './packed-batch.js';
import type { SignatureCheck } from './signature-check.js';

export interface CheckBatch {
  /** Index in the whole list of this batch's first check. */
  readonly firstIndex: number;
  readonly checks: readonly SignatureCheck[];
}

/** Room for the checks of a batch once its two fixed header words are paid for. */
const BATCH_BYTES_FOR_CHECKS = LIMITS.maxVerifyBatchBytes - 8;

export function splitIntoBatches(checks: readonly SignatureCheck[], batchItems: number): CheckBatch[] {
  const itemsPerBatch = Math.min(batchItems, LIMITS.maxVerifyBatchItems);
  const batches: CheckBatch[] = [];
  let firstIndex = 0;
  let batchBytes = 0;
  for (let index = 0; index < checks.length; index++) {
    const checkBytes = packedCheckBytes(checks[index]!);
    if (checkBytes > BATCH_BYTES_FOR_CHECKS) {
      fail('MESSAGE_TOO_LARGE', `check of ${checkBytes} bytes exceeds a batch`, `check ${index}`);
    }
    if (index - firstIndex === itemsPerBatch || batchBytes + checkBytes > BATCH_BYTES_FOR_CHECKS) {
      batches.push({ firstIndex, checks: checks.slice(firstIndex, index) });
      firstIndex = index;
      batchBytes = 0;
    }
    batchBytes += checkBytes;
  }
  if (firstIndex < checks.length) batches.push({ firstIndex, checks: checks.slice(firstIndex) });
  return batches;
}
