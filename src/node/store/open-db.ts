// Opens the node's LevelDB with byte keys and values. LevelDB allows one process per directory
// (a LOCK file); a second opener gets LEVEL_LOCKED, which we turn into DATABASE_LOCKED naming the
// directory, because "database is not open" alone does not tell an operator what to do.
//
// Memory: LevelDB maps each open table file into the process (mmap, up to 1,000 files) and reads
// blocks through the mapping, so every page a read touches stays in the process's RSS (RssFile)
// while its table is open. maxOpenFiles bounds the open tables, hence those pages; the block cache
// (cacheSize) holds decompressed blocks on the heap (RssAnon). Both bounds are in LIMITS.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';

/** The LevelDB options that bound the store's memory (defaults from LIMITS). */
export interface LevelTuning {
  /** Block cache of decompressed blocks, bytes. */
  readonly cacheSize: number;
  /** Open files, table files and LevelDB's own few. */
  readonly maxOpenFiles: number;
  /** Uncompressed bytes per table block: what one point read decompresses and caches. */
  readonly blockSize: number;
  /** Memtable bytes before LevelDB writes a level-0 table (and later compacts it). */
  readonly writeBufferSize: number;
  /** Snappy compression of table blocks. */
  readonly compression: boolean;
}

export const DEFAULT_LEVEL_TUNING: LevelTuning = {
  cacheSize: LIMITS.storeBlockCacheBytes,
  maxOpenFiles: LIMITS.storeMaxOpenFiles,
  blockSize: LIMITS.storeBlockBytes,
  writeBufferSize: LIMITS.storeWriteBufferBytes,
  // Snappy stays on. Off together with the 16 MiB memtable, threads other than the main one spent
  // 110-134 us per committed transaction against 150-170 with neither change (60,000
  // transactions, alternating); the memtable alone measured 151 in another round, so snappy's
  // share is small, while the store grew 33% without it, and mapped bytes count against RSS.
  compression: true,
};

export type ByteDb = ClassicLevel<Uint8Array, Uint8Array>;

/** Whether LevelDB refused because another process holds the lock, anywhere in the cause chain. */
function isLockedError(error: unknown): boolean {
  for (
    let current: unknown = error;
    typeof current === 'object' && current !== null;
    current = (current as { cause?: unknown }).cause
  ) {
    if ((current as { code?: unknown }).code === 'LEVEL_LOCKED') return true;
  }
  return false;
}

/**
 * Refuses a folder that holds no LevelDB database (no CURRENT file) before LevelDB opens it:
 * LevelDB creates its LOCK and LOG files first and only then finds there is no database, so a
 * mistyped `--data-dir` (the organisation's folder, an empty one) was left with two stray files.
 */
async function refuseNoDatabase(directory: string): Promise<void> {
  const info = await stat(directory).catch(() => undefined);
  if (info !== undefined && !info.isDirectory()) {
    fail('NOT_FOUND', `no bayledger database in ${directory}: it is a file, not a folder`);
  }
  if (
    info === undefined ||
    (await stat(path.join(directory, 'CURRENT')).catch(() => undefined)) === undefined
  ) {
    fail('NOT_FOUND', `no bayledger database in ${directory}`);
  }
}

export async function openByteDb(
  directory: string,
  options: { createIfMissing: boolean; tuning?: Partial<LevelTuning> },
): Promise<ByteDb> {
  if (!options.createIfMissing) await refuseNoDatabase(directory);
  const tuning = { ...DEFAULT_LEVEL_TUNING, ...options.tuning };
  const db = new ClassicLevel<Uint8Array, Uint8Array>(directory, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    cacheSize: tuning.cacheSize,
    maxOpenFiles: tuning.maxOpenFiles,
    blockSize: tuning.blockSize,
    writeBufferSize: tuning.writeBufferSize,
    compression: tuning.compression,
  });
  try {
    await db.open({ createIfMissing: options.createIfMissing });
  } catch (error) {
    if (isLockedError(error)) fail('DATABASE_LOCKED', `database in use by another process: ${directory}`);
    const message =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    fail('DATABASE_CORRUPT', `cannot open database ${directory}: ${message}`);
  }
  return db;
}
