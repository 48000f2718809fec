// errorMessage and causeMessage turn anything thrown into the text an error reply or message
// carries: JS can throw any value, and Node's fetch hides the socket error in `cause`.
import { strict as assert } from 'node:assert';
import { BayledgerError, causeMessage, errorMessage } from '../../src/core/errors.js';

describe('errorMessage', () => {
  it("is an Error's message, without its name or where prefix added again", () => {
    assert.equal(errorMessage(new TypeError('bad input')), 'bad input');
    assert.equal(errorMessage(new BayledgerError('USAGE', 'no file', 'x.json')), 'x.json: no file');
  });

  it('is any other thrown value as a string', () => {
    assert.equal(errorMessage('plain text'), 'plain text');
    assert.equal(errorMessage(42), '42');
    assert.equal(errorMessage(undefined), 'undefined');
  });
});

describe('causeMessage', () => {
  it("is the message of an Error's cause when that cause is an Error (as Node's fetch throws)", () => {
    const socketError = new Error('connect ECONNREFUSED 127.0.0.1:9');
    assert.equal(causeMessage(new TypeError('fetch failed', { cause: socketError })), socketError.message);
  });

  it('is the error as a string when it has no Error cause', () => {
    assert.equal(causeMessage(new TypeError('fetch failed')), 'TypeError: fetch failed');
    assert.equal(causeMessage(new TypeError('fetch failed', { cause: 'reset' })), 'TypeError: fetch failed');
    assert.equal(causeMessage('plain text'), 'plain text');
  });
});
