// Closed schemas for decoded CBOR and JSON. A schema checks a value and returns it typed, or
// throws SCHEMA_INVALID naming the field path. Objects are closed: an unknown field is an error,
// so a peer can never smuggle data (or personal identifiers) into a record we then sign or store.
import { fail } from '../errors.js';

export interface Schema<T> {
  /** Human description used in error messages, e.g. "text of at most 64 characters". */
  readonly description: string;
  parse(value: unknown, path: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

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
  return {
    description,
    parse(value, path) {
      if (!Array.isArray(value) || value.length > maxItems || value.length < minItems) {
        return invalid(path, description, value);
      }
      return value.map((element, i) => item.parse(element, `${path}[${i}]`));
    },
  };
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    description: `${inner.description} or null`,
    parse(value, path) {
      return value === null ? null : inner.parse(value, path);
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
  return {
    description,
    parse(value, path) {
      if (
        typeof value !== 'object' ||
        value === null ||
        Array.isArray(value) ||
        value instanceof Uint8Array
      ) {
        return invalid(path, description, value);
      }
      const input = value as Record<string, unknown>;
      for (const key of Object.keys(input)) {
        // Own fields only: `key in fields` would also accept inherited names such as "toString",
        // "constructor" or "__proto__" (which JSON.parse creates as an own key) and drop them silently.
        if (!Object.hasOwn(fields, key) && input[key] !== undefined)
          fail('SCHEMA_INVALID', 'unknown field', `${path}.${key}`);
      }
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const field = fields[name]!;
        const child = input[name];
        if ('optional' in field) {
          if (child !== undefined) out[name] = field.optional.parse(child, `${path}.${name}`);
        } else {
          if (child === undefined) fail('SCHEMA_INVALID', 'missing field', `${path}.${name}`);
          out[name] = field.parse(child, `${path}.${name}`);
        }
      }
      return out as ObjectOf<F>;
    },
  };
}

/** A tagged union on a text field: picks the schema by the value of `tag`. */
export function union<T>(tag: string, variants: Record<string, Schema<T>>): Schema<T> {
  const description = `object whose ${tag} is one of ${Object.keys(variants).join(', ')}`;
  return {
    description,
    parse(value, path) {
      if (typeof value !== 'object' || value === null) return invalid(path, description, value);
      const key = (value as Record<string, unknown>)[tag];
      const variant = typeof key === 'string' ? variants[key] : undefined;
      if (!variant || !Object.hasOwn(variants, key as string))
        fail('SCHEMA_INVALID', `unknown ${tag} ${String(key)}`, `${path}.${tag}`);
      return variant.parse(value, path);
    },
  };
}
