// Asserting a refusal: a BayledgerError with its code and its exact message.
import { strict as assert } from 'node:assert';
import { isBayledgerError } from '../../src/core/errors.js';

/** Asserts `promise` rejects with a BayledgerError of `code` and exactly `message`. */
export async function rejectsWith(promise: Promise<unknown>, code: string, message: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isBayledgerError(error), String(error));
    assert.deepEqual([error.code, error.message], [code, message]);
    return true;
  });
}

/** Asserts `action` throws a BayledgerError of `code` and exactly `message`. */
export function throwsWith(action: () => unknown, code: string, message: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(isBayledgerError(error), String(error));
    assert.deepEqual([error.code, error.message], [code, message]);
    return true;
  });
}
