// Opening what the chain commands read: a genesis file, and a stopped node's data directory with
// the network it belongs to. A data directory remembers its genesis (LedgerStore.initGenesis),
// so commands work with --data-dir alone; with --genesis the given file must be the same network,
// and verification then trusts only that file.
import { stat } from 'node:fs/promises';
import { bytesEqual, toHex } from '../../core/bytes.js';
import type { Genesis } from '../../core/config/genesis.js';
import { parseGenesis } from '../../core/config/genesis-schema.js';
import { parseJsonText } from '../../core/config/json-text.js';
import { fail } from '../../core/errors.js';
import { type ChainParams, chainParamsOf } from '../../core/ledger/chain-params.js';
import { readConfigText } from '../config/node-config.js';
import { fileRole } from '../file-read-error.js';
import { LedgerStore } from '../store/ledger-store.js';

/**
 * Reads and validates a genesis file (at most LIMITS.maxConfigBytes), keeping its text (a node
 * serves it). `source` says where its path came from ('--genesis', '"genesis" in .../node.json'),
 * added to a message that it cannot be read: 'genesis file not found (--genesis)'.
 */
export async function readGenesis(
  path: string,
  source?: string,
): Promise<{ genesis: Genesis; text: string }> {
  const text = await readConfigText(path, fileRole('genesis', source));
  return { genesis: parseGenesis(parseJsonText(text, path), path), text };
}

/** readGenesis without the text. */
export async function readGenesisFile(path: string, source?: string): Promise<Genesis> {
  return (await readGenesis(path, source)).genesis;
}

export interface OpenedDataDir {
  readonly store: LedgerStore;
  readonly params: ChainParams;
  /** Where the trusted genesis came from: the --genesis file, or the data directory's own copy. */
  readonly genesisSource: 'file' | 'data-dir';
}

/**
 * Opens an existing data directory; fails with a clear error when there is none. `genesisPath` is
 * the user's --genesis file.
 */
export async function openDataDir(dataDir: string, genesisPath?: string): Promise<OpenedDataDir> {
  try {
    await stat(dataDir);
  } catch {
    fail('NOT_FOUND', 'no such data directory', dataDir);
  }
  const given = genesisPath === undefined ? undefined : await readGenesisFile(genesisPath, '--genesis');
  const store = await LedgerStore.open(dataDir, { createIfMissing: false });
  try {
    const record = store.genesis;
    if (record === undefined)
      fail('NOT_FOUND', 'the data directory holds no chain (no genesis recorded)', dataDir);
    if (given !== undefined) {
      const params = chainParamsOf(given);
      if (!bytesEqual(params.genesisHash, record.hash)) {
        fail(
          'CONFIG_INVALID',
          `the data directory belongs to genesis ${toHex(record.hash)}, not ${toHex(params.genesisHash)}`,
          dataDir,
        );
      }
      return { store, params, genesisSource: 'file' };
    }
    const stored = parseGenesis(
      parseJsonText(record.json, `${dataDir} (stored genesis)`),
      `${dataDir} (stored genesis)`,
    );
    const params = chainParamsOf(stored);
    if (!bytesEqual(params.genesisHash, record.hash)) {
      fail('DATABASE_CORRUPT', 'the stored genesis does not hash to the recorded genesis hash', dataDir);
    }
    return { store, params, genesisSource: 'data-dir' };
  } catch (error) {
    await store.close();
    throw error;
  }
}
