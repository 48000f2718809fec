// Turns schema errors into configuration errors that name the file and the field, in the form
// `genesis.json: organisations[3].nodeKey: expected 32 bytes hex`, the one line the CLI prints.
import { fieldOfPath } from '../codec/schema.js';
import { BayledgerError, bareMessage, type ErrorCode, fail } from '../errors.js';

/** Fails with `code` (CONFIG_INVALID by default) naming `source` and the field at `schemaPath` ('$.a.b'). */
export function configFail(
  source: string,
  schemaPath: string,
  message: string,
  code: ErrorCode = 'CONFIG_INVALID',
): never {
  const field = fieldOfPath(schemaPath);
  return fail(code, message, field === '' ? source : `${source}: ${field}`);
}

/**
 * Runs `parse` with schema paths rooted at '$' and re-throws schema errors as `code`
 * (CONFIG_INVALID by default; key files use KEY_FILE_INVALID) naming `source` and the field.
 */
export function withConfigSource<T>(source: string, parse: () => T, code: ErrorCode = 'CONFIG_INVALID'): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof BayledgerError && (error.code === 'SCHEMA_INVALID' || error.code === code)) {
      if (error.code === code && error.where?.startsWith(source)) throw error;
      return configFail(source, error.where ?? '$', bareMessage(error), code);
    }
    throw error;
  }
}
