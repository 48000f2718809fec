// Closed schemas (src/core/codec/schema.ts): every failure names the field path, and an object
// schema refuses any field it does not declare, including names JavaScript objects inherit.
import { strict as assert } from 'node:assert';
import {
  array,
  bool,
  bytes,
  identifier,
  literal,
  object,
  optional,
  parseInPlace,
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

  it('under parseInPlace returns a plain input whose fields all parse to themselves, uncopied', () => {
    const input = {
      items: [
        { id: 'a', size: 1 },
        { id: 'b', size: 2, note: Uint8Array.of(1) },
      ],
    };
    const parsed = parseInPlace(listSchema, input, '$');
    assert.equal(parsed, input);
    assert.equal(parsed.items, input.items);
    assert.equal(parsed.items[1], input.items[1]);
    // parse itself still copies, also after a parseInPlace that threw.
    assert.throws(() => parseInPlace(listSchema, { items: [] }, '$'));
    const copy = listSchema.parse(input, '$');
    assert.notEqual(copy, input);
    assert.notEqual(copy.items[0], input.items[0]);
    assert.deepStrictEqual(copy, input);
  });

  it('copies in a plain parse run from inside parseInPlace: only the value handed over is owned', () => {
    const nestedInput = { id: 'n', size: 7 };
    let nestedCopy: unknown;
    // A field schema that parses another value of its own with a plain parse while in place.
    const peeking = {
      description: 'peeking',
      parse: (value: unknown, path: string) => {
        nestedCopy = itemSchema.parse(nestedInput, `${path}.peek`);
        return value;
      },
    };
    const outer = object({ item: itemSchema, peek: peeking });
    const input = { item: { id: 'o', size: 1 }, peek: 3 };
    assert.equal(parseInPlace(outer, input, '$'), input);
    assert.notEqual(nestedCopy, nestedInput);
    assert.deepStrictEqual(nestedCopy, nestedInput);
  });

  it('copies an input that needs a change and leaves the input as it was', () => {
    // An undefined field is dropped from the result, so that object is copied without it.
    const withUndefined = { id: 'a', size: 1, note: undefined };
    const input = { items: [{ id: 'z', size: 3 }, withUndefined] };
    const parsed = parseInPlace(listSchema, input, '$');
    assert.notEqual(parsed, input);
    assert.notEqual(parsed.items, input.items);
    assert.equal(parsed.items[0], input.items[0]);
    assert.notEqual(parsed.items[1], withUndefined);
    assert.deepEqual(Object.keys(parsed.items[1]!), ['id', 'size']);
    assert.ok(Object.hasOwn(withUndefined, 'note'));
    // A field schema that returns another value than its input forces a copy of every level above.
    const doubled = { description: 'doubled', parse: (value: unknown) => (value as number) * 2 };
    const outer = object({ first: uint(9), inner: object({ value: doubled }), last: uint(9) });
    const source = { first: 1, inner: { value: 4 }, last: 2 };
    const result = parseInPlace(outer, source, '$');
    assert.deepEqual(result, { first: 1, inner: { value: 8 }, last: 2 });
    assert.deepEqual(source, { first: 1, inner: { value: 4 }, last: 2 });
    // An object with another prototype is copied into a plain one.
    const classed = Object.assign(Object.create({ inherited: 1 }) as object, { id: 'c', size: 5 });
    const copied = parseInPlace(itemSchema, classed, '$');
    assert.notEqual(copied, classed);
    assert.equal(Object.getPrototypeOf(copied), Object.prototype);
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

  it('names the path of each use of one schema, past the remembered parent and element paths', () => {
    // One list schema parsed under 100 parent paths (more than each schema remembers), each with
    // 80 elements (more than the remembered element paths), the bad one moving every time.
    const longList = array(itemSchema, 100);
    for (let parent = 0; parent < 100; parent++) {
      const items = Array.from({ length: 80 }, (_, i) => ({ id: 'a', size: i === parent % 80 ? 101 : 1 }));
      expectSchemaError(
        () => longList.parse(items, `$.p${parent}`),
        `$.p${parent}[${parent % 80}].size`,
        'integer from 0 to 100',
      );
      expectSchemaError(
        () => itemSchema.parse({ id: 'a' }, `$.q${parent}`),
        `$.q${parent}.size`,
        'missing field',
      );
    }
    // A shorter list under a path first seen with a longer one, and the reverse.
    expectSchemaError(() => longList.parse([{ id: 'a', size: 101 }], '$.p1'), '$.p1[0].size', 'integer');
    const grown = Array.from({ length: 90 }, (_, i) => ({ id: 'a', size: i === 89 ? 101 : 1 }));
    expectSchemaError(() => longList.parse(grown, '$.fresh'), '$.fresh[89].size', 'integer');
  });

  it('ignores inherited enumerable names and still refuses own unknown ones', () => {
    const inherited = Object.create({ extra: 1 }) as Record<string, unknown>;
    inherited.id = 'a';
    inherited.size = 1;
    assert.deepStrictEqual(itemSchema.parse(inherited, '$'), { id: 'a', size: 1 });
    inherited.other = 2;
    expectSchemaError(() => itemSchema.parse(inherited, '$'), '$.other', 'unknown field');
  });

  it('holds each leaf schema to its type and bounds, the bounds themselves allowed', () => {
    const upTo4 = bytes(undefined, 4);
    assert.equal(upTo4.parse(new Uint8Array(4), '$').byteLength, 4);
    expectSchemaError(() => upTo4.parse(new Uint8Array(5), '$'), '$', 'at most 4 bytes');
    expectSchemaError(
      () => upTo4.parse('abcd', '$'),
      '$',
      'expected at most 4 bytes, got text of 4 characters',
    );
    expectSchemaError(() => upTo4.parse(null, '$'), '$', 'got null');
    expectSchemaError(() => bytes(2).parse(new Uint8Array(3), '$'), '$', '2 bytes');
    const flag = object({ on: bool });
    assert.deepEqual(flag.parse({ on: false }, '$'), { on: false });
    for (const wrong of ['true', 1, null])
      expectSchemaError(() => flag.parse({ on: wrong }, '$'), '$.on', 'boolean');
    const pair = array(uint(9), 2, 1);
    const input = [1, 2];
    const parsed = pair.parse(input, '$');
    assert.deepEqual(parsed, [1, 2]);
    assert.notEqual(parsed, input, 'a plain parse returns a list the caller owns');
    expectSchemaError(() => pair.parse([1, 2, 3], '$'), '$', 'list of 1 to 2 items');
    expectSchemaError(() => pair.parse([], '$'), '$', 'list of 1 to 2 items');
    const count = uint(9, 2);
    assert.equal(count.parse(9, '$'), 9);
    for (const wrong of [10, 1, 2.5, '3', null]) expectSchemaError(() => count.parse(wrong, '$'), '$', '');
    const tagged = union('kind', { a: object({ kind: literal('a') }) });
    for (const wrong of [null, 'a', 7])
      expectSchemaError(() => tagged.parse(wrong, '$'), '$', 'object whose kind');
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
