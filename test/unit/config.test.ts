// Network configuration (src/core/config): the gba-health template, genesis files made from it,
// their hashes and lookups, and errors that name the file and the field.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex, utf8 } from '../../src/core/bytes.js';
import { encodeCanonical } from '../../src/core/codec/index.js';
import { configFail, withConfigSource } from '../../src/core/config/config-error.js';
import {
  type Genesis,
  type GenesisJson,
  genesisFromTemplate,
  genesisHash,
  genesisToJson,
  type NetworkTemplate,
  networkWarnings,
  organisationById,
  organisationByNodeKey,
  parseGenesis,
  parseJsonText,
  parseNetworkFile,
  parseTemplate,
  validatorsHash,
  validatorsOf,
} from '../../src/core/config/index.js';
import { MAX_P2P_ADDRESS_CHARS, p2pAddressSchema } from '../../src/core/config/json-fields.js';
import { checkOrganisations } from '../../src/core/config/network-checks.js';
import { Ed25519Signer, sha256, x25519KeyPairFromSecret } from '../../src/core/crypto/index.js';
import { BayledgerError, type ErrorCode, fail } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TEMPLATE_PATH = path.join(REPO_ROOT, 'network-config/gba-health.json');
const TEMPLATE_SCHEMA_PATH = path.join(REPO_ROOT, 'network-config/template.schema.json');

function loadTemplateJson(): Record<string, unknown> {
  return parseJsonText(readFileSync(TEMPLATE_PATH, 'utf8'), 'gba-health.json') as Record<string, unknown>;
}

/** Deterministic public keys per organisation (tests only; real keys come from `network init`). */
function sampleGenesis(template: NetworkTemplate): Genesis {
  const endpoints = new Map(
    template.organisations.map((organisation, index) => [
      organisation.id,
      {
        nodeKey: new Ed25519Signer(sha256(utf8(`node ${organisation.id}`))).publicKey,
        encryptionKey: x25519KeyPairFromSecret(sha256(utf8(`enc ${organisation.id}`))).publicKey,
        p2pAddress: `/ip4/127.0.0.1/tcp/${7100 + 2 * index}`,
      },
    ]),
  );
  return genesisFromTemplate(template, { genesisTimeMs: 1_767_225_600_000, endpoints });
}

/** A mutable deep copy of a genesis JSON form, for breaking one field at a time. */
function genesisJsonCopy(): Record<string, unknown> & { organisations: Record<string, unknown>[] } {
  const template = parseTemplate(loadTemplateJson(), 'gba-health.json');
  return JSON.parse(JSON.stringify(genesisToJson(sampleGenesis(template))));
}

function expectConfigError(action: () => unknown, where: string, messagePart: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof BayledgerError, String(error));
    assert.equal(error.code, 'CONFIG_INVALID', error.message);
    assert.equal(error.where, where, error.message);
    assert.ok(error.message.includes(messagePart), `"${error.message}" lacks "${messagePart}"`);
    assert.ok(error.message.startsWith(`${where}: `), error.message);
    return true;
  });
}

describe('config: the gba-health template', () => {
  const template = parseTemplate(loadTemplateJson(), 'gba-health.json');

  it('holds the sample network of design section 1', () => {
    const byRole = (role: string) => template.organisations.filter((o) => o.role === role).map((o) => o.id);
    assert.deepStrictEqual(byRole('validator'), ['sz-cac', 'sz-health', 'qianhai', 'hk-health']);
    assert.deepStrictEqual(byRole('submitter'), ['hku-szh', 'nf-ufh']);
    assert.deepStrictEqual(byRole('recipient'), ['ehealth-hk']);
    assert.equal(template.domain, 'health');
    assert.deepStrictEqual(networkWarnings(template.organisations), []);
  });

  it('has the catalogue, negative list, routes and consensus parameters of the brief', () => {
    const sensitive = template.policy.categories.filter((c) => c.sensitive).map((c) => c.id);
    assert.ok(sensitive.includes('genetic-test-result') && sensitive.includes('population-health-data'));
    assert.equal(template.policy.categories.length, 9);
    assert.deepStrictEqual(template.policy.negativeList, [
      { category: 'genetic-test-result', rule: 'assessment', assessors: ['sz-cac', 'sz-health'] },
      { category: 'population-health-data', rule: 'prohibited', assessors: [] },
    ]);
    const needsReference = template.policy.routes.filter((r) => r.requiresFilingReference).map((r) => r.id);
    assert.deepStrictEqual(needsReference, ['gba-standard-contract', 'security-assessment']);
    assert.deepStrictEqual(template.policy.thresholds.thresholdRoutes, ['gba-standard-contract']);
    assert.equal(template.consensus.timeoutProposeMs, 3000);
    assert.equal(template.consensus.maxBlockBytes, 4 * 1024 * 1024);
  });

  it('agrees with template.schema.json on every field name', () => {
    const schema = JSON.parse(readFileSync(TEMPLATE_SCHEMA_PATH, 'utf8'));
    const json = loadTemplateJson();
    const topFields = Object.keys(schema.properties);
    for (const key of Object.keys(json)) assert.ok(topFields.includes(key), key);
    for (const key of schema.required) assert.ok(key in json, key);
    const organisationFields = Object.keys(schema.$defs.organisation.properties).sort();
    assert.deepStrictEqual(organisationFields, Object.keys(template.organisations[0]!).sort());
    // Every required consensus field is set; an optional one (minBlockIntervalMs) may be.
    const consensusFields = Object.keys(template.consensus);
    for (const key of schema.$defs.consensus.required) assert.ok(consensusFields.includes(key), key);
    for (const key of consensusFields) assert.ok(key in schema.$defs.consensus.properties, key);
    assert.deepStrictEqual(schema.$defs.policy.required.sort(), Object.keys(template.policy).sort());
  });

  it('refuses keys in a template, naming the field', () => {
    const json = loadTemplateJson();
    (json.organisations as Record<string, unknown>[])[2]!.nodeKey = '00'.repeat(32);
    expectConfigError(
      () => parseTemplate(json, 't.json'),
      't.json: organisations[2].nodeKey',
      'unknown field',
    );
  });
});

describe('config: genesis', () => {
  const template = parseTemplate(loadTemplateJson(), 'gba-health.json');
  const genesis = sampleGenesis(template);

  it('round-trips through its JSON form', () => {
    const json: GenesisJson = genesisToJson(genesis);
    assert.match(json.organisations[0]!.nodeKey, /^[0-9a-f]{64}$/);
    const reparsed = parseGenesis(JSON.parse(JSON.stringify(json)), 'genesis.json');
    assert.deepStrictEqual(reparsed, genesis);
  });

  it('lists validators in file order (the proposer order) with their node keys', () => {
    const validators = validatorsOf(genesis);
    assert.deepStrictEqual(
      validators.map((v) => v.id),
      ['sz-cac', 'sz-health', 'qianhai', 'hk-health'],
    );
    assert.deepStrictEqual(validators[3]!.publicKey, organisationById(genesis, 'hk-health')!.nodeKey);
  });

  it('finds organisations by id and by node key', () => {
    assert.equal(organisationById(genesis, 'nf-ufh')?.role, 'submitter');
    assert.equal(organisationById(genesis, 'nobody'), undefined);
    const recipient = organisationById(genesis, 'ehealth-hk')!;
    assert.equal(organisationByNodeKey(genesis, recipient.nodeKey)?.id, 'ehealth-hk');
    assert.equal(organisationByNodeKey(genesis, new Uint8Array(32)), undefined);
  });

  it('hashes the canonical CBOR of the JSON form, whatever the file formatting', () => {
    const expected = toHex(sha256(encodeCanonical(genesisToJson(genesis))));
    assert.equal(toHex(genesisHash(genesis)), expected);
    const text = JSON.stringify(genesisToJson(genesis));
    const reordered = JSON.parse(text, (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).reverse())
        : value,
    );
    assert.equal(toHex(genesisHash(parseGenesis(reordered, 'g.json'))), expected);
    const otherChain = { ...genesis, chainId: 'gba-health-2' };
    assert.notEqual(toHex(genesisHash(otherChain)), expected);
  });

  it('hashes validators as canonical [{ id, publicKey }] in order', () => {
    const validators = validatorsOf(genesis);
    const expected = sha256(encodeCanonical(validators.map((v) => ({ id: v.id, publicKey: v.publicKey }))));
    assert.deepStrictEqual(validatorsHash(validators), expected);
    assert.notDeepStrictEqual(validatorsHash([...validators].reverse()), expected);
  });

  it('is told apart from a template by network check', () => {
    const asGenesis = parseNetworkFile(genesisToJson(genesis), 'g.json');
    assert.equal(asGenesis.kind, 'genesis');
    assert.equal(parseNetworkFile(loadTemplateJson(), 't.json').kind, 'template');
  });
});

describe('config: genesis errors name the file and the field', () => {
  type Breaker = (json: ReturnType<typeof genesisJsonCopy>) => void;
  const cases: ReadonlyArray<readonly [string, Breaker, string, string]> = [
    [
      'a short node key',
      (json) => {
        json.organisations[3]!.nodeKey = 'abcd';
      },
      'genesis.json: organisations[3].nodeKey',
      'expected 32 bytes hex',
    ],
    [
      'an upper-case hex key',
      (json) => {
        json.organisations[0]!.encryptionKey = 'AB'.repeat(32);
      },
      'genesis.json: organisations[0].encryptionKey',
      'expected 32 bytes hex',
    ],
    [
      'a missing field',
      (json) => {
        delete json.organisations[1]!.jurisdiction;
      },
      'genesis.json: organisations[1].jurisdiction',
      'missing field',
    ],
    [
      'an unknown field',
      (json) => {
        json.organisations[1]!.email = 'x';
      },
      'genesis.json: organisations[1].email',
      'unknown field',
    ],
    [
      'an unknown role',
      (json) => {
        json.organisations[5]!.role = 'observer';
      },
      'genesis.json: organisations[5].role',
      'one of validator, submitter, recipient',
    ],
    [
      'a repeated organisation id',
      (json) => {
        json.organisations[4]!.id = 'sz-cac';
      },
      'genesis.json: organisations[4].id',
      'already used by organisations[0]',
    ],
    [
      'a repeated node key',
      (json) => {
        json.organisations[6]!.nodeKey = json.organisations[2]!.nodeKey;
      },
      'genesis.json: organisations[6].nodeKey',
      'same key as organisations[2].nodeKey',
    ],
    [
      'a repeated address',
      (json) => {
        json.organisations[6]!.p2pAddress = json.organisations[0]!.p2pAddress;
      },
      'genesis.json: organisations[6].p2pAddress',
      'same address as organisations[0]',
    ],
    [
      'a bad address',
      (json) => {
        json.organisations[2]!.p2pAddress = '/ip4/300.0.0.1/tcp/7100';
      },
      'genesis.json: organisations[2].p2pAddress',
      'libp2p address',
    ],
    [
      'no validator',
      (json) => {
        for (const organisation of json.organisations) {
          if (organisation.role === 'validator') organisation.role = 'submitter';
        }
        (json.policy as { negativeList: unknown[] }).negativeList = [];
      },
      'genesis.json: organisations',
      'at least one organisation must have role validator',
    ],
    [
      'an assessor that is not a validator',
      (json) => {
        (json.policy as { negativeList: { assessors: string[] }[] }).negativeList[0]!.assessors[1] =
          'hku-szh';
      },
      'genesis.json: policy.negativeList[0].assessors[1]',
      'assessor hku-szh is not a validator',
    ],
    [
      'a negative-list category missing from the catalogue',
      (json) => {
        (json.policy as { negativeList: { category: string }[] }).negativeList[1]!.category = 'tissue-sample';
      },
      'genesis.json: policy.negativeList[1]',
      'tissue-sample is not in the catalogue',
    ],
    [
      'a threshold route that does not exist',
      (json) => {
        (json.policy as { thresholds: { thresholdRoutes: string[] } }).thresholds.thresholdRoutes = [
          'gba-fast-lane',
        ];
      },
      'genesis.json: policy.thresholds.thresholdRoutes[0]',
      'gba-fast-lane',
    ],
    [
      'a timeout above the cap',
      (json) => {
        (json.consensus as Record<string, number>).timeoutProposeMs = 60_000;
      },
      'genesis.json: consensus.timeoutProposeMs',
      'integer from 1 to 30000',
    ],
    [
      'a chain id that is not an identifier',
      (json) => {
        json.chainId = 'GBA Health';
      },
      'genesis.json: chainId',
      'identifier',
    ],
    [
      'a fractional genesis time',
      (json) => {
        json.genesisTimeMs = 1.5;
      },
      'genesis.json: genesisTimeMs',
      'integer',
    ],
  ];
  for (const [name, breakIt, where, messagePart] of cases) {
    it(name, () => {
      const json = genesisJsonCopy();
      breakIt(json);
      expectConfigError(() => parseGenesis(json, 'genesis.json'), where, messagePart);
    });
  }

  it('a value that is not an object', () => {
    expectConfigError(() => parseGenesis([], 'genesis.json'), 'genesis.json', 'expected object');
  });

  it('text that is not JSON, or too large', () => {
    expectConfigError(() => parseJsonText('{"chainId": ', 'genesis.json'), 'genesis.json', 'not valid JSON');
    expectConfigError(
      () => parseJsonText(' '.repeat(2 * 1024 * 1024), 'big.json'),
      'big.json',
      'larger than',
    );
  });

  it('warns about 3 validators (no fault tolerated), and about a network without submitters or recipients', () => {
    const validators = ['a', 'b', 'c'].map((id) => ({ id, role: 'validator' as const }));
    assert.deepEqual(
      networkWarnings([...validators, { id: 's', role: 'submitter' }, { id: 'r', role: 'recipient' }]),
      ['only 3 validator(s): tolerates 0 faulty validator(s); at least 4 are recommended'],
    );
    const onlyValidators = networkWarnings([...validators, { id: 'd', role: 'validator' }]);
    assert.deepEqual(onlyValidators, [
      'no organisation has role submitter: nobody can declare transfers',
      'no organisation has role recipient: no transfer can be delivered',
    ]);
  });

  it(`accepts ${LIMITS.maxValidators} validators and refuses one more`, () => {
    const policy = parseGenesis(genesisJsonCopy(), 'genesis.json').policy;
    const validators = (count: number) => [
      ...['sz-cac', 'sz-health'].map((id) => ({ id, role: 'validator' as const })),
      ...Array.from({ length: count - 2 }, (_, i) => ({ id: `v${i}`, role: 'validator' as const })),
    ];
    checkOrganisations(validators(LIMITS.maxValidators), policy);
    assert.throws(
      () => checkOrganisations(validators(LIMITS.maxValidators + 1), policy),
      new RegExp(`${LIMITS.maxValidators + 1} validators, more than the limit of ${LIMITS.maxValidators}`),
    );
  });

  it('takes p2p addresses up to their limits: octet 255, port 65535, 256 characters', () => {
    const parse = (address: string) => p2pAddressSchema.parse(address, '$.p2pAddress');
    assert.equal(parse('/ip4/255.255.255.255/tcp/65535'), '/ip4/255.255.255.255/tcp/65535');
    const longest = `/dns4/${'a'.repeat(MAX_P2P_ADDRESS_CHARS - '/dns4//tcp/7100'.length)}/tcp/7100`;
    assert.equal(parse(longest).length, MAX_P2P_ADDRESS_CHARS);
    for (const address of [
      '/ip4/256.0.0.1/tcp/7100',
      '/ip4/10.0.0.1/tcp/65536',
      `/dns4/a${longest.slice(6)}`,
    ]) {
      assert.throws(() => parse(address), /expected a libp2p address/, address);
    }
  });

  it(`reads a config text of exactly ${LIMITS.maxConfigBytes} characters`, () => {
    const text = `${' '.repeat(LIMITS.maxConfigBytes - 2)}{}`;
    assert.deepEqual(parseJsonText(text, 'edge.json'), {});
    expectConfigError(() => parseJsonText(` ${text}`, 'edge.json'), 'edge.json', 'larger than');
  });

  it('passes on an error that already names its source, and names the source of one that does not', () => {
    /** What withConfigSource throws for a parse that throws `error`. */
    const rethrown = (source: string, error: () => never, code?: ErrorCode) => {
      try {
        withConfigSource(source, error, code);
      } catch (thrown) {
        assert.ok(thrown instanceof BayledgerError);
        return { code: thrown.code, where: thrown.where, message: thrown.message };
      }
      return assert.fail('nothing was thrown');
    };
    assert.deepEqual(
      rethrown('a.json', () => configFail('a.json', '$.chainId', 'is wrong')),
      { code: 'CONFIG_INVALID', where: 'a.json: chainId', message: 'a.json: chainId: is wrong' },
    );
    assert.deepEqual(
      rethrown('b.json', () => fail('SCHEMA_INVALID', 'expected a map', '$.policy'), 'KEY_FILE_INVALID'),
      { code: 'KEY_FILE_INVALID', where: 'b.json: policy', message: 'b.json: policy: expected a map' },
    );
    assert.deepEqual(
      rethrown('c.json', () => fail('USAGE', 'not a config error', 'x')),
      { code: 'USAGE', where: 'x', message: 'x: not a config error' },
    );
  });

  it('warns about fewer than 4 validators but accepts one', () => {
    const json = genesisJsonCopy();
    json.organisations = json.organisations.filter((o) => o.role !== 'validator' || o.id === 'sz-cac');
    (json.policy as { negativeList: { assessors: string[] }[] }).negativeList[0]!.assessors = ['sz-cac'];
    const genesis = parseGenesis(json, 'genesis.json');
    assert.equal(validatorsOf(genesis).length, 1);
    const warnings = networkWarnings(genesis.organisations);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /only 1 validator.*tolerates 0 faulty/);
  });
});
