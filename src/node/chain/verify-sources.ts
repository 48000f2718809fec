// The two things `chain verify` can check: a stopped node's data directory (blocks re-derived and
// compared with everything stored) and an export file (blocks re-derived from the file alone).
import { bytesEqual, toHex } from '../../core/bytes.js';
import type { ChainParams } from '../../core/ledger/chain-params.js';
import { openChainExport } from './export-file.js';
import { openDataDir } from './open-chain.js';
import { StoreBlockSource } from './store-block-source.js';
import { type ChainVerifyReport, verifyChain } from './verify-chain.js';

export type ProgressListener = (height: number, total: number) => void;

export interface DataDirVerifyReport {
  readonly report: ChainVerifyReport;
  /** 'data-dir' when no --genesis was given: the data directory vouched for its own network. */
  readonly genesisSource: 'file' | 'data-dir';
  readonly chainId: string;
}

export async function verifyDataDir(
  dataDir: string,
  genesisPath: string | undefined,
  onProgress?: ProgressListener,
): Promise<DataDirVerifyReport> {
  const { store, params, genesisSource } = await openDataDir(dataDir, genesisPath);
  try {
    const report = await verifyChain({
      params,
      source: new StoreBlockSource(store),
      stored: store,
      ...(onProgress ? { onProgress } : {}),
    });
    return { report, genesisSource, chainId: params.chainId };
  } finally {
    await store.close();
  }
}

export async function verifyExportFile(
  path: string,
  params: ChainParams,
  onProgress?: ProgressListener,
): Promise<ChainVerifyReport> {
  const { header, source, close } = await openChainExport(path);
  try {
    if (header.chainId !== params.chainId || !bytesEqual(header.genesisHash, params.genesisHash)) {
      return {
        ok: false,
        height: 0,
        code: 'WRONG_CHAIN',
        reason: `the export is of chain ${header.chainId} (genesis ${toHex(header.genesisHash)}), not ${params.chainId} (genesis ${toHex(params.genesisHash)})`,
      };
    }
    return await verifyChain({ params, source, ...(onProgress ? { onProgress } : {}) });
  } finally {
    await close();
  }
}
