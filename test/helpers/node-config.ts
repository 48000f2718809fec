// A node.json value for tests that write one (the shape `network init` writes): a validator's,
// with any field replaced.
import type { NodeConfigJson } from '../../src/node/config/index.js';

export function sampleNodeConfigJson(overrides: Partial<NodeConfigJson> = {}): NodeConfigJson {
  return {
    org: 'sz-cac',
    role: 'validator',
    dataDir: 'data',
    genesis: '../genesis.json',
    keyFile: 'node.key',
    apiTokenFile: 'api.token',
    p2pListen: '/ip4/127.0.0.1/tcp/7100',
    apiHost: '127.0.0.1',
    apiPort: 7101,
    ...overrides,
  };
}
