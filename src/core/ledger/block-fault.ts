// Everything a peer can get wrong in a block, as stable codes: a verdict names the code, a
// sentence, and the transaction when one is at fault, so a node can log, count and report it.

export const BLOCK_FAULT_CODES = [
  'WRONG_CHAIN',
  'WRONG_HEIGHT',
  'WRONG_PREVIOUS_HASH',
  'TIME_NOT_LATER',
  'UNKNOWN_PROPOSER',
  'WRONG_VALIDATORS_HASH',
  'TX_COUNT_MISMATCH',
  'BLOCK_TOO_LARGE',
  'TX_MALFORMED',
  'TX_INVALID',
  'TX_DUPLICATE',
  'TX_ALREADY_COMMITTED',
  'TX_ROOT_MISMATCH',
  'LOG_SIZE_MISMATCH',
  'LOG_ROOT_MISMATCH',
  'STATE_HASH_MISMATCH',
  'CERTIFICATE_INVALID',
] as const;
export type BlockFaultCode = (typeof BLOCK_FAULT_CODES)[number];

export interface BlockFault {
  readonly ok: false;
  readonly code: BlockFaultCode;
  readonly reason: string;
  /** Index in the block of the transaction at fault, when one is. */
  readonly txIndex?: number;
}

export function blockFault(code: BlockFaultCode, reason: string, txIndex?: number): BlockFault {
  return txIndex === undefined ? { ok: false, code, reason } : { ok: false, code, reason, txIndex };
}
