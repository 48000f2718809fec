// node.json (src/node/config): paths resolve against the file's folder, errors name the file and
// field, and the startup identity check ties node.json, the key file and genesis together.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { type Genesis, genesisFromTemplate, type NetworkTemplate } from '../../src/core/config/index.js';
import { BayledgerError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import {
  checkNodeIdentity,
  loadNodeConfig,
  type NodeConfigJson,
  parseNodeConfig,
} from '../../src/node/config/index.js';
import { generateKeyFile, type NodeKeyFile, publicKeysOf } from '../../src/node/keys/index.js';
import { sampleNodeConfigJson } from '../helpers/node-config.js';
import { throwsWith } from '../helpers/rejects.js';

const SAMPLE: NodeConfigJson = sampleNodeConfigJson();

const TEMPLATE: NetworkTemplate = {
  chainId: 'tiny',
  domain: 'health',
  organisations: [
    { id: 'sz-cac', name: 'Regulator', role: 'validator', jurisdiction: 'CN-GD' },
    { id: 'hku-szh', name: 'Hospital', role: 'submitter', jurisdiction: 'CN-GD' },
  ],
  consensus: {
    timeoutProposeMs: 1000,
    timeoutPrevoteMs: 500,
    timeoutPrecommitMs: 500,
    timeoutDeltaMs: 250,
    heartbeatMs: 0,
    maxClockDriftMs: 2000,
    maxBlockTxs: 100,
    maxBlockBytes: 1024 * 1024,
  },
  policy: {
    version: 1,
    categories: [{ id: 'lab-result', sensitive: true }],
    purposes: ['continuity-of-care'],
    negativeList: [],
    routes: [
      {
        id: 'exemption',
        fromJurisdictions: ['CN-GD'],
        toJurisdictions: ['HK'],
        requiresFilingReference: false,
      },
    ],
    thresholds: { maxDistinctPatientsPerSenderPerYear: 10, thresholdRoutes: [] },
    limits: { maxItemsPerTransfer: 4, maxPayloadBytes: 1024, maxConsentValiditySeconds: 3600 },
  },
};

function genesisFor(keys: readonly NodeKeyFile[]): Genesis {
  const endpoints = new Map(
    keys.map((key, index) => {
      const published = publicKeysOf(key);
      return [
        key.org,
        {
          nodeKey: Uint8Array.from(Buffer.from(published.publicKey, 'hex')),
          encryptionKey: Uint8Array.from(Buffer.from(published.encryptionKey!, 'hex')),
          p2pAddress: `/ip4/127.0.0.1/tcp/${7100 + 2 * index}`,
        },
      ];
    }),
  );
  return genesisFromTemplate(TEMPLATE, { genesisTimeMs: 0, endpoints });
}

describe('config: node.json', () => {
  it('resolves relative paths against the folder of node.json', () => {
    const config = parseNodeConfig(SAMPLE, '/srv/net/sz-cac/node.json');
    assert.equal(config.configPath, '/srv/net/sz-cac/node.json');
    assert.equal(config.dataDir, '/srv/net/sz-cac/data');
    assert.equal(config.genesis, '/srv/net/genesis.json');
    assert.equal(config.keyFile, '/srv/net/sz-cac/node.key');
    assert.equal(parseNodeConfig({ ...SAMPLE, dataDir: '/var/lib/x' }, '/srv/n.json').dataDir, '/var/lib/x');
  });

  it('takes an optional disk reserve for the ledger, absent unless set', () => {
    assert.equal(parseNodeConfig(SAMPLE, '/srv/n.json').diskReserveBytes, undefined);
    assert.equal(parseNodeConfig({ ...SAMPLE, diskReserveBytes: 0 }, '/srv/n.json').diskReserveBytes, 0);
    assert.equal(
      parseNodeConfig({ ...SAMPLE, diskReserveBytes: 2 ** 40 }, '/srv/n.json').diskReserveBytes,
      2 ** 40,
    );
  });

  it('takes optional peer addresses that replace the genesis address for dialling', () => {
    assert.equal(parseNodeConfig(SAMPLE, '/srv/n.json').peerAddresses, undefined);
    const peerAddresses = { 'hk-health': '/ip4/10.8.0.4/tcp/7100', qianhai: '/ip4/127.0.0.1/tcp/9000' };
    assert.deepEqual(
      parseNodeConfig({ ...SAMPLE, peerAddresses }, '/srv/n.json').peerAddresses,
      peerAddresses,
    );
  });

  it('takes peer addresses for at most LIMITS.maxOrganisations organisations', () => {
    const many = (count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, i) => [`org-${i}`, `/ip4/10.0.0.1/tcp/${7000 + i}`]),
      );
    const config = parseNodeConfig(
      { ...SAMPLE, peerAddresses: many(LIMITS.maxOrganisations) },
      '/srv/n.json',
    );
    assert.equal(Object.keys(config.peerAddresses ?? {}).length, LIMITS.maxOrganisations);
    throwsWith(
      () => parseNodeConfig({ ...SAMPLE, peerAddresses: many(LIMITS.maxOrganisations + 1) }, 'n.json'),
      'CONFIG_INVALID',
      `n.json: peerAddresses: more than ${LIMITS.maxOrganisations} entries`,
    );
  });

  const broken: ReadonlyArray<readonly [string, Record<string, unknown>, string, string]> = [
    ['a port above 65535', { apiPort: 70000 }, 'apiPort', 'integer from 1 to 65535'],
    ['a host that is not an address', { apiHost: 'example.com' }, 'apiHost', 'IP address'],
    ['a bad listen address', { p2pListen: 'tcp://127.0.0.1:7100' }, 'p2pListen', 'libp2p address'],
    ['an unknown role', { role: 'auditor' }, 'role', 'one of validator'],
    ['an unknown field', { logLevel: 'debug' }, 'logLevel', 'unknown field'],
    ['an empty path', { keyFile: '' }, 'keyFile', 'file path'],
    [
      'a disk reserve over 1 TiB',
      { diskReserveBytes: 2 ** 40 + 1 },
      'diskReserveBytes',
      'integer from 0 to 1099511627776',
    ],
    ['a disk reserve that is not a byte count', { diskReserveBytes: '64MiB' }, 'diskReserveBytes', 'integer'],
    ['peer addresses given as text', { peerAddresses: '/ip4/10.0.0.1/tcp/7100' }, 'peerAddresses', 'object'],
    ['peer addresses given as null', { peerAddresses: null }, 'peerAddresses', 'object'],
    [
      'peer addresses given as a list',
      { peerAddresses: ['/ip4/10.0.0.1/tcp/7100'] },
      'peerAddresses',
      'object',
    ],
    [
      'a peer address that is not a libp2p address',
      { peerAddresses: { 'hk-health': '10.0.0.1:7100' } },
      'peerAddresses.hk-health',
      'libp2p address',
    ],
    [
      'a peer that is not an organisation id',
      { peerAddresses: { 'HK Health': '/ip4/10.0.0.1/tcp/7100' } },
      'peerAddresses: key "HK Health"',
      'expected',
    ],
  ];
  for (const [name, change, field, messagePart] of broken) {
    it(`names the file and field of ${name}`, () => {
      assert.throws(
        () => parseNodeConfig({ ...SAMPLE, ...change }, 'net/a/node.json'),
        (error: unknown) =>
          error instanceof BayledgerError &&
          error.code === 'CONFIG_INVALID' &&
          error.where === `net/a/node.json: ${field}` &&
          error.message.includes(messagePart),
      );
    });
  }

  it('loads from disk and reports a missing file by name', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'bayledger-node-config-'));
    try {
      const file = path.join(directory, 'node.json');
      await writeFile(file, JSON.stringify(SAMPLE));
      assert.equal((await loadNodeConfig(file)).keyFile, path.join(directory, 'node.key'));
      await assert.rejects(loadNodeConfig(path.join(directory, 'nope.json')), (error: unknown) => {
        return (
          error instanceof BayledgerError && error.code === 'NOT_FOUND' && error.message.includes('nope.json')
        );
      });
      await writeFile(file, '{ "org": ');
      await assert.rejects(loadNodeConfig(file), { code: 'CONFIG_INVALID' });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('config: node identity against genesis', () => {
  const regulator = generateKeyFile('node', 'sz-cac');
  const hospital = generateKeyFile('node', 'hku-szh');
  const genesis = genesisFor([regulator, hospital]);
  const config = parseNodeConfig(SAMPLE, '/srv/net/sz-cac/node.json');

  it('accepts the matching key file', () => {
    checkNodeIdentity(config, genesis, regulator);
    assert.equal(toHex(genesis.organisations[0]!.nodeKey), publicKeysOf(regulator).publicKey);
  });

  it("refuses another organisation's key file, a patient key, a wrong role or an unknown org", () => {
    // Refused as the wrong file, before its keys are compared with the genesis.
    for (const keyFile of [hospital, generateKeyFile('patient')])
      throwsWith(
        () => checkNodeIdentity(config, genesis, keyFile),
        'KEY_FILE_INVALID',
        `${config.keyFile}: not a node key file of organisation sz-cac`,
      );
    const impostor = { ...generateKeyFile('node', 'sz-cac') };
    assert.throws(() => checkNodeIdentity(config, genesis, impostor), /not the nodeKey of sz-cac/);
    assert.throws(
      () => checkNodeIdentity({ ...config, role: 'submitter' }, genesis, regulator),
      /role validator/,
    );
    assert.throws(
      () => checkNodeIdentity({ ...config, org: 'qianhai' }, genesis, regulator),
      /qianhai is not in/,
    );
  });

  it('refuses a peer address for an organisation the genesis does not list, or for itself', () => {
    checkNodeIdentity(
      { ...config, peerAddresses: { 'hku-szh': '/ip4/10.0.0.2/tcp/7100' } },
      genesis,
      regulator,
    );
    throwsWith(
      () =>
        checkNodeIdentity(
          { ...config, peerAddresses: { qianhai: '/ip4/10.0.0.2/tcp/7100' } },
          genesis,
          regulator,
        ),
      'CONFIG_INVALID',
      `${config.configPath}: peerAddresses.qianhai: organisation qianhai is not in ${config.genesis}`,
    );
    throwsWith(
      () =>
        checkNodeIdentity(
          { ...config, peerAddresses: { 'sz-cac': '/ip4/10.0.0.2/tcp/7100' } },
          genesis,
          regulator,
        ),
      'CONFIG_INVALID',
      `${config.configPath}: peerAddresses.sz-cac: a node does not dial itself: remove its own organisation`,
    );
  });

  it('refuses a key file whose X25519 secret does not match the published encryption key', () => {
    const swapped = { ...regulator, x25519Secret: hospital.x25519Secret };
    assert.throws(() => checkNodeIdentity(config, genesis, swapped), /not the encryptionKey of sz-cac/);
  });
});
