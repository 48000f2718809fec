// The two things `chain verify` can check: a stopped node's data directory (blocks re-derived and
// compared with everything stored) and an export file (blocks re-derived from the file alone).
// Both verify signatures on every core through a verify pool (one worker thread per core), which
// is closed before they return, whatever happens, so the command exits as soon as it is done.
import { availableParallelism } from 'node:os';
import { bytesEqual, toHex } from '../../core/bytes.js';
import type { ChainParams } from '../../core/ledger/chain-params.js';
import { VerifyPool } from '../verify-pool/verify-pool.js';
import { openChainExport } from './export-file.js';
import { openDataDir } from './open-chain.js';
import { StoreBlockSource } from './store-block-source.js';
import { type ChainVerifyReport, verifyChain } from './verify-chain.js';

export type ProgressListener = (height: number, total: number) => void;

export interface ChainVerifyRunOptions {
  /** Signature worker threads; 0 verifies everything on the calling thread. Default: one per core. */
  readonly workers?: number;
}

/** Runs `verify` with a verify pool of the chosen size (none for 0), closed afterwards. */
async function withVerifier<T>(
  options: ChainVerifyRunOptions,
  verify: (verifier: VerifyPool | undefined) => Promise<T>,
): Promise<T> {
  const workers = options.workers ?? availableParallelism();
  const pool = workers > 0 ? new VerifyPool({ workers }) : undefined;
  try {
    return await verify(pool);
  } finally {
    await pool?.close();
  }
}

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
  options: ChainVerifyRunOptions = {},
): Promise<DataDirVerifyReport> {
  const { store, params, genesisSource } = await openDataDir(dataDir, genesisPath);
  try {
    const report = await withVerifier(options, (verifier) =>
      verifyChain({
        params,
        source: new StoreBlockSource(store),
        stored: store,
        ...(onProgress ? { onProgress } : {}),
        ...(verifier ? { verifier } : {}),
      }),
    );
    return { report, genesisSource, chainId: params.chainId };
  } finally {
    await store.close();
  }
}

export async function verifyExportFile(
  path: string,
  params: ChainParams,
  onProgress?: ProgressListener,
  options: ChainVerifyRunOptions = {},
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
    return await withVerifier(options, (verifier) =>
      verifyChain({
        params,
        source,
        ...(onProgress ? { onProgress } : {}),
        ...(verifier ? { verifier } : {}),
      }),
    );
  } finally {
    await close();
  }
}
