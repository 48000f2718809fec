// The second sample channel (network-config/gba-research.json): the same ledger, another domain,
// catalogue, negative list and set of organisations. Nothing in the ledger or the policy may
// assume the health channel: a whole transfer runs through applyTx under this genesis and its own
// negative list decides; the health channel's vocabulary means nothing here; and its blocks,
// certified by its own regulators, pass chain verify from its genesis alone.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type Genesis,
  genesisFromTemplate,
  genesisToJson,
  networkWarnings,
  parseGenesis,
  parseJsonText,
  parseTemplate,
} from '../../src/core/config/index.js';
import { chainParamsOf } from '../../src/core/ledger/chain-params.js';
import { getTransfer } from '../../src/core/ledger/views.js';
import { verifyChain } from '../../src/node/chain/verify-chain.js';
import { buildChain, networkOfGenesis } from '../helpers/chain.js';
import { REPO_ROOT } from '../helpers/cli.js';
import {
  assessTransfer,
  declareTransfer,
  type GrantOptions,
  grantConsent,
  receiptFor,
  TEST_GENESIS_TIME_MS,
  TestLedger,
  type TestNetwork,
  testEncryptionKey,
  testGenesis,
  testKey,
} from '../helpers/fixtures.js';

const TEMPLATE_FILE = 'network-config/gba-research.json';

function researchTemplate() {
  const text = readFileSync(path.join(REPO_ROOT, TEMPLATE_FILE), 'utf8');
  return parseTemplate(parseJsonText(text, TEMPLATE_FILE), TEMPLATE_FILE);
}

/** The research channel's genesis with the test keys of its organisations. */
function researchGenesis(): Genesis {
  const template = researchTemplate();
  const endpoints = new Map(
    template.organisations.map((organisation, index) => [
      organisation.id,
      {
        nodeKey: testKey(organisation.id).publicKey,
        encryptionKey: testEncryptionKey(organisation.id).publicKey,
        p2pAddress: `/ip4/127.0.0.1/tcp/${7100 + 2 * index}`,
      },
    ]),
  );
  return genesisFromTemplate(template, { genesisTimeMs: TEST_GENESIS_TIME_MS, endpoints });
}

/**
 * A participant's consent for sustech -> hku, for academic research, with both separate consents
 * unless `overrides` say otherwise.
 */
function researchGrant(net: TestNetwork, categories: readonly string[], overrides: GrantOptions = {}) {
  return grantConsent(net, {
    sender: 'sustech',
    allowedSenders: ['sustech'],
    recipient: 'hku',
    purpose: 'academic-research',
    categories: [...categories],
    ...overrides,
  });
}

function researchDeclaration(net: TestNetwork, consentId: Uint8Array, categories: readonly string[]) {
  return declareTransfer(net, {
    consentId,
    categories,
    sender: 'sustech',
    recipient: 'hku',
    route: { id: 'certification' },
  });
}

describe('channel: the gba-research sample network', () => {
  it('is a valid template of another domain, with regulators on both sides as validators', () => {
    const template = researchTemplate();
    assert.equal(template.domain, 'research');
    assert.equal(template.chainId, 'gba-research');
    assert.deepEqual(networkWarnings(template.organisations), []);
    const genesis = researchGenesis();
    // Through its JSON form and back, as network init writes it and a node reads it.
    const reread = parseGenesis(JSON.parse(JSON.stringify(genesisToJson(genesis))), 'genesis.json');
    assert.deepEqual(
      reread.organisations
        .filter((organisation) => organisation.role === 'validator')
        .map((organisation) => [organisation.id, organisation.jurisdiction]),
      [
        ['sz-stic', 'CN-GD'],
        ['sz-cac', 'CN-GD'],
        ['hk-itib', 'HK'],
        ['hk-pcpd', 'HK'],
      ],
    );
  });

  it('runs a transfer to its receipt, its own negative list holding genetic data for its two assessors', () => {
    const net = networkOfGenesis(researchGenesis());
    const ledger = new TestLedger(net);
    const grant = researchGrant(net, ['de-identified-clinical-dataset', 'human-genetic-resources-data']);
    const dataset = researchDeclaration(net, grant.objectId, ['de-identified-clinical-dataset']);
    const genetic = researchDeclaration(net, grant.objectId, ['human-genetic-resources-data']);
    const outcomes = ledger.block(grant, dataset, genetic);
    assert.deepEqual(
      outcomes.map((outcome) => [outcome.accepted, outcome.reasons]),
      [
        [true, []],
        [true, []],
        [true, ['ASSESSMENT_REQUIRED']],
      ],
    );
    assert.equal(getTransfer(ledger.state, dataset.objectId)?.status, 'approved');
    const awaiting = getTransfer(ledger.state, genetic.objectId);
    assert.deepEqual(
      [awaiting?.status, awaiting?.requiredAssessors],
      ['awaiting-assessment', ['sz-cac', 'sz-stic']],
    );

    // A Hong Kong regulator is not among this entry's assessors; both Shenzhen ones approve.
    const [byOutsider] = ledger.block(
      assessTransfer(net, { transferId: genetic.objectId, assessor: 'hk-pcpd' }),
    );
    assert.deepEqual([byOutsider?.accepted, byOutsider?.reasons], [false, ['ASSESSOR_NOT_REQUIRED']]);
    ledger.block(
      assessTransfer(net, { transferId: genetic.objectId, assessor: 'sz-stic' }),
      assessTransfer(net, { transferId: genetic.objectId, assessor: 'sz-cac' }),
    );
    assert.equal(getTransfer(ledger.state, genetic.objectId)?.status, 'approved');
    const [receipt] = ledger.block(receiptFor(net, { transferId: genetic.objectId, recipient: 'hku' }));
    assert.deepEqual([receipt?.accepted, receipt?.reasons], [true, []]);
    assert.equal(getTransfer(ledger.state, genetic.objectId)?.status, 'delivered');
  });

  it('refuses what its negative list prohibits, and the health channel vocabulary', () => {
    const net = networkOfGenesis(researchGenesis());
    const ledger = new TestLedger(net);
    const grant = researchGrant(net, ['population-scale-health-data', 'survey-response']);
    const prohibited = researchDeclaration(net, grant.objectId, ['population-scale-health-data']);
    const healthCategory = researchGrant(net, ['imaging-study']);
    const healthPurpose = researchGrant(net, ['survey-response'], { purpose: 'continuity-of-care' });
    const healthRecipient = researchGrant(net, ['survey-response'], { recipient: 'ehealth-hk' });
    const outcomes = ledger.block(grant, prohibited, healthCategory, healthPurpose, healthRecipient);
    assert.deepEqual(
      outcomes.map((outcome) => [outcome.accepted, outcome.reasons]),
      [
        [true, []],
        [false, ['NEGATIVE_LIST_PROHIBITED']],
        [false, ['CATEGORY_UNKNOWN']],
        [false, ['PURPOSE_NOT_ALLOWED']],
        [false, ['RECIPIENT_NOT_REGISTERED']],
      ],
    );
  });

  it('asks the separate consent for sensitive data only of the categories it marks sensitive', () => {
    // Every category of the health sample is sensitive; this catalogue has some that are not.
    const net = networkOfGenesis(researchGenesis());
    const ledger = new TestLedger(net);
    const grant = researchGrant(net, ['survey-response', 'interview-transcript', 'wearable-sensor-data'], {
      separateConsent: { crossBorder: true, sensitive: false },
    });
    const outcomes = ledger.block(
      grant,
      researchDeclaration(net, grant.objectId, ['survey-response', 'interview-transcript']),
      researchDeclaration(net, grant.objectId, ['wearable-sensor-data']),
    );
    assert.deepEqual(
      outcomes.map((outcome) => [outcome.accepted, outcome.reasons]),
      [
        [true, []],
        [true, []],
        [false, ['SEPARATE_CONSENT_MISSING']],
      ],
    );
  });

  it('certifies blocks by its own regulators, which chain verify checks from its genesis alone', async () => {
    const net = networkOfGenesis(researchGenesis());
    const grant = researchGrant(net, ['survey-response']);
    const declaration = researchDeclaration(net, grant.objectId, ['survey-response']);
    const chain = buildChain({
      genesis: net.genesis,
      signers: net.signers,
      blocks: [[grant], [declaration]],
    });
    const source = {
      height: chain.blocks.length,
      async *blocks() {
        yield* chain.blocks;
      },
    };
    const report = await verifyChain({ params: chain.params, source });
    assert.deepEqual([report.ok, report.height], [true, 2]);
    // The health channel's genesis is not this chain's root of trust: its regulators certified none
    // of these blocks, and its genesis hash is not the one block 1 links to.
    const health = await verifyChain({ params: chainParamsOf(testGenesis().genesis), source });
    assert.equal(health.ok, false);
    assert.equal(health.height, 1);
  });
});
