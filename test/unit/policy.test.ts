// Policy (design section 5): the closed policy schema, the UTC calendar, and evaluateDeclaration /
// evaluateConsentGrant as table tests: every rule alone, both sides of every boundary.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isBayledgerError } from '../../src/core/errors.js';
import {
  type ConsentFacts,
  type DeclarationContext,
  evaluateConsentGrant,
  evaluateDeclaration,
  type GrantContext,
  type Policy,
  policyProblems,
  policySchema,
  REASON_CODES,
  utcYearOfSeconds,
} from '../../src/core/policy/index.js';
import type { ConsentGrantBody, TransferDeclareBody } from '../../src/core/records/index.js';
import {
  DAY_SECONDS,
  declareTransfer,
  grantConsent,
  TEST_GENESIS_TIME_SECONDS,
  testGenesis,
  testItem,
  testPolicy,
} from '../helpers/fixtures.js';

const net = testGenesis();
const T0 = TEST_GENESIS_TIME_SECONDS;
const baseGrant = grantConsent(net).body;

function grantWith(changes: Partial<ConsentGrantBody> = {}): ConsentGrantBody {
  return { ...baseGrant, ...changes };
}

function declaration(
  changes: Partial<TransferDeclareBody> & { categories?: string[] } = {},
): TransferDeclareBody {
  return declareTransfer(net, { consentId: new Uint8Array(32), ...changes }).body;
}

function context(
  changes: Partial<DeclarationContext> & { grant?: ConsentGrantBody; revoked?: boolean } = {},
) {
  const { grant, revoked, ...rest } = changes;
  const consent: ConsentFacts = { grant: grant ?? baseGrant, revoked: revoked ?? false };
  return {
    policy: net.genesis.policy,
    organisations: net.genesis.organisations,
    blockTimeSeconds: T0 + 60,
    consent,
    duplicate: false,
    senderDistinctPatientsThisYear: 0,
    patientCountedThisYear: false,
    ...rest,
  } satisfies DeclarationContext;
}

function withPolicy(changes: Partial<Policy>, thresholds: Partial<Policy['thresholds']> = {}): Policy {
  return testPolicy(changes, thresholds);
}

describe('policy: schema', () => {
  const good = net.genesis.policy;

  it('accepts the test policy and returns it unchanged', () => {
    assert.deepEqual(policySchema.parse(structuredClone(good), '$'), good);
    assert.deepEqual(policyProblems(good, net.genesis.organisations), []);
  });

  const rejections: { name: string; policy: unknown; where: string }[] = [
    { name: 'unknown field', policy: { ...good, notes: 'x' }, where: '$.notes' },
    {
      name: 'repeated category id',
      policy: { ...good, categories: [...good.categories, good.categories[0]] },
      where: '$.categories[9]',
    },
    {
      name: 'repeated route id',
      policy: { ...good, routes: [...good.routes, good.routes[0]] },
      where: '$.routes[4]',
    },
    {
      name: 'negative list names an uncatalogued category',
      policy: { ...good, negativeList: [{ category: 'tax-record', rule: 'prohibited', assessors: [] }] },
      where: '$.negativeList[0]',
    },
    {
      name: 'assessment entry without assessors',
      policy: { ...good, negativeList: [{ category: 'lab-result', rule: 'assessment', assessors: [] }] },
      where: '$.negativeList[0].assessors',
    },
    {
      name: 'prohibited entry with assessors',
      policy: {
        ...good,
        negativeList: [{ category: 'lab-result', rule: 'prohibited', assessors: ['sz-cac'] }],
      },
      where: '$.negativeList[0].assessors',
    },
    {
      name: 'unknown negative-list rule',
      policy: { ...good, negativeList: [{ category: 'lab-result', rule: 'warn', assessors: [] }] },
      where: '$.negativeList[0].rule',
    },
    {
      name: 'threshold route not defined',
      policy: { ...good, thresholds: { ...good.thresholds, thresholdRoutes: ['fast-lane'] } },
      where: '$.thresholds.thresholdRoutes[0]',
    },
    {
      name: 'lower-case jurisdiction',
      policy: { ...good, routes: [{ ...good.routes[0], fromJurisdictions: ['cn-gd'] }] },
      where: '$.routes[0].fromJurisdictions[0]',
    },
    {
      name: 'item limit above LIMITS',
      policy: { ...good, limits: { ...good.limits, maxItemsPerTransfer: 65 } },
      where: '$.limits.maxItemsPerTransfer',
    },
    { name: 'no purposes', policy: { ...good, purposes: [] }, where: '$.purposes' },
    {
      name: 'purpose as free text',
      policy: { ...good, purposes: ['Continuity of care'] },
      where: '$.purposes[0]',
    },
  ];
  for (const row of rejections) {
    it(`refuses ${row.name}`, () => {
      assert.throws(
        () => policySchema.parse(row.policy, '$'),
        (error: unknown) => isBayledgerError(error, 'SCHEMA_INVALID') && error.where === row.where,
      );
    });
  }

  it('policyProblems: every assessor must be a validator of the network', () => {
    const policy = withPolicy({
      negativeList: [
        { category: 'genetic-test-result', rule: 'assessment', assessors: ['sz-cac', 'hku-szh'] },
      ],
    });
    assert.deepEqual(policyProblems(policy, net.genesis.organisations), [
      'negative list entry genetic-test-result: assessor hku-szh is not a validator',
    ]);
  });
});

describe('policy: UTC year without Date', () => {
  const instants = [
    '1970-01-01T00:00:00Z',
    '1999-12-31T23:59:59Z',
    '2000-01-01T00:00:00Z',
    '2000-02-29T12:00:00Z',
    '2024-12-31T23:59:59Z',
    '2025-01-01T00:00:00Z',
    '2026-02-28T23:59:59Z',
    '2026-03-01T00:00:00Z',
    '2100-02-28T23:59:59Z',
    '2100-03-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
  ];
  for (const instant of instants) {
    it(`${instant}`, () => {
      const seconds = Date.parse(instant) / 1000;
      assert.equal(utcYearOfSeconds(seconds), new Date(seconds * 1000).getUTCFullYear());
    });
  }

  it('agrees with Date.getUTCFullYear for any second up to year 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799 }), (seconds) => {
        assert.equal(utcYearOfSeconds(seconds), new Date(seconds * 1000).getUTCFullYear());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('policy: evaluateDeclaration, one rule at a time', () => {
  it('approves a clean declaration with no reasons', () => {
    assert.deepEqual(evaluateDeclaration(declaration(), context()), {
      status: 'approved',
      reasons: [],
      assessors: [],
    });
  });

  const otherRoute = {
    id: 'domestic',
    fromJurisdictions: ['CN-GD'],
    toJurisdictions: ['CN-GD'],
    requiresFilingReference: false,
  };
  const table: {
    name: string;
    declaration: () => TransferDeclareBody;
    context: () => DeclarationContext;
    reasons: string[];
  }[] = [
    {
      name: 'sender not in genesis',
      declaration: () => declaration({ sender: 'rogue-clinic' }),
      context: () => context({ grant: grantWith({ allowedSenders: ['rogue-clinic'] }) }),
      reasons: ['SENDER_NOT_REGISTERED'],
    },
    {
      name: 'sender is a regulator',
      declaration: () => declaration({ sender: 'sz-cac' }),
      context: () => context({ grant: grantWith({ allowedSenders: ['sz-cac'] }) }),
      reasons: ['SENDER_NOT_REGISTERED'],
    },
    {
      name: 'recipient is a hospital',
      declaration: () => declaration({ recipient: 'nf-ufh' }),
      context: () => context({ grant: grantWith({ recipient: 'nf-ufh' }) }),
      reasons: ['RECIPIENT_NOT_REGISTERED'],
    },
    {
      name: 'unknown route',
      declaration: () => declaration({ route: { id: 'fast-lane' } }),
      context: () => context(),
      reasons: ['ROUTE_INVALID'],
    },
    {
      name: 'route not valid to HK',
      declaration: () => declaration({ route: { id: 'domestic' } }),
      context: () => context({ policy: withPolicy({ routes: [...net.genesis.policy.routes, otherRoute] }) }),
      reasons: ['ROUTE_INVALID'],
    },
    {
      name: 'route not valid from CN-GD',
      declaration: () => declaration({ route: { id: 'domestic' } }),
      context: () =>
        context({
          policy: withPolicy({
            routes: [
              ...net.genesis.policy.routes,
              { ...otherRoute, fromJurisdictions: ['HK'], toJurisdictions: ['HK'] },
            ],
          }),
        }),
      reasons: ['ROUTE_INVALID'],
    },
    {
      name: 'standard contract without filing reference',
      declaration: () => declaration({ route: { id: 'gba-standard-contract' } }),
      context: () => context(),
      reasons: ['FILING_REFERENCE_MISSING'],
    },
    {
      name: 'security assessment route needs no filing reference',
      declaration: () => declaration({ route: { id: 'security-assessment' } }),
      context: () => context(),
      reasons: [],
    },
    {
      name: 'consent not on the ledger',
      declaration: () => declaration(),
      context: () => context({ consent: undefined }),
      reasons: ['CONSENT_NOT_FOUND'],
    },
    {
      name: 'consent revoked',
      declaration: () => declaration(),
      context: () => context({ revoked: true }),
      reasons: ['CONSENT_REVOKED'],
    },
    {
      name: 'sender not allowed by the consent',
      declaration: () => declaration({ sender: 'nf-ufh' }),
      context: () => context(),
      reasons: ['CONSENT_SENDER_MISMATCH'],
    },
    {
      name: 'second allowed sender may declare',
      declaration: () => declaration({ sender: 'nf-ufh' }),
      context: () => context({ grant: grantWith({ allowedSenders: ['hku-szh', 'nf-ufh'] }) }),
      reasons: [],
    },
    {
      name: 'consent names another recipient',
      declaration: () => declaration(),
      context: () => context({ grant: grantWith({ recipient: 'other-platform' }) }),
      reasons: ['CONSENT_RECIPIENT_MISMATCH'],
    },
    {
      name: "consent's purpose no longer allowed",
      declaration: () => declaration(),
      context: () => context({ grant: grantWith({ purpose: 'insurance-underwriting' }) }),
      reasons: ['PURPOSE_NOT_ALLOWED'],
    },
    {
      name: 'item category not consented',
      declaration: () => declaration({ categories: ['imaging-study', 'discharge-summary'] }),
      context: () => context(),
      reasons: ['CATEGORY_NOT_CONSENTED'],
    },
    {
      name: 'item category not in the catalogue',
      declaration: () => declaration({ categories: ['tax-record'] }),
      context: () => context({ grant: grantWith({ categories: ['tax-record'] }) }),
      reasons: ['CATEGORY_UNKNOWN'],
    },
    {
      name: 'no separate cross-border consent',
      declaration: () => declaration(),
      context: () =>
        context({ grant: grantWith({ separateConsent: { crossBorder: false, sensitive: true } }) }),
      reasons: ['SEPARATE_CONSENT_MISSING'],
    },
    {
      name: 'no separate consent for a sensitive category',
      declaration: () => declaration(),
      context: () =>
        context({ grant: grantWith({ separateConsent: { crossBorder: true, sensitive: false } }) }),
      reasons: ['SEPARATE_CONSENT_MISSING'],
    },
    {
      name: 'a non-sensitive category needs no sensitive consent',
      declaration: () => declaration({ categories: ['allergy-record'] }),
      context: () =>
        context({ grant: grantWith({ separateConsent: { crossBorder: true, sensitive: false } }) }),
      reasons: [],
    },
    {
      name: 'prohibited category',
      declaration: () => declaration({ categories: ['population-health-data'] }),
      context: () => context({ grant: grantWith({ categories: ['population-health-data'] }) }),
      reasons: ['NEGATIVE_LIST_PROHIBITED'],
    },
    {
      name: 'payload one byte over the policy limit',
      declaration: () => declaration({ payload: { ...declaration().payload, bytes: 1001 } }),
      context: () =>
        context({ policy: withPolicy({ limits: { ...net.genesis.policy.limits, maxPayloadBytes: 1000 } }) }),
      reasons: ['PAYLOAD_TOO_LARGE'],
    },
    {
      name: 'payload exactly at the policy limit',
      declaration: () => declaration({ payload: { ...declaration().payload, bytes: 1000 } }),
      context: () =>
        context({ policy: withPolicy({ limits: { ...net.genesis.policy.limits, maxPayloadBytes: 1000 } }) }),
      reasons: [],
    },
    {
      name: 'one item over the policy limit',
      declaration: () => declaration({ categories: ['imaging-study', 'lab-result', 'radiology-report'] }),
      context: () =>
        context({ policy: withPolicy({ limits: { ...net.genesis.policy.limits, maxItemsPerTransfer: 2 } }) }),
      reasons: ['TOO_MANY_ITEMS'],
    },
    {
      name: 'items exactly at the policy limit',
      declaration: () => declaration({ categories: ['imaging-study', 'lab-result'] }),
      context: () =>
        context({ policy: withPolicy({ limits: { ...net.genesis.policy.limits, maxItemsPerTransfer: 2 } }) }),
      reasons: [],
    },
    {
      name: 'duplicate body (reported alone)',
      declaration: () => declaration({ route: { id: 'fast-lane' } }),
      context: () => context({ duplicate: true, consent: undefined }),
      reasons: ['DUPLICATE'],
    },
  ];
  for (const row of table) {
    it(`${row.name} -> ${row.reasons.join(', ') || 'approved'}`, () => {
      const verdict = evaluateDeclaration(row.declaration(), row.context());
      assert.deepEqual(verdict.reasons, row.reasons);
      assert.equal(verdict.status, row.reasons.length === 0 ? 'approved' : 'rejected');
      assert.deepEqual(verdict.assessors, []);
    });
  }

  it('a negative-list assessment category awaits the named regulators, sorted', () => {
    const verdict = evaluateDeclaration(
      declaration({ categories: ['genetic-test-result', 'imaging-study'] }),
      context(),
    );
    assert.deepEqual(verdict, {
      status: 'awaiting-assessment',
      reasons: ['ASSESSMENT_REQUIRED'],
      assessors: ['sz-cac', 'sz-health'],
    });
    const policy = withPolicy({
      negativeList: [
        { category: 'genetic-test-result', rule: 'assessment', assessors: ['sz-health', 'hk-health'] },
        { category: 'lab-result', rule: 'assessment', assessors: ['sz-cac', 'sz-health'] },
      ],
    });
    const union = evaluateDeclaration(
      declaration({ categories: ['genetic-test-result', 'lab-result'] }),
      context({ policy }),
    );
    assert.deepEqual(
      union.assessors,
      ['hk-health', 'sz-cac', 'sz-health'],
      'union of assessors, code-unit order',
    );
  });

  it('a rejection outranks a pending assessment and lists every failed rule in REASON_CODES order', () => {
    const verdict = evaluateDeclaration(
      declaration({
        route: { id: 'gba-standard-contract' },
        categories: ['genetic-test-result', 'population-health-data'],
      }),
      context({ revoked: true, blockTimeSeconds: baseGrant.validUntil }),
    );
    assert.equal(verdict.status, 'rejected');
    assert.deepEqual(verdict.assessors, []);
    assert.deepEqual(verdict.reasons, [
      'FILING_REFERENCE_MISSING',
      'CONSENT_REVOKED',
      'CONSENT_EXPIRED',
      'CATEGORY_NOT_CONSENTED',
      'NEGATIVE_LIST_PROHIBITED',
    ]);
    const order = verdict.reasons.map((code) => REASON_CODES.indexOf(code));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
  });
});

describe('policy: boundaries', () => {
  // validFrom <= t < validUntil: inclusive start, exclusive end.
  const windowCases: [string, number, string[]][] = [
    ['one second before validFrom', baseGrant.validFrom - 1, ['CONSENT_NOT_YET_VALID']],
    ['exactly validFrom (inclusive)', baseGrant.validFrom, []],
    ['one second before validUntil', baseGrant.validUntil - 1, []],
    ['exactly validUntil (exclusive)', baseGrant.validUntil, ['CONSENT_EXPIRED']],
  ];
  for (const [name, time, reasons] of windowCases) {
    it(`validity window: ${name}`, () => {
      assert.deepEqual(
        evaluateDeclaration(declaration(), context({ blockTimeSeconds: time })).reasons,
        reasons,
      );
    });
  }

  // Threshold max = 3: the transfers that make the count max-1 and max pass, max+1 is rejected.
  const policy = withPolicy({}, { maxDistinctPatientsPerSenderPerYear: 3 });
  const thresholdCases: [string, number, boolean, string, string[]][] = [
    ['makes the count max-1', 1, false, 'gba-standard-contract', []],
    ['makes the count max', 2, false, 'gba-standard-contract', []],
    ['would make the count max+1', 3, false, 'gba-standard-contract', ['VOLUME_THRESHOLD']],
    ['patient already counted this year, count at max', 3, true, 'gba-standard-contract', []],
    ['route not thresholded, count at max', 3, false, 'security-assessment', []],
    ['certification is thresholded too', 3, false, 'certification', ['VOLUME_THRESHOLD']],
  ];
  for (const [name, counted, patientCounted, route, reasons] of thresholdCases) {
    it(`threshold: ${name}`, () => {
      const routeBody =
        route === 'gba-standard-contract' ? { id: route, filingReference: 'GBA-SC-1' } : { id: route };
      const verdict = evaluateDeclaration(
        declaration({ route: routeBody }),
        context({ policy, senderDistinctPatientsThisYear: counted, patientCountedThisYear: patientCounted }),
      );
      assert.deepEqual(verdict.reasons, reasons);
    });
  }

  it('threshold is not judged without a consent (no patient to count)', () => {
    const verdict = evaluateDeclaration(
      declaration(),
      context({ policy, consent: undefined, senderDistinctPatientsThisYear: 3 }),
    );
    assert.deepEqual(verdict.reasons, ['CONSENT_NOT_FOUND']);
  });

  it('items of 64 with the default policy pass (LIMITS.maxItemsPerTransfer)', () => {
    const items = Array.from({ length: 64 }, () => testItem());
    assert.deepEqual(evaluateDeclaration(declaration({ items }), context()).reasons, []);
  });
});

describe('policy: evaluateConsentGrant', () => {
  function grantContext(changes: Partial<GrantContext> = {}): GrantContext {
    return {
      policy: net.genesis.policy,
      organisations: net.genesis.organisations,
      blockTimeSeconds: T0 + 60,
      duplicate: false,
      ...changes,
    };
  }
  const maxValidity = net.genesis.policy.limits.maxConsentValiditySeconds;
  const table: [string, ConsentGrantBody, Partial<GrantContext>, string[]][] = [
    ['a clean grant', grantWith(), {}, []],
    [
      'an allowed sender that is not a hospital',
      grantWith({ allowedSenders: ['hku-szh', 'qianhai'] }),
      {},
      ['SENDER_NOT_REGISTERED'],
    ],
    [
      'a recipient that is not a recipient',
      grantWith({ recipient: 'hk-health' }),
      {},
      ['RECIPIENT_NOT_REGISTERED'],
    ],
    ['a purpose the policy does not allow', grantWith({ purpose: 'marketing' }), {}, ['PURPOSE_NOT_ALLOWED']],
    [
      'an uncatalogued category',
      grantWith({ categories: ['lab-result', 'tax-record'] }),
      {},
      ['CATEGORY_UNKNOWN'],
    ],
    ['validity exactly the policy maximum', grantWith({ validUntil: T0 + maxValidity }), {}, []],
    [
      'validity one second over the maximum',
      grantWith({ validUntil: T0 + maxValidity + 1 }),
      {},
      ['CONSENT_VALIDITY_TOO_LONG'],
    ],
    ['already over at block time', grantWith({ validUntil: T0 + 60 }), {}, ['CONSENT_EXPIRED']],
    ['ending one second after block time', grantWith({ validUntil: T0 + 61 }), {}, []],
    [
      'starting in the future (recorded, used later)',
      grantWith({ validFrom: T0 + DAY_SECONDS, validUntil: T0 + 2 * DAY_SECONDS }),
      {},
      [],
    ],
    ['a duplicate body', grantWith({ purpose: 'marketing' }), { duplicate: true }, ['DUPLICATE']],
  ];
  for (const [name, grant, changes, reasons] of table) {
    it(`${name} -> ${reasons.join(', ') || 'approved'}`, () => {
      const verdict = evaluateConsentGrant(grant, grantContext(changes));
      assert.deepEqual(verdict.reasons, reasons);
      assert.equal(verdict.status, reasons.length === 0 ? 'approved' : 'rejected');
    });
  }
});
