// A hospital declares one transfer (design section 1 step 2, section 9; issue 6 item 2): the
// staged item files are sealed into the outbox for the recipient's X25519 key from the genesis
// file, the manifest is built (category, document type, size, plaintext digest, salted item
// commitment), the declaration is signed with the node key and submitted. The salts and document
// UIDs go to the hospital's private record (declared/<transferId>.json) and nowhere else; the
// staged plaintext is deleted once sealed. A sealed upload (sealed while it arrived) is moved
// into the outbox instead of sealed here. A declaration the ledger rejects frees its outbox.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseHex, toHex } from '../../core/bytes.js';
import { array, object, optional, type Schema, text } from '../../core/codec/schema.js';
import type { Genesis } from '../../core/config/genesis.js';
import type { Ed25519Signer } from '../../core/crypto/ed25519.js';
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { encodeTxEnvelope, objectIdOf, txIdOf } from '../../core/records/codec.js';
import type { TxEnvelope } from '../../core/records/envelope.js';
import { filingReferenceSchema, idSchema, NONCE_BYTES } from '../../core/records/fields.js';
import { signTx } from '../../core/records/sign.js';
import type { TransferDeclareBody, TransferItem } from '../../core/records/transfer-declare.js';
import type { ItemDigest } from '../transfer/container-reader.js';
import { writeFileDurably } from '../transfer/durable-fs.js';
import { removeOutboxPayload } from '../transfer/outbox.js';
import type { PayloadKeyContext } from '../transfer/payload-crypto.js';
import { sealPayload } from '../transfer/seal.js';
import type { ServiceFolders } from './folders.js';
import { checkDocumentUid, itemCommitment, newDocumentUid, newItemSalt } from './item-commitment.js';
import { claimSealedUpload, removeSealedUpload, removeUploads, stagedSize, uploadPath } from './uploads.js';

const hexDigestSchema = text(64, /^[0-9a-f]{64}$/, '64 lowercase hex digits');
const uploadIdSchema = text(32, /^[0-9a-f]{32}$/, 'upload id: 32 lowercase hex digits');
const uidSchema = text(64, /^[0-9.]+$/, 'DICOM UID: digits and dots');

export interface DeclareItemRequest {
  category: string;
  documentType: string;
  /** A staged upload id (POST /uploads); absent when the request names a `sealedUpload`. */
  upload?: string;
  /** The document's own UID (a DICOM Study Instance UID); a new 2.25 UID when absent. */
  uid?: string;
}

export interface DeclareRequest {
  consentId: string;
  recipient: string;
  route: { id: string; filingReference?: string };
  /** A sealed upload id (POST /uploads/sealed) holding every item, in order; or one upload per item. */
  sealedUpload?: string;
  items: DeclareItemRequest[];
}

export const declareRequestSchema: Schema<DeclareRequest> = object({
  consentId: hexDigestSchema,
  recipient: idSchema,
  route: object({ id: idSchema, filingReference: optional(filingReferenceSchema) }),
  sealedUpload: optional(uploadIdSchema),
  items: array(
    object({
      category: idSchema,
      documentType: idSchema,
      upload: optional(uploadIdSchema),
      uid: optional(uidSchema),
    }),
    LIMITS.maxItemsPerTransfer,
    1,
  ),
});

export interface Declarer {
  readonly org: string;
  readonly genesis: Genesis;
  readonly signer: Ed25519Signer;
  readonly folders: ServiceFolders;
}

export interface PreparedDeclaration {
  readonly transferId: Uint8Array;
  readonly txId: Uint8Array;
  readonly envelopeBytes: Uint8Array;
  readonly body: TransferDeclareBody;
}

/** The hospital's private record of a declaration: what opens each salted item commitment. */
interface PrivateRecord {
  transferId: string;
  txId: string;
  payloadRoot: string;
  items: { category: string; documentType: string; uid: string; salt: string; itemCommitment: string }[];
}

/**
 * What a payload for `recipient` is sealed under: the chain, the organisation and its X25519 key
 * from the genesis file; NOT_FOUND if there is no such organisation.
 */
export function payloadKeyFor(genesis: Genesis, recipient: string): PayloadKeyContext {
  const organisation = genesis.organisations.find((org) => org.id === recipient);
  if (organisation === undefined)
    fail('NOT_FOUND', `no organisation ${recipient} in the genesis file`, 'recipient');
  return { chainId: genesis.chainId, recipientId: recipient, recipientPublicKey: organisation.encryptionKey };
}

/**
 * Seals the staged uploads, builds and signs the declaration and writes the private record. The
 * caller submits `envelopeBytes`. Uploads are consumed whether or not this succeeds.
 */
export async function prepareDeclaration(
  declarer: Declarer,
  request: DeclareRequest,
): Promise<PreparedDeclaration> {
  const { folders } = declarer;
  const uploads = request.items.flatMap((item) => (item.upload === undefined ? [] : [item.upload]));
  if (request.sealedUpload !== undefined && uploads.length > 0) {
    fail('REQUEST_MALFORMED', 'name a sealed upload or one upload per item, not both', 'items');
  }
  if (request.sealedUpload === undefined && uploads.length !== request.items.length) {
    fail('REQUEST_MALFORMED', 'every item needs its upload (or name a sealed upload)', 'items');
  }
  if (new Set(uploads).size !== uploads.length) fail('REQUEST_MALFORMED', 'each item needs its own upload');
  try {
    for (const id of uploads) await stagedSize(folders.uploadsDir, id);
    const uids = request.items.map((item, i) =>
      item.uid === undefined ? newDocumentUid() : checkDocumentUid(item.uid, `items[${i}].uid`),
    );
    const salts = request.items.map(() => newItemSalt());
    // Checked before either branch: an unknown recipient is NOT_FOUND whichever upload is named.
    const key = payloadKeyFor(declarer.genesis, request.recipient);
    const sealed =
      request.sealedUpload === undefined
        ? await sealPayload({
            outboxDir: folders.outboxDir,
            key,
            itemPaths: uploads.map((id) => uploadPath(folders.uploadsDir, id)),
          })
        : await claimSealed(folders, request.sealedUpload, request.recipient, request.items.length);
    const items: TransferItem[] = request.items.map((item, i) => ({
      category: item.category,
      documentType: item.documentType,
      sizeBytes: sealed.items[i]!.sizeBytes,
      digest: sealed.items[i]!.digest,
      itemCommitment: itemCommitment(salts[i]!, uids[i]!),
    }));
    const route: TransferDeclareBody['route'] =
      request.route.filingReference === undefined
        ? { id: request.route.id }
        : { id: request.route.id, filingReference: request.route.filingReference };
    const body: TransferDeclareBody = {
      consentId: parseHex(request.consentId)!,
      sender: declarer.org,
      recipient: request.recipient,
      route,
      items,
      payload: sealed.commitment,
      nonce: new Uint8Array(randomBytes(NONCE_BYTES)),
    };
    let envelope: TxEnvelope;
    let envelopeBytes: Uint8Array;
    try {
      envelope = signTx('transfer.declare', body, [declarer.signer], declarer.genesis.chainId);
      envelopeBytes = encodeTxEnvelope(envelope);
    } catch (error) {
      await removeOutboxPayload(folders.outboxDir, sealed.commitment.root);
      throw error;
    }
    const transferId = objectIdOf(envelope);
    const txId = txIdOf(envelopeBytes);
    const record: PrivateRecord = {
      transferId: toHex(transferId),
      txId: toHex(txId),
      payloadRoot: toHex(sealed.commitment.root),
      items: items.map((item, i) => ({
        category: item.category,
        documentType: item.documentType,
        uid: uids[i]!,
        salt: toHex(salts[i]!),
        itemCommitment: toHex(item.itemCommitment),
      })),
    };
    await writeFileDurably(
      path.join(folders.declaredDir, `${toHex(transferId)}.json`),
      `${JSON.stringify(record, null, 2)}\n`,
    );
    return { transferId, txId, envelopeBytes, body };
  } finally {
    await removeUploads(folders.uploadsDir, uploads);
    if (request.sealedUpload !== undefined)
      await removeSealedUpload(folders.uploadsDir, request.sealedUpload);
  }
}

/** The sealed upload as the declaration's payload, moved into the outbox; its items must match. */
async function claimSealed(
  folders: ServiceFolders,
  id: string,
  recipient: string,
  itemCount: number,
): Promise<{ commitment: TransferDeclareBody['payload']; items: ItemDigest[] }> {
  const claimed = await claimSealedUpload(folders.uploadsDir, folders.outboxDir, id, recipient);
  if (claimed.items.length !== itemCount) {
    await removeOutboxPayload(folders.outboxDir, claimed.commitment.root);
    fail(
      'REQUEST_MALFORMED',
      `the sealed upload holds ${claimed.items.length} items, the request describes ${itemCount}`,
      'items',
    );
  }
  return claimed;
}
