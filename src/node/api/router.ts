// A tiny router: patterns are "/"-separated segments, each either literal or ":name". Matching
// is exact on the segment count, so "/blocks/:height" never swallows "/blocks/1/txs".
import { assert, fail } from '../../core/errors.js';
import type { ApiHandler, HttpMethod, RouteOptions } from './types.js';

export interface Route {
  readonly method: HttpMethod;
  readonly pattern: string;
  readonly segments: readonly string[];
  readonly handler: ApiHandler;
  readonly options: RouteOptions;
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly HttpMethod[] }
  | { readonly kind: 'not-found' };

const PARAM_NAME = /^:[a-zA-Z][a-zA-Z0-9_]*$/;

function splitPath(path: string): string[] {
  return path.split('/').slice(1);
}

export class Router {
  readonly #routes: Route[] = [];

  add(method: HttpMethod, pattern: string, handler: ApiHandler, options: RouteOptions = {}): void {
    assert(pattern.startsWith('/'), `route pattern ${pattern} must start with /`);
    const segments = splitPath(pattern);
    for (const segment of segments) {
      assert(!segment.startsWith(':') || PARAM_NAME.test(segment), `bad parameter ${segment} in ${pattern}`);
    }
    const duplicate = this.#routes.some((route) => route.method === method && route.pattern === pattern);
    assert(!duplicate, `route ${method} ${pattern} is registered twice`);
    this.#routes.push({ method, pattern, segments, handler, options });
  }

  match(method: HttpMethod, path: string): RouteMatch {
    const parts = splitPath(path);
    const allowed: HttpMethod[] = [];
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (params === undefined) continue;
      // HEAD is answered by the GET route (RFC 9110 section 9.3.2), without a body.
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        return { kind: 'found', route, params };
      }
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}

function matchSegments(
  pattern: readonly string[],
  parts: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const actual = parts[i]!;
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      params[expected.slice(1)] = decodeSegment(actual);
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return fail('REQUEST_MALFORMED', 'path segment is not valid percent-encoding', segment);
  }
}
