// Mempool admission: the checks a transaction passes once, when it first reaches this node
// (design section 8, issue 5 item 3): canonical decoding with the closed schemas, then every
// signature and signer role against the genesis file (verifyTx). Errors keep their codes, so the
// API can answer 400 for malformed bytes and 422 for a well-formed but invalid transaction.
import type { Genesis } from '../core/config/genesis.js';
import { isBayledgerError } from '../core/errors.js';
import type { TxEnvelope } from '../core/records/envelope.js';
import { decodeTxEnvelope, txIdOf, verifyTx } from '../core/records/index.js';
import type { AdmissionResult } from './mempool/mempool.js';
import type { NodeMetrics } from './node-metrics.js';

export function admitTransaction(
  bytes: Uint8Array,
  genesis: Genesis,
  metrics: NodeMetrics,
): AdmissionResult<TxEnvelope> {
  const started = performance.now();
  try {
    let envelope: TxEnvelope;
    try {
      envelope = decodeTxEnvelope(bytes);
    } catch (error) {
      if (isBayledgerError(error)) return { ok: false, code: error.code, reason: error.message };
      throw error;
    }
    const check = verifyTx(envelope, genesis);
    if (!check.ok) return { ok: false, code: 'RECORD_INVALID', reason: `${check.code}: ${check.reason}` };
    return { ok: true, txId: txIdOf(bytes), tx: envelope };
  } finally {
    metrics.signatureVerifySeconds.observe((performance.now() - started) / 1000);
  }
}
