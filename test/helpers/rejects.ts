// Asserting a refusal: a BayledgerError with its code and its exact message (or a pattern of it).
import { strict as assert } from 'node:assert';
import { isBayledgerError } from '../../src/core/errors.js';

/**
 * Asserts `promise` rejects with a BayledgerError of `code` and exactly `message`, or a message
 * `message` matches when it is a RegExp (for words that carry a path or a library's own text).
 */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  message: string | RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isBayledgerError(error), String(error));
    if (typeof message === 'string') assert.deepEqual([error.code, error.message], [code, message]);
    else {
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
    }
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
