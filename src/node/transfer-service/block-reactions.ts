// What the transfer service does with each committed block (service.ts wires it to the node's
// chain): the recipient's fetcher hears of every transfer the block wrote and of every consent it
// revoked, and a hospital frees the outbox payload of its own transfer once that transfer is
// delivered or rejected.
//
// The block's state writes carry the new records (applyTx wrote them through the typed put
// functions of core/ledger/views.ts, and AppliedBlock.writes hands them on as written), and
// views.ts's consentOfWrite / transferOfWrite return those records typed without parsing them
// again: reading each one back from the store and parsing it, on every node for every block, was
// about a tenth of a follower's CPU under load.
import { toHex } from '../../core/bytes.js';
import type { StateWrite } from '../../core/ledger/state-kv.js';
import { consentOfWrite, type TransferRecord, transferOfWrite } from '../../core/ledger/views.js';
import type { Logger } from '../log/logger.js';
import { removeOutboxPayload } from '../transfer/outbox.js';
import type { PayloadFetcher } from './payload-fetcher.js';

/** What a committed block tells the fetcher (PayloadFetcher has it). */
export type BlockListener = Pick<PayloadFetcher, 'considerWritten' | 'consentRevoked'>;

/** Hands the block's transfers and revoked consents on; `freeOutbox` sees every transfer too. */
export function reactToBlock(
  writes: readonly StateWrite[],
  fetcher: BlockListener | undefined,
  freeOutbox: (transfer: TransferRecord) => void,
): void {
  for (const write of writes) {
    const transfer = transferOfWrite(write);
    if (transfer !== undefined) {
      fetcher?.considerWritten(transfer);
      freeOutbox(transfer);
      continue;
    }
    const consent = consentOfWrite(write);
    if (consent?.status === 'revoked') fetcher?.consentRevoked(consent.consentId);
  }
}

/**
 * Frees the outbox payload of a transfer `org` declared once it is delivered or rejected (nothing
 * more will be asked of it), in the background: the removal's promise, which never rejects (a
 * failure is logged and the payload stays), or undefined when there is nothing to free. The
 * checks stay synchronous, since every node runs them for every transfer a block writes.
 */
export function outboxFreer(
  org: string,
  outboxDir: string,
  logger: Logger,
): (transfer: TransferRecord) => Promise<void> | undefined {
  return (transfer) => {
    if (transfer.declaration.sender !== org) return undefined;
    if (transfer.status !== 'rejected' && transfer.status !== 'delivered') return undefined;
    return removeOutboxPayload(outboxDir, transfer.declaration.payload.root).catch((error: unknown) =>
      logger.warn('cannot free an outbox payload', { transferId: toHex(transfer.transferId), error }),
    );
  };
}
