// Closed schemas for decoded CBOR and JSON. A schema checks a value and returns it typed, or
// throws SCHEMA_INVALID naming the field path. Objects are closed: an unknown field is an error,
// so a peer can never smuggle data (or personal identifiers) into a record we then sign or store.
import { fail } from '../errors.js';

export interface Schema<T> {
  /** Human description used in error messages, e.g. "text of at most 64 characters". */
  readonly description: string;
  /**
   * Checks `value` and returns it typed. `inPlace` (see parseInPlace): the caller owns `value`
   * outright, so plain objects and lists may be returned themselves instead of copied. Schemas of
   * scalars and bytes return their input either way and ignore it; schemas that hold other schemas
   * pass it down to them.
   */
  parse(value: unknown, path: string, inPlace?: boolean): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** A schema path as a field name for messages: '$.items[0].upload' -> 'items[0].upload'; '$' -> ''. */
export function fieldOfPath(schemaPath: string): string {
  return schemaPath.replace(/^\$\.?/, '');
}

function invalid(path: string, expected: string, value: unknown): never {
  const got =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : value instanceof Uint8Array
          ? `${value.byteLength} bytes`
          : typeof value === 'string'
            ? `text of ${value.length} characters`
            : typeof value;
  return fail('SCHEMA_INVALID', `expected ${expected}, got ${got}`, path);
}

// Field paths ("$.body.items[0].digest") name the field in an error, yet almost every parse
// succeeds and never reads them. Built with a template per field and per list element, they were
// two string allocations per field of every transaction a block carries; so each object and list
// schema keeps the paths of its children by its own path (a schema sits at a few paths only), and
// hands the same strings out again. Both tables are bounded.
/** Parent paths remembered per object or list schema. */
const MAX_CACHED_PARENT_PATHS = 64;
/** Element paths remembered per list path; later elements get theirs built. */
const MAX_CACHED_ELEMENT_PATHS = 64;

// Checking in place. A schema returns a new object or list for every object or list it checks,
// so a caller holding the input can never change the result through it. A caller that owns the
// input outright (it decoded it a moment ago and keeps no other reference) has no use for that
// copy: in place, a plain object or list whose fields or elements all parse to themselves is
// returned itself. Before this, every map and list of every transaction a block carries was built
// twice, once by the decoder and once by its schema. The choice travels down as parse's `inPlace`
// argument, so it covers exactly the value handed to parseInPlace, and any other parse (even one
// run from inside it) copies as usual.

/**
 * schema.parse, except that plain objects and lists whose every field or element parses to
 * itself are returned as they are instead of copied: only for an input the caller owns outright.
 */
export function parseInPlace<T>(schema: Schema<T>, value: unknown, path: string): T {
  return schema.parse(value, path, true);
}

export function uint(max: number = Number.MAX_SAFE_INTEGER, min = 0): Schema<number> {
  const description = `integer from ${min} to ${max}`;
  return {
    description,
    parse(value, path) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
        return invalid(path, description, value);
      }
      return value;
    },
  };
}

export function text(maxChars: number, pattern?: RegExp, patternName?: string): Schema<string> {
  const description = `text of at most ${maxChars} characters${patternName ? ` (${patternName})` : ''}`;
  return {
    description,
    parse(value, path) {
      if (typeof value !== 'string' || value.length > maxChars || (pattern && !pattern.test(value))) {
        return invalid(path, description, value);
      }
      return value;
    },
  };
}

/** Identifiers: lowercase letters, digits, '-', '.', '_' and ':'; never free text. */
export const IDENTIFIER_PATTERN = /^[a-z0-9][a-z0-9._:-]*$/;
export function identifier(maxChars: number): Schema<string> {
  return text(maxChars, IDENTIFIER_PATTERN, 'identifier: lowercase letters, digits, . _ : -');
}

export function bytes(exactLength?: number, maxLength?: number): Schema<Uint8Array> {
  const description = exactLength !== undefined ? `${exactLength} bytes` : `at most ${maxLength} bytes`;
  return {
    description,
    parse(value, path) {
      if (!(value instanceof Uint8Array)) return invalid(path, description, value);
      if (exactLength !== undefined && value.byteLength !== exactLength)
        return invalid(path, description, value);
      if (maxLength !== undefined && value.byteLength > maxLength) return invalid(path, description, value);
      return value;
    },
  };
}

export const bool: Schema<boolean> = {
  description: 'boolean',
  parse(value, path) {
    if (typeof value !== 'boolean') return invalid(path, 'boolean', value);
    return value;
  },
};

export function literal<const T extends string>(...options: T[]): Schema<T> {
  const description = `one of ${options.join(', ')}`;
  return {
    description,
    parse(value, path) {
      if (typeof value !== 'string' || !(options as string[]).includes(value))
        return invalid(path, description, value);
      return value as T;
    },
  };
}

export function array<T>(item: Schema<T>, maxItems: number, minItems = 0): Schema<T[]> {
  const description = `list of ${minItems} to ${maxItems} items`;
  const pathsByParent = new Map<string, readonly string[]>();
  return {
    description,
    parse(value, path, inPlace) {
      if (!Array.isArray(value) || value.length > maxItems || value.length < minItems) {
        return invalid(path, description, value);
      }
      const paths = elementPaths(path, value.length);
      // In place the list itself is returned when every element parses to itself; a copy is
      // made from the first element whose parse returns another value.
      let out: T[] | undefined =
        inPlace === true && Object.getPrototypeOf(value) === Array.prototype ? undefined : [];
      for (let i = 0; i < value.length; i++) {
        const element: unknown = value[i];
        const parsed = item.parse(element, paths[i] ?? `${path}[${i}]`, inPlace);
        if (out === undefined && parsed !== element) out = value.slice(0, i) as T[];
        if (out !== undefined) out.push(parsed);
      }
      return out ?? (value as T[]);
    },
  };
  /** Element paths by list path (see MAX_CACHED_PARENT_PATHS). */
  function elementPaths(path: string, count: number): readonly string[] {
    const wanted = Math.min(count, MAX_CACHED_ELEMENT_PATHS);
    const known = pathsByParent.get(path);
    if (known !== undefined && known.length >= wanted) return known;
    const paths = Array.from({ length: wanted }, (_, i) => `${path}[${i}]`);
    // A longer list under a path already remembered replaces its entry even when the table is full.
    if (known !== undefined || pathsByParent.size < MAX_CACHED_PARENT_PATHS) pathsByParent.set(path, paths);
    return paths;
  }
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    description: `${inner.description} or null`,
    parse(value, path, inPlace) {
      return value === null ? null : inner.parse(value, path, inPlace);
    },
  };
}

/** Marks a field as optional inside `object`. */
export interface Optional<T> {
  readonly optional: Schema<T>;
}
export function optional<T>(inner: Schema<T>): Optional<T> {
  return { optional: inner };
}

type Fields = Record<string, Schema<unknown> | Optional<unknown>>;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends Schema<unknown> ? K : never }[keyof F];
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Optional<unknown> ? K : never }[keyof F];
export type ObjectOf<F extends Fields> = {
  [K in RequiredKeys<F>]: F[K] extends Schema<infer T> ? T : never;
} & {
  [K in OptionalKeys<F>]?: F[K] extends Optional<infer T> ? T : never;
};

/** A closed object: every field known, every required field present, nothing else. */
export function object<F extends Fields>(fields: F): Schema<ObjectOf<F>> {
  const names = Object.keys(fields);
  const description = `object with fields ${names.join(', ')}`;
  const pathsByParent = new Map<string, readonly string[]>();
  /** Each field's path under the object's path (see MAX_CACHED_PARENT_PATHS). */
  const fieldPaths = (path: string): readonly string[] => {
    let paths = pathsByParent.get(path);
    if (paths === undefined) {
      paths = names.map((name) => `${path}.${name}`);
      if (pathsByParent.size < MAX_CACHED_PARENT_PATHS) pathsByParent.set(path, paths);
    }
    return paths;
  };
  return {
    description,
    parse(value, path, inPlace) {
      if (
        typeof value !== 'object' ||
        value === null ||
        Array.isArray(value) ||
        value instanceof Uint8Array
      ) {
        return invalid(path, description, value);
      }
      const input = value as Record<string, unknown>;
      // In place, a plain object holding only known fields, none of them undefined, is returned
      // itself when every field parses to itself (the scalar and byte schemas return their
      // input, and nested objects and lists do under this same rule).
      let reuseInput = inPlace === true && Object.getPrototypeOf(input) === Object.prototype;
      // for-in with hasOwn visits the own enumerable keys, as Object.keys does, without an array.
      for (const key in input) {
        if (!Object.hasOwn(input, key)) continue;
        if (input[key] === undefined) {
          // An undefined field is dropped from the result, as it was before, so that needs a copy.
          reuseInput = false;
          continue;
        }
        // Own fields only: `key in fields` would also accept inherited names such as "toString",
        // "constructor" or "__proto__" (which JSON.parse creates as an own key) and drop them silently.
        if (!Object.hasOwn(fields, key)) fail('SCHEMA_INVALID', 'unknown field', `${path}.${key}`);
      }
      const paths = fieldPaths(path);
      // The copy, once one is needed: it starts from the fields already parsed (each equal to its
      // input) and takes the parsed value of every field from there on.
      let out: Record<string, unknown> | undefined = reuseInput ? undefined : {};
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        const field = fields[name]!;
        const child = input[name];
        let result: unknown;
        if ('optional' in field) {
          if (child !== undefined) result = field.optional.parse(child, paths[i]!, inPlace);
        } else {
          if (child === undefined) fail('SCHEMA_INVALID', 'missing field', paths[i]!);
          result = field.parse(child, paths[i]!, inPlace);
        }
        if (out === undefined && result !== child) {
          out = {};
          for (let j = 0; j < i; j++) {
            if (input[names[j]!] !== undefined) out[names[j]!] = input[names[j]!];
          }
        }
        if (out !== undefined && result !== undefined) out[name] = result;
      }
      if (out === undefined) return input as ObjectOf<F>;
      return out as ObjectOf<F>;
    },
  };
}

/** A tagged union on a text field: picks the schema by the value of `tag`. */
export function union<T>(tag: string, variants: Record<string, Schema<T>>): Schema<T> {
  const description = `object whose ${tag} is one of ${Object.keys(variants).join(', ')}`;
  return {
    description,
    parse(value, path, inPlace) {
      if (typeof value !== 'object' || value === null) return invalid(path, description, value);
      const key = (value as Record<string, unknown>)[tag];
      const variant = typeof key === 'string' ? variants[key] : undefined;
      if (!variant || !Object.hasOwn(variants, key as string))
        fail('SCHEMA_INVALID', `unknown ${tag} ${String(key)}`, `${path}.${tag}`);
      return variant.parse(value, path, inPlace);
    },
  };
}
