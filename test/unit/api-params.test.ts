// The API's path parameters (src/node/api/params.ts): a digest is exactly 32 bytes of lowercase
// hex, and anything else is REQUEST_MALFORMED naming the parameter.
import { strict as assert } from 'node:assert';
import { digestParam, idParam } from '../../src/node/api/params.js';
import { throwsWith } from '../helpers/rejects.js';

describe('API path parameters', () => {
  it('reads a digest of 64 hex characters, and refuses a missing, short, long or non-hex one', () => {
    assert.deepEqual(digestParam('ab'.repeat(32), 'txId'), new Uint8Array(32).fill(0xab));
    for (const bad of [undefined, '', 'ab'.repeat(31), 'ab'.repeat(33), 'zz'.repeat(32), 'abc'])
      throwsWith(
        () => digestParam(bad, 'txId'),
        'REQUEST_MALFORMED',
        'txId: expected 64 lowercase hex characters',
      );
  });

  it('reads an id query parameter, and refuses a missing, empty, upper-case, spaced or too long one', () => {
    assert.equal(idParam('ehealth-hk', 'recipient'), 'ehealth-hk');
    for (const bad of [null, undefined, '', 'EHealth', 'a b', '-x', 'a'.repeat(65)])
      throwsWith(
        () => idParam(bad, 'recipient'),
        'REQUEST_MALFORMED',
        'recipient: expected an identifier (lowercase letters, digits, . _ : -; at most 64 characters)',
      );
  });
});
