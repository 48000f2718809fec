// Turns schema errors into configuration errors that name the file and the field, in the form
// `genesis.json: organisations[3].nodeKey: expected 32 bytes hex`, the one line the CLI prints.
import { BayledgerError, fail } from '../errors.js';

/** '$.organisations[3].nodeKey' -> 'organisations[3].nodeKey'; '$' -> ''. */
function fieldOf(schemaPath: string): string {
  return schemaPath.replace(/^\$\.?/, '');
}

/** The message without the "where: " prefix BayledgerError adds. */
function bareMessage(error: BayledgerError): string {
  const prefix = error.where === undefined ? '' : `${error.where}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/** Fails with CONFIG_INVALID naming `source` and the field at `schemaPath` ('$.a.b'). */
export function configFail(source: string, schemaPath: string, message: string): never {
  const field = fieldOf(schemaPath);
  return fail('CONFIG_INVALID', message, field === '' ? source : `${source}: ${field}`);
}

/** Runs `parse` with schema paths rooted at '$' and re-throws schema errors as CONFIG_INVALID for `source`. */
export function withConfigSource<T>(source: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (
      error instanceof BayledgerError &&
      (error.code === 'SCHEMA_INVALID' || error.code === 'CONFIG_INVALID')
    ) {
      if (error.code === 'CONFIG_INVALID' && error.where?.startsWith(source)) throw error;
      return configFail(source, error.where ?? '$', bareMessage(error));
    }
    throw error;
  }
}
