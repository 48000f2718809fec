// Mempool admission: the checks a transaction passes once, when it first reaches this node
// (design section 8, issue 5 item 3): canonical decoding with the closed schemas, then every
// signature and signer role against the genesis file. It is the same checkBlockTx that block
// verification runs, so its result (the decoded, checked transaction) serves the proposer's
// buildBlock and the validators' verifyBlock without decoding again. Errors keep their codes, so
// the API can answer 400 for malformed bytes and 422 for a well-formed but invalid transaction.
import type { Genesis } from '../core/config/genesis.js';
import { isBayledgerError } from '../core/errors.js';
import { type CheckedTx, checkBlockTx } from '../core/ledger/block-tx.js';
import { decodeTxEnvelope } from '../core/records/index.js';
import type { AdmissionResult } from './mempool/mempool.js';
import type { NodeMetrics } from './node-metrics.js';

export function admitTransaction(
  bytes: Uint8Array,
  txId: Uint8Array,
  genesis: Genesis,
  metrics: NodeMetrics,
): AdmissionResult<CheckedTx> {
  const started = performance.now();
  try {
    const check = checkBlockTx(bytes, genesis, undefined, txId);
    if (check.ok) return { ok: true, tx: check.checked };
    // Refused: name the decoder's own code (CBOR_TRAILING_BYTES, SCHEMA_INVALID, ...) when the
    // bytes do not even decode to an envelope; otherwise the transaction is invalid as such.
    try {
      decodeTxEnvelope(bytes);
    } catch (error) {
      if (isBayledgerError(error)) return { ok: false, code: error.code, reason: error.message };
      throw error;
    }
    return { ok: false, code: 'RECORD_INVALID', reason: check.reason };
  } finally {
    metrics.signatureVerifySeconds.observe((performance.now() - started) / 1000);
  }
}
