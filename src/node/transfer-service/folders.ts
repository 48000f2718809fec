// Where the transfer service keeps its files: beside node.json, outside the ledger's data folder
// (design section 9). Everything here is private to the organisation (folders 0700, files 0600):
//
//   <org>/outbox/<root hex>/        sealed payloads waiting for release (src/node/transfer/outbox.ts)
//   <org>/outbox/.uploads/<id>      plaintext uploads staged for one declaration, deleted once sealed
//   <org>/declared/<transferId>.json the hospital's private record of a declaration: per-item salt
//                                   and document UID behind each salted commitment (never sent)
//   <org>/inbox/<patient>/<transferId>/  filed payloads (src/node/transfer/filing.ts)
//   <org>/inbox/.partial/<transferId>/   resumable progress (src/node/transfer/partial.ts)
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { NodeConfig } from '../config/node-config.js';
import { PRIVATE_DIRECTORY_MODE } from '../transfer/durable-fs.js';

export interface ServiceFolders {
  readonly orgDir: string;
  readonly outboxDir: string;
  readonly uploadsDir: string;
  readonly declaredDir: string;
  readonly inboxDir: string;
}

/** The folders of one node: the parent of its data folder, i.e. the folder of node.json. */
export function serviceFolders(config: Pick<NodeConfig, 'dataDir'>): ServiceFolders {
  const orgDir = path.dirname(config.dataDir);
  const outboxDir = path.join(orgDir, 'outbox');
  return {
    orgDir,
    outboxDir,
    uploadsDir: path.join(outboxDir, '.uploads'),
    declaredDir: path.join(orgDir, 'declared'),
    inboxDir: path.join(orgDir, 'inbox'),
  };
}

export async function createServiceFolders(folders: ServiceFolders): Promise<void> {
  for (const directory of [folders.outboxDir, folders.uploadsDir, folders.declaredDir, folders.inboxDir]) {
    await mkdir(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  }
}
