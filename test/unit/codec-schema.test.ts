// Closed schemas (src/core/codec/schema.ts): every failure names the field path, and an object
// schema refuses any field it does not declare, including names JavaScript objects inherit.
import { strict as assert } from 'node:assert';
import {
  array,
  bytes,
  identifier,
  literal,
  object,
  optional,
  uint,
  union,
} from '../../src/core/codec/schema.js';
import { BayledgerError } from '../../src/core/errors.js';

function expectSchemaError(action: () => unknown, where: string, messagePart: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof BayledgerError);
    assert.equal(error.code, 'SCHEMA_INVALID');
    assert.equal(error.where, where);
    assert.ok(error.message.includes(messagePart), error.message);
    return true;
  });
}

const itemSchema = object({ id: identifier(8), size: uint(100), note: optional(bytes(undefined, 4)) });
const listSchema = object({ items: array(itemSchema, 3, 1) });

describe('codec: closed schemas', () => {
  it('returns the typed value and leaves absent optional fields out', () => {
    assert.deepStrictEqual(listSchema.parse({ items: [{ id: 'a-1', size: 5 }] }, '$'), {
      items: [{ id: 'a-1', size: 5 }],
    });
  });

  it('names the path of a wrong field inside a list', () => {
    expectSchemaError(
      () =>
        listSchema.parse(
          {
            items: [
              { id: 'a', size: 1 },
              { id: 'b', size: 101 },
            ],
          },
          '$',
        ),
      '$.items[1].size',
      'integer from 0 to 100',
    );
  });

  it('names a missing field', () => {
    expectSchemaError(() => itemSchema.parse({ id: 'a' }, 'x'), 'x.size', 'missing field');
  });

  for (const name of ['extra', 'toString', 'constructor', 'hasOwnProperty', '__proto__']) {
    it(`refuses the undeclared field ${name}`, () => {
      const input = JSON.parse(`{"id": "a", "size": 1, "${name}": 1}`);
      expectSchemaError(() => itemSchema.parse(input, '$'), `$.${name}`, 'unknown field');
    });
  }

  it('refuses identifiers with upper case, spaces or a leading separator', () => {
    for (const bad of ['Abc', 'a b', '-ab', '', 'abcdefghi']) {
      assert.throws(() => identifier(8).parse(bad, '$'), { code: 'SCHEMA_INVALID' }, bad);
    }
  });

  it('picks the union variant by tag and refuses unknown or inherited tags', () => {
    type Variant = { kind: 'a'; n: number } | { kind: 'b' };
    const schema = union<Variant>('kind', {
      a: object({ kind: literal('a'), n: uint() }),
      b: object({ kind: literal('b') }),
    });
    assert.deepStrictEqual(schema.parse({ kind: 'a', n: 1 }, '$'), { kind: 'a', n: 1 });
    expectSchemaError(() => schema.parse({ kind: 'c' }, '$'), '$.kind', 'unknown kind c');
    expectSchemaError(() => schema.parse({ kind: 'toString' }, '$'), '$.kind', 'unknown kind toString');
  });
});
