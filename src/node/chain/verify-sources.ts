// The two things `chain verify` can check: a stopped node's data directory (blocks re-derived and
// compared with everything stored) and an export file (blocks re-derived from the file alone).
// Both verify signatures on every core through a verify pool (one worker thread per core), which
// is closed before they return, whatever happens, so the command exits as soon as it is done.
//
// By default the whole verification runs on a thread of its own (verify-thread.ts) whose young
// generation is sized for it (LIMITS.verifyYoungGenerationMb): each block's checked transactions
// live until the block is applied, so with V8's default 16 MB semi-space most of them were copied
// and promoted by every scavenge, and scavenges took a sixth of chain verify's main thread at a
// million transactions. A larger young generation halved their time; Node cannot resize the
// main thread's after start, but a worker's is set when it is created.
import { availableParallelism } from 'node:os';
import { bytesEqual, toHex } from '../../core/bytes.js';
import type { Genesis } from '../../core/config/genesis.js';
import { BayledgerError, type ErrorCode, isBayledgerError } from '../../core/errors.js';
import { type ChainParams, chainParamsOf } from '../../core/ledger/chain-params.js';
import { LIMITS } from '../../core/limits.js';
import { VerifyPool } from '../verify-pool/verify-pool.js';
import { startModuleWorker } from '../verify-pool/worker-script.js';
import { openChainExport } from './export-file.js';
import { openDataDir } from './open-chain.js';
import { StoreBlockSource } from './store-block-source.js';
import { type ChainVerifyReport, verifyChain } from './verify-chain.js';

export type ProgressListener = (height: number, total: number) => void;

export interface ChainVerifyRunOptions {
  /** Signature worker threads; 0 verifies everything on the calling thread. Default: one per core. */
  readonly workers?: number;
  /** Run on a thread of its own with a young generation sized for it (default true). */
  readonly ownThread?: boolean;
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
  if (options.ownThread === false) return verifyDataDirHere(dataDir, genesisPath, onProgress, options);
  const request: VerifyThreadRequest = {
    kind: 'data-dir',
    dataDir,
    ...(genesisPath === undefined ? {} : { genesisPath }),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    progress: onProgress !== undefined,
  };
  return (await inOwnThread(request, onProgress)) as DataDirVerifyReport;
}

/** verifyDataDir on the calling thread. */
export async function verifyDataDirHere(
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
  if (options.ownThread === false) return verifyExportFileHere(path, params, onProgress, options);
  const request: VerifyThreadRequest = {
    kind: 'export',
    path,
    genesis: params.genesis,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    progress: onProgress !== undefined,
  };
  return (await inOwnThread(request, onProgress)) as ChainVerifyReport;
}

/** verifyExportFile on the calling thread. */
export async function verifyExportFileHere(
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

// --- on a thread of its own ---------------------------------------------------------------------

/** What verify-thread.ts is asked to do (its workerData). */
export type VerifyThreadRequest =
  | {
      readonly kind: 'data-dir';
      readonly dataDir: string;
      readonly genesisPath?: string;
      readonly workers?: number;
      readonly progress: boolean;
    }
  | {
      readonly kind: 'export';
      readonly path: string;
      readonly genesis: Genesis;
      readonly workers?: number;
      readonly progress: boolean;
    };

/** A BayledgerError as it crosses threads: code, message without its place, and the place. */
interface CarriedError {
  readonly code?: ErrorCode;
  readonly message: string;
  readonly where?: string;
}

export type VerifyThreadMessage =
  | { readonly kind: 'progress'; readonly height: number; readonly total: number }
  | { readonly kind: 'done'; readonly result: DataDirVerifyReport | ChainVerifyReport }
  | { readonly kind: 'failed'; readonly error: CarriedError };

/** Runs a request on this thread (the body of verify-thread.ts). */
export async function runVerifyRequest(
  request: VerifyThreadRequest,
  post: (message: VerifyThreadMessage) => void,
): Promise<void> {
  const onProgress = request.progress
    ? (height: number, total: number) => post({ kind: 'progress', height, total })
    : undefined;
  const options = {
    ownThread: false,
    ...(request.workers === undefined ? {} : { workers: request.workers }),
  };
  try {
    const result =
      request.kind === 'data-dir'
        ? await verifyDataDirHere(request.dataDir, request.genesisPath, onProgress, options)
        : await verifyExportFileHere(request.path, chainParamsOf(request.genesis), onProgress, options);
    post({ kind: 'done', result });
  } catch (error) {
    post({ kind: 'failed', error: carried(error) });
  }
}

function carried(error: unknown): CarriedError {
  if (!isBayledgerError(error))
    return { message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  const prefix = error.where === undefined ? '' : `${error.where}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return { code: error.code, message, ...(error.where === undefined ? {} : { where: error.where }) };
}

function rebuilt(error: CarriedError): Error {
  if (error.code === undefined) return new Error(`chain verify thread failed: ${error.message}`);
  return new BayledgerError(error.code, error.message, error.where);
}

function inOwnThread(
  request: VerifyThreadRequest,
  onProgress: ProgressListener | undefined,
): Promise<DataDirVerifyReport | ChainVerifyReport> {
  return new Promise((resolve, reject) => {
    const worker = startModuleWorker(import.meta.url, './verify-thread', {
      workerData: request,
      resourceLimits: { maxYoungGenerationSizeMb: LIMITS.verifyYoungGenerationMb },
    });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    worker.on('message', (message: VerifyThreadMessage) => {
      if (message.kind === 'progress') onProgress?.(message.height, message.total);
      else if (message.kind === 'done') settle(() => resolve(message.result));
      else settle(() => reject(rebuilt(message.error)));
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) =>
      settle(() => reject(new Error(`chain verify thread exited with code ${code} before reporting`))),
    );
  });
}
