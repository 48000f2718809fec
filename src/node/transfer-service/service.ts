// The transfer service of one node (issue 6): attached to a running node, it adds the workflow's
// API routes and runs both ends of the payload channel on the node's network and chain:
//  - every node answers payload requests through the release gate (only a submitter ever has an
//    outbox, so only a hospital has anything to give);
//  - the recipient node fetches every transfer addressed to it once the approving block is
//    committed on its own chain (and at start, those it has not receipted yet);
//  - the hospital frees an outbox payload once its transfer is delivered or rejected.
// It stops before the node does: attaching wraps the node's `close`.
import { toHex } from '../../core/bytes.js';
import { Ed25519Signer } from '../../core/crypto/ed25519.js';
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { encodeTxEnvelope } from '../../core/records/codec.js';
import { signTx } from '../../core/records/sign.js';
import type { TransferReceiptBody } from '../../core/records/transfer-receipt.js';
import { StoreChainReader } from '../chain/store-chain-reader.js';
import type { NodeConfig } from '../config/node-config.js';
import { type NodeKeyFile, readKeyFile } from '../keys/key-file.js';
import type { Logger } from '../log/logger.js';
import type { RunningNode } from '../node.js';
import { ItemWriteWorkerSpare } from '../transfer/item-write-spare.js';
import { removeAbandonedSealings } from '../transfer/outbox.js';
import { AuditViews } from './audit.js';
import { outboxFreer, reactToBlock } from './block-reactions.js';
import { DiskRoom } from './disk-room.js';
import { createServiceFolders, type ServiceFolders, serviceFolders } from './folders.js';
import { PayloadFetcher, type ReceiptRequest } from './payload-fetcher.js';
import { servePayloads } from './payload-server.js';
import { PayloadStats } from './payload-stats.js';
import { resumeOpenTransfers } from './resume-scan.js';
import { registerTransferRoutes } from './routes.js';
import { submitUntilCommitted } from './submit.js';
import { removeAllUploads, removeIdleUploads } from './uploads.js';

export interface TransferService {
  readonly folders: ServiceFolders;
  readonly stats: PayloadStats;
  close(): Promise<void>;
}

/** The node key file (or its path) the service signs with; it must be `org`'s node key file. */
export async function nodeKeyOf(keyFile: string | NodeKeyFile, org: string): Promise<NodeKeyFile> {
  const loaded = typeof keyFile === 'string' ? await readKeyFile(keyFile) : keyFile;
  if (loaded.kind !== 'node' || loaded.org !== org)
    fail('KEY_FILE_INVALID', `not the node key file of ${org}`);
  return loaded;
}

/**
 * Attaches the transfer workflow to a running node. `keyFile` is the node's key file (or its
 * path): its Ed25519 seed signs countersignatures, declarations, assessments and receipts, its
 * X25519 secret opens payloads addressed to this organisation.
 */
export async function attachTransferService(
  node: RunningNode,
  config: NodeConfig,
  keyFile: string | NodeKeyFile,
  parentLogger: Logger,
): Promise<TransferService> {
  const logger = parentLogger.child({ org: config.org, component: 'transfer' });
  const key = await nodeKeyOf(keyFile, config.org);
  const signer = new Ed25519Signer(key.ed25519Seed);
  const folders = serviceFolders(config);
  await createServiceFolders(folders);
  const abandoned =
    (await removeAbandonedSealings(folders.outboxDir)) + (await removeAllUploads(folders.uploadsDir));
  if (abandoned > 0) logger.info('removed leftovers of an earlier run', { count: abandoned });
  const stats = new PayloadStats(node.metrics.registry);
  // Room is asked on the disk each payload is written to: uploads and seals go to the outbox,
  // fetches to the inbox. Both are beside the data directory (folders.ts), on the ledger's disk
  // unless an operator mounted one elsewhere.
  const reserveBytes = config.diskReserveBytes ?? LIMITS.diskReserveBytes;
  const outboxRoom = new DiskRoom(folders.uploadsDir, reserveBytes);
  const inboxRoom = new DiskRoom(folders.inboxDir, reserveBytes);
  const state = node.chain.store.state;
  const closing = new AbortController();

  await servePayloads({
    net: node.net,
    state,
    self: config.org,
    outboxDir: folders.outboxDir,
    stats,
    logger,
  });

  const submitReceipt = async (receipt: ReceiptRequest): Promise<void> => {
    const body: TransferReceiptBody = {
      transferId: receipt.transferId,
      recipient: config.org,
      payloadRoot: receipt.payloadRoot,
      accepted: receipt.accepted,
      reason: receipt.reason,
    };
    const bytes = encodeTxEnvelope(signTx('transfer.receipt', body, [signer], node.genesis.chainId));
    const committed = await submitUntilCommitted(node, bytes, closing.signal);
    logger.info(committed ? 'receipt committed' : 'receipt not committed yet', {
      transferId: toHex(receipt.transferId),
      accepted: receipt.accepted,
      reason: receipt.reason,
    });
  };
  // A recipient keeps an item-write worker loaded for its next large payload (item-write-spare.ts).
  const itemWorkerSpare =
    config.role === 'recipient'
      ? new ItemWriteWorkerSpare(LIMITS.payloadReceiveChunksInFlight, LIMITS.payloadChunkBytes)
      : undefined;
  const fetcher =
    config.role === 'recipient'
      ? new PayloadFetcher({
          net: node.net,
          state,
          self: config.org,
          chainId: node.genesis.chainId,
          recipientSecretKey: key.x25519Secret,
          inboxDir: folders.inboxDir,
          stats,
          logger,
          submitReceipt,
          room: inboxRoom,
          itemWorkerSpare,
        })
      : undefined;

  const freeOutbox = outboxFreer(config.org, folders.outboxDir, logger);
  node.chain.onCommitted((event) => {
    try {
      reactToBlock(event.applied.writes, fetcher, freeOutbox);
    } catch (error) {
      logger.error('transfer service failed on a committed block', {
        height: event.block.header.height,
        error,
      });
    }
  });
  // In the background: with many open transfers the scan waits for room in the bounded queue.
  const resuming =
    fetcher === undefined
      ? Promise.resolve()
      : resumeOpenTransfers(
          () => node.chain.store.stateEntriesIn('transfer'),
          fetcher,
          config.org,
          closing.signal,
        ).catch((error: unknown) => logger.error('cannot scan for open transfers', { error }));

  registerTransferRoutes(node.route, {
    node,
    role: config.role,
    declarer: { org: config.org, genesis: node.genesis, signer, folders },
    signer,
    audit: new AuditViews(node.chain.store, new StoreChainReader(node.chain.store, node.chain.params), () =>
      Math.floor(node.chain.tip().timeMs / 1000),
    ),
    stats,
    room: outboxRoom,
  });

  // Uploads no declaration claimed (the client died, or its declaration was refused before it
  // named them) are removed once idle, not left until the next start.
  const idleUploadSweep = setInterval(() => {
    removeIdleUploads(folders.uploadsDir, Date.now(), LIMITS.maxIdleUploadMs)
      .then((count) => {
        if (count > 0) logger.info('removed uploads no declaration claimed', { count });
      })
      .catch((error: unknown) => logger.warn('could not remove idle uploads', { error }));
  }, LIMITS.idleUploadSweepMs);
  idleUploadSweep.unref();

  const service: TransferService = {
    folders,
    stats,
    async close() {
      clearInterval(idleUploadSweep);
      closing.abort();
      await fetcher?.close();
      await itemWorkerSpare?.close();
      await resuming;
    },
  };
  const closeNode = node.close.bind(node);
  node.close = async () => {
    await service.close();
    await closeNode();
  };
  logger.info('transfer service attached', { role: config.role, inbox: folders.inboxDir });
  return service;
}
