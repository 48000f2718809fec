// The two things `chain verify` can check: a stopped node's data directory (blocks re-derived and
// compared with everything stored) and an export file (blocks re-derived from the file alone).
// Both verify signatures on every core through a verify pool (one worker thread per core) unless
// the chain is small (LIMITS.verifyWithoutWorkersMaxTxs); the pool is closed before they return,
// whatever happens, so the command exits as soon as it is done. verifyPlan decides by the chain's
// transactions (an export's are estimated from its size).
//
// A big chain (above LIMITS.verifyInProcessMaxTxs transactions) is verified in a process of its
// own (verify-thread.ts), started with two settings that only a new process can take:
//   - a young generation sized for it (LIMITS.verifyYoungGenerationMb): each block's checked
//     transactions live until the block is applied, so with V8's default 16 MB semi-space most of
//     them were copied and promoted by every scavenge, and scavenges took a sixth of chain verify's
//     main thread at a million transactions (a worker thread can be given this too, and was);
//   - glibc's malloc asked to back its memory with transparent huge pages (malloc-tuning.ts): the
//     re-derived state's off-heap arena and the packed signature batches are fresh memory, and
//     every first touch of a 4 KB page was a page fault (13-30 us each on our VM). On the 100k
//     chain it halved the applying thread's page faults (1.39-1.68 -> 0.77-0.95 per transaction).
//     Malloc reads the variable once, at process start, hence the process.
// A smaller chain is verified in the calling process: the new process's start and module loading
// cost more than the settings save (decision 62: a 300-block chain verified in 0.9-1.2 s here,
// 1.3-1.7 s in a process of its own).
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { bytesEqual, toHex } from '../../core/bytes.js';
import type { Genesis } from '../../core/config/genesis.js';
import { BayledgerError, type ErrorCode, fail, isBayledgerError } from '../../core/errors.js';
import { type ChainParams, chainParamsOf } from '../../core/ledger/chain-params.js';
import { LIMITS } from '../../core/limits.js';
import { type FileRole, fileReadError, fileRole, statRegularFile } from '../file-read-error.js';
import { withHugePageMalloc } from '../malloc-tuning.js';
import { VerifyPool } from '../verify-pool/verify-pool.js';
import { startModuleProcess } from '../verify-pool/worker-script.js';
import { openChainExport } from './export-file.js';
import { type OpenedDataDir, openDataDir } from './open-chain.js';
import { StoreBlockSource } from './store-block-source.js';
import { type ChainVerifyReport, verifyChain } from './verify-chain.js';

export type ProgressListener = (height: number, total: number) => void;

export interface ChainVerifyRunOptions {
  /**
   * Signature worker threads; 0 verifies everything on the calling thread. Default: one per core
   * for a chain above LIMITS.verifyWithoutWorkersMaxTxs transactions, none for a smaller one.
   */
  readonly workers?: number;
  /** Run in a process of its own, with the settings above (default: for a big chain only). */
  readonly ownProcess?: boolean;
  /** Where an export's path came from ('--file'), named in a message that it cannot be read. */
  readonly pathSource?: string;
}

/** Runs `verify` with a verify pool of `workers` threads (none for 0), closed afterwards. */
async function withVerifier<T>(
  workers: number,
  verify: (verifier: VerifyPool | undefined) => Promise<T>,
): Promise<T> {
  const pool = workers > 0 ? new VerifyPool({ workers }) : undefined;
  try {
    return await verify(pool);
  } finally {
    await pool?.close();
  }
}

/**
 * Fails at once, in one line naming the path, unless `path` is an existing directory: checked
 * before the verify process starts, so a mistyped path is not reported from inside it (an export
 * file is checked the same way by statRegularFile).
 */
async function checkDirectory(path: string, what: string): Promise<void> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') fail('NOT_FOUND', `no such ${what}`, path);
    throw fileReadError(error, path, what) ?? error;
  }
  if (!info.isDirectory()) fail('CONFIG_INVALID', `not a directory, expected a ${what}`, path);
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
  await checkDirectory(dataDir, 'data directory');
  // Opened here to read its size (and kept open when it is verified here).
  const opened = await withFileErrorsTyped(
    () => openDataDir(dataDir, genesisPath),
    dataDir,
    'data directory',
  );
  const plan = verifyPlan(opened.store.tip?.logSize ?? 0, options);
  if (!plan.ownProcess) {
    return withFileErrorsTyped(
      () => verifyOpenedDataDir(opened, onProgress, plan.workers),
      dataDir,
      'data directory',
    );
  }
  await opened.store.close();
  const request: VerifyThreadRequest = {
    kind: 'data-dir',
    dataDir,
    ...(genesisPath === undefined ? {} : { genesisPath }),
    workers: plan.workers,
    progress: onProgress !== undefined,
  };
  return (await inOwnProcess(request, onProgress)) as DataDirVerifyReport;
}

/**
 * A file-system error met while verifying (a file of the data directory or the export vanished or
 * became unreadable after the checks before the verification started) as a typed error naming the
 * path: the user's to fix, printed in one line. Undefined for anything else (a bug).
 */
function typedFileError(error: unknown, path: string, role: FileRole | string): BayledgerError | undefined {
  const errnoPath = (error as NodeJS.ErrnoException | undefined)?.path;
  return fileReadError(error, typeof errnoPath === 'string' ? errnoPath : path, role);
}

/** Runs `verify` here, a file-system error typed as it would be from the verify process. */
async function withFileErrorsTyped<T>(
  verify: () => Promise<T>,
  path: string,
  role: FileRole | string,
): Promise<T> {
  try {
    return await verify();
  } catch (error) {
    if (isBayledgerError(error)) throw error;
    throw typedFileError(error, path, role) ?? error;
  }
}

/** Bytes an export holds per transaction, about (the benchmark's workload: 686), to size an export. */
const EXPORT_BYTES_PER_TX = 690;

/** How a chain is verified: in a process of its own or here, and with how many signature workers. */
export interface VerifyPlan {
  readonly ownProcess: boolean;
  readonly workers: number;
}

/**
 * The plan for a chain of `txCount` transactions, where `options` does not choose: a process of
 * its own above LIMITS.verifyInProcessMaxTxs, and signature workers (one per core) above
 * LIMITS.verifyWithoutWorkersMaxTxs.
 */
export function verifyPlan(txCount: number, options: ChainVerifyRunOptions): VerifyPlan {
  return {
    ownProcess: options.ownProcess ?? txCount > LIMITS.verifyInProcessMaxTxs,
    workers: options.workers ?? (txCount > LIMITS.verifyWithoutWorkersMaxTxs ? availableParallelism() : 0),
  };
}

/** verifyDataDir on the calling thread, with `workers` signature worker threads. */
async function verifyDataDirHere(
  dataDir: string,
  genesisPath: string | undefined,
  onProgress: ProgressListener | undefined,
  workers: number,
): Promise<DataDirVerifyReport> {
  return verifyOpenedDataDir(await openDataDir(dataDir, genesisPath), onProgress, workers);
}

/** Verifies a data directory opened by openDataDir on the calling thread, and closes it. */
async function verifyOpenedDataDir(
  { store, params, genesisSource }: OpenedDataDir,
  onProgress: ProgressListener | undefined,
  workers: number,
): Promise<DataDirVerifyReport> {
  try {
    const report = await withVerifier(workers, (verifier) =>
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
  const role = fileRole('chain export', options.pathSource);
  const { size } = await statRegularFile(path, role);
  const plan = verifyPlan(Math.ceil(size / EXPORT_BYTES_PER_TX), options);
  if (!plan.ownProcess) {
    return withFileErrorsTyped(
      () => verifyExportFileHere(path, params, onProgress, plan.workers),
      path,
      role,
    );
  }
  const request: VerifyThreadRequest = {
    kind: 'export',
    path,
    genesis: params.genesis,
    workers: plan.workers,
    progress: onProgress !== undefined,
  };
  return (await inOwnProcess(request, onProgress)) as ChainVerifyReport;
}

/** verifyExportFile on the calling thread, with `workers` signature worker threads. */
async function verifyExportFileHere(
  path: string,
  params: ChainParams,
  onProgress: ProgressListener | undefined,
  workers: number,
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
    return await withVerifier(workers, (verifier) =>
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

/** What verify-thread.ts is asked to do (the one message it receives). */
export type VerifyThreadRequest =
  | {
      readonly kind: 'data-dir';
      readonly dataDir: string;
      readonly genesisPath?: string;
      readonly workers: number;
      readonly progress: boolean;
    }
  | {
      readonly kind: 'export';
      readonly path: string;
      readonly genesis: Genesis;
      readonly workers: number;
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

/** Runs a request in this process (the body of verify-thread.ts). */
export async function runVerifyRequest(
  request: VerifyThreadRequest,
  post: (message: VerifyThreadMessage) => void,
): Promise<void> {
  const onProgress = request.progress
    ? (height: number, total: number) => post({ kind: 'progress', height, total })
    : undefined;
  try {
    const result =
      request.kind === 'data-dir'
        ? await verifyDataDirHere(request.dataDir, request.genesisPath, onProgress, request.workers)
        : await verifyExportFileHere(
            request.path,
            chainParamsOf(request.genesis),
            onProgress,
            request.workers,
          );
    post({ kind: 'done', result });
  } catch (error) {
    post({ kind: 'failed', error: carried(error, request) });
  }
}

function carried(error: unknown, request: VerifyThreadRequest): CarriedError {
  if (!isBayledgerError(error)) {
    // A file-system error (the export or a file of the data directory vanished or is unreadable
    // after the checks before the process started) is the user's to fix: carried as a typed error
    // naming the path, so the parent prints one line. Anything else is a bug: its stack comes along.
    const typed =
      request.kind === 'export'
        ? typedFileError(error, request.path, 'chain export')
        : typedFileError(error, request.dataDir, 'data directory');
    if (typed === undefined)
      return { message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    return carried(typed, request);
  }
  const prefix = error.where === undefined ? '' : `${error.where}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return { code: error.code, message, ...(error.where === undefined ? {} : { where: error.where }) };
}

function rebuilt(error: CarriedError): Error {
  if (error.code === undefined) return new Error(`chain verify process failed: ${error.message}`);
  return new BayledgerError(error.code, error.message, error.where);
}

function inOwnProcess(
  request: VerifyThreadRequest,
  onProgress: ProgressListener | undefined,
): Promise<DataDirVerifyReport | ChainVerifyReport> {
  return new Promise((resolve, reject) => {
    const child = startModuleProcess(import.meta.url, './verify-thread', {
      // V8's young generation is three semi-spaces (LIMITS.verifyYoungGenerationMb).
      execArgv: [`--max-semi-space-size=${Math.floor(LIMITS.verifyYoungGenerationMb / 3)}`],
      env: withHugePageMalloc(process.env),
      // Structured clone: a genesis carries byte arrays (its organisations' keys).
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    child.on('message', (message: VerifyThreadMessage) => {
      if (message.kind === 'progress') onProgress?.(message.height, message.total);
      else if (message.kind === 'done') settle(() => resolve(message.result));
      else settle(() => reject(rebuilt(message.error)));
    });
    child.on('error', (error) => settle(() => reject(error)));
    // 'close' comes after the process exited and its IPC channel closed, so after its last message.
    child.on('close', (code, signal) =>
      settle(() =>
        reject(new Error(`chain verify process exited with ${signal ?? `code ${code}`} before reporting`)),
      ),
    );
    child.send(request);
  });
}
