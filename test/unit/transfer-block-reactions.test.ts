// What the transfer service does with a committed block (src/node/transfer-service/
// block-reactions.ts): the fetcher hears of each transfer written and each consent revoked, and
// a hospital frees the outbox payload of its own transfer once delivered or rejected.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { getTransfer, type TransferRecord } from '../../src/core/ledger/views.js';
import { generateKeyFile, writeKeyFile } from '../../src/node/keys/key-file.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import { outboxPayloadDirectory } from '../../src/node/transfer/outbox.js';
import { outboxFreer, reactToBlock } from '../../src/node/transfer-service/block-reactions.js';
import { nodeKeyOf } from '../../src/node/transfer-service/service.js';
import {
  declareTransfer,
  grantConsent,
  revokeConsent,
  TestLedger,
  testGenesis,
} from '../helpers/fixtures.js';
import { rejectsWith } from '../helpers/rejects.js';
import { useTempDir } from '../helpers/temp-dir.js';

const net = testGenesis();

/** What reactToBlock told a stand-in fetcher and the outbox, for the last block of `ledger`. */
function reactionsTo(ledger: TestLedger): string[] {
  const heard: string[] = [];
  reactToBlock(
    ledger.lastWrites,
    {
      considerWritten: (transfer) => heard.push(`transfer ${toHex(transfer.transferId)} ${transfer.status}`),
      consentRevoked: (consentId) => heard.push(`revoked ${toHex(consentId)}`),
    },
    (transfer) => heard.push(`outbox ${toHex(transfer.transferId)}`),
  );
  return heard;
}

describe('transfer service: reactions to a committed block', () => {
  const temp = useTempDir('bayledger-block-reactions-', 'each');

  it('hands each transfer written to the fetcher and the outbox, and each revocation to the fetcher', () => {
    const ledger = new TestLedger(net);
    const consent = grantConsent(net, { patient: 'reactions' });
    ledger.block(consent);
    assert.deepEqual(reactionsTo(ledger), [], 'a granted consent calls for nothing');
    const declaration = declareTransfer(net, { consentId: consent.objectId });
    ledger.block(declaration);
    const id = toHex(declaration.objectId);
    assert.deepEqual(reactionsTo(ledger), [`transfer ${id} approved`, `outbox ${id}`]);
    ledger.block(revokeConsent(net, { consentId: consent.objectId, patient: 'reactions' }));
    assert.deepEqual(reactionsTo(ledger), [`revoked ${toHex(consent.objectId)}`]);
    // Without a fetcher (a node that receives nothing) the outbox still hears of transfers.
    const other = new TestLedger(net);
    other.block(consent);
    other.block(declaration);
    const freed: string[] = [];
    reactToBlock(other.lastWrites, undefined, (transfer) => freed.push(toHex(transfer.transferId)));
    assert.deepEqual(freed, [id]);
  });

  it("frees only the declaring hospital's payload, once its transfer is delivered or rejected", async () => {
    const ledger = new TestLedger(net);
    const consent = grantConsent(net, { patient: 'outbox' });
    const declaration = declareTransfer(net, { consentId: consent.objectId });
    ledger.block(consent, declaration);
    const approved = getTransfer(ledger.state, declaration.objectId)!;
    const sender = approved.declaration.sender;
    const payloadDirectory = outboxPayloadDirectory(temp.path, approved.declaration.payload.root);
    const { logger, lines } = createMemoryLogger();
    const kept = async (org: string, transfer: TransferRecord): Promise<boolean> => {
      await mkdir(payloadDirectory, { recursive: true });
      await outboxFreer(org, temp.path, logger)(transfer);
      return existsSync(payloadDirectory);
    };
    assert.equal(await kept(sender, approved), true, 'still to be fetched');
    assert.equal(await kept('another-hospital', { ...approved, status: 'delivered' }), true, 'not its own');
    assert.equal(await kept(sender, { ...approved, status: 'delivered' }), false);
    assert.equal(await kept(sender, { ...approved, status: 'rejected' }), false);
    assert.deepEqual(lines, []);
  });

  it("signs with the organisation's own node key file only, given or read from its path", async () => {
    const own = generateKeyFile('node', 'hku-szh');
    assert.equal(await nodeKeyOf(own, 'hku-szh'), own);
    for (const [name, keyFile] of [
      ['other.key', generateKeyFile('node', 'nf-ufh')],
      ['patient.key', generateKeyFile('patient')],
    ] as const) {
      const keyPath = path.join(temp.path, name);
      await writeKeyFile(keyPath, keyFile);
      await rejectsWith(
        nodeKeyOf(keyPath, 'hku-szh'),
        'KEY_FILE_INVALID',
        'not the node key file of hku-szh',
      );
    }
  });
});
