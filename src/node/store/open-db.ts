// Opens the node's LevelDB with byte keys and values. LevelDB allows one process per directory
// (a LOCK file); a second opener gets LEVEL_LOCKED, which we turn into DATABASE_LOCKED naming the
// directory, because "database is not open" alone does not tell an operator what to do.
import { ClassicLevel } from 'classic-level';
import { fail } from '../../core/errors.js';

export type ByteDb = ClassicLevel<Uint8Array, Uint8Array>;

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function isLockedError(error: unknown): boolean {
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    if (errorCode(current) === 'LEVEL_LOCKED') return true;
    if (typeof current !== 'object') break;
  }
  return false;
}

export async function openByteDb(directory: string, options: { createIfMissing: boolean }): Promise<ByteDb> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(directory, {
    keyEncoding: 'view',
    valueEncoding: 'view',
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
    if (!options.createIfMissing && /does not exist/.test(message)) {
      fail('NOT_FOUND', `no bayledger database in ${directory}`);
    }
    fail('DATABASE_CORRUPT', `cannot open database ${directory}: ${message}`);
  }
  return db;
}
