// The API's router (src/node/api/router.ts) on its own: exact segment counts, parameters decoded,
// one route per method and pattern, HEAD answered by the GET route only (RFC 9110 section 9.3.2),
// and 405 listing the methods a path does have.
import { strict as assert } from 'node:assert';
import { Router } from '../../src/node/api/router.js';
import type { ApiHandler } from '../../src/node/api/types.js';
import { throwsWith } from '../helpers/rejects.js';

const handler: ApiHandler = () => ({ json: {} });

function routes(): Router {
  const router = new Router();
  router.add('GET', '/blocks/:height', handler);
  router.add('POST', '/blocks/:height', handler);
  router.add('POST', '/tx', handler);
  return router;
}

/** What a match found, without the handler. */
function found(router: Router, method: 'GET' | 'POST' | 'HEAD', path: string): unknown {
  const match = router.match(method, path);
  return match.kind === 'found'
    ? { method: match.route.method, pattern: match.route.pattern, params: match.params }
    : match;
}

describe('API router', () => {
  it('takes one route per method and pattern, two methods on one pattern included', () => {
    const router = routes();
    assert.deepEqual(found(router, 'POST', '/blocks/7'), {
      method: 'POST',
      pattern: '/blocks/:height',
      params: { height: '7' },
    });
    assert.throws(
      () => router.add('GET', '/blocks/:height', handler),
      /route GET \/blocks\/:height is registered twice/,
    );
  });

  it('matches on the exact segment count and decodes parameters', () => {
    const router = routes();
    assert.deepEqual(found(router, 'GET', '/blocks/a%20b'), {
      method: 'GET',
      pattern: '/blocks/:height',
      params: { height: 'a b' },
    });
    assert.deepEqual(found(router, 'GET', '/blocks/7/txs'), { kind: 'not-found' });
    assert.deepEqual(found(router, 'GET', '/blocks/'), { kind: 'not-found' });
    throwsWith(
      () => router.match('GET', '/blocks/%zz'),
      'REQUEST_MALFORMED',
      '%zz: path segment is not valid percent-encoding',
    );
  });

  it('answers HEAD with the GET route only, and lists the methods a path has', () => {
    const router = routes();
    assert.deepEqual(found(router, 'HEAD', '/blocks/7'), {
      method: 'GET',
      pattern: '/blocks/:height',
      params: { height: '7' },
    });
    assert.deepEqual(found(router, 'HEAD', '/tx'), { kind: 'method-not-allowed', allowed: ['POST'] });
    assert.deepEqual(found(router, 'GET', '/tx'), { kind: 'method-not-allowed', allowed: ['POST'] });
  });
});
