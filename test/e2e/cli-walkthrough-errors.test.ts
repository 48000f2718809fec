// What a fresh clone's user runs into before a network is up, or with the wrong file in hand: every
// mistake must give one line on stderr naming what is wrong and where (the file, the flag, the
// URL), exit 1 for a failure or a refusal and 2 for a usage error, and never a stack trace. The
// node is stood in for by a small HTTP server in this process that answers as a real node would
// (its routes and error bodies), so each case runs in seconds.
import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeApiTokenFile } from '../../src/node/api/token-file.js';
import { generateKeyFile, writeKeyFile } from '../../src/node/keys/key-file.js';
import { genesisRecordOf } from '../../src/node/store/ledger-store.js';
import { fileableTestGenesis } from '../helpers/chain.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { sampleNodeConfigJson } from '../helpers/node-config.js';
import { standInNode } from '../helpers/stand-in-node.js';
import { useTempDir } from '../helpers/temp-dir.js';

/** One line on stderr starting with "bayledger: error:", containing every part, no stack. */
function assertOneLineError(result: CliResult, exitCode: number, ...parts: string[]): string {
  assert.equal(result.code, exitCode, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
  const line = lines[0]!;
  assert.match(line, /^bayledger: error: /);
  for (const part of parts) assert.ok(line.includes(part), `"${line}" lacks "${part}"`);
  assert.doesNotMatch(line, /\bat async\b|\(node:internal|ENOENT/, 'no stack trace or raw errno text');
  return line;
}

const UNAUTHORIZED = {
  status: 401,
  json: { error: { code: 'UNAUTHORIZED', message: 'the bearer token is not valid for this node' } },
};
const SEALED = {
  status: 201,
  json: { sealedUpload: 'ab'.repeat(16), recipient: 'ehealth-hk', items: [{ sizeBytes: 5, digest: '00' }] },
};
const TRANSFER_ID = 'cd'.repeat(32);
const TX_ID = 'ef'.repeat(32);
const CONSENT_ID = '12'.repeat(32);

describe('cli: errors a fresh clone runs into', function () {
  this.timeout(120_000);
  const temp = useTempDir('bayledger-walkthrough-');
  let tokenFile: string;
  let patientKey: string;
  let item: string;
  const cli = (...args: string[]) => runCli(args);
  /** A network folder without nodes.json, as .bayledger/local is in a fresh clone before `up`. */
  const noNetwork = () => path.join(temp.path, 'clone', '.bayledger', 'local');

  before(async () => {
    await mkdir(noNetwork(), { recursive: true });
    tokenFile = path.join(temp.path, 'other-node.token');
    await writeApiTokenFile(tokenFile);
    patientKey = path.join(temp.path, 'patient.key');
    await writeKeyFile(patientKey, generateKeyFile('patient'));
    item = path.join(temp.path, 'ct.dcm');
    await writeFile(item, 'DICOM');
  });

  const grantArgs = () => [
    '--patient-key',
    patientKey,
    '--recipient',
    'ehealth-hk',
    '--categories',
    'imaging-study',
    '--purpose',
    'continuity-of-care',
    '--valid-until',
    '2099-12-31',
  ];
  const declareArgs = () => [
    '--consent',
    CONSENT_ID,
    '--recipient',
    'ehealth-hk',
    '--item',
    `imaging-study=${item}`,
  ];

  it('chain verify --file: a missing export or a directory is one line naming the path (exit 1)', async () => {
    // A valid genesis: it is read first, and the export must be what fails.
    const genesis = path.join(temp.path, 'genesis.json');
    await writeFile(genesis, genesisRecordOf(fileableTestGenesis().genesis).json);
    const [missing, directory] = await Promise.all([
      cli('chain', 'verify', '--file', path.join(temp.path, 'missing.cbor'), '--genesis', genesis),
      cli('chain', 'verify', '--file', temp.path, '--genesis', genesis),
    ]);
    assertOneLineError(
      missing,
      1,
      `${path.join(temp.path, 'missing.cbor')}: chain export file not found (--file)`,
    );
    assertOneLineError(directory, 1, `${temp.path}: is a directory, expected a chain export file (--file)`);
  });

  it('a missing --token-file is one line naming the file and the flag (exit 1)', async () => {
    const result = await cli(
      'consent',
      'grant',
      '--api',
      'http://127.0.0.1:9',
      '--token-file',
      path.join(temp.path, 'missing.token'),
      ...grantArgs(),
    );
    assertOneLineError(
      result,
      1,
      `${path.join(temp.path, 'missing.token')}: token file not found (--token-file)`,
    );
  });

  it("another node's token names the node's URL and the token file, not the item (exit 1)", async () => {
    const node = await standInNode({
      'POST /uploads/sealed': () => UNAUTHORIZED,
      'GET /status': () => ({ status: 200, json: { org: 'hku-szh', chainId: 'gba-test' } }),
      'POST /consents': () => UNAUTHORIZED,
    });
    try {
      const [declare, grant] = await Promise.all([
        cli('transfer', 'declare', '--api', node.url, '--token-file', tokenFile, ...declareArgs()),
        cli('consent', 'grant', '--api', node.url, '--token-file', tokenFile, ...grantArgs()),
      ]);
      for (const result of [declare, grant]) {
        const line = assertOneLineError(
          result,
          1,
          `${node.url}: the bearer token is not valid for this node`,
          `${tokenFile} (--token-file)`,
        );
        assert.ok(!line.includes('ct.dcm'), `blames the item: ${line}`);
      }
    } finally {
      await node.close();
    }
  });

  it('without nodes.json: says it does not exist and how to get one, or which flags to give (exit 2)', async () => {
    const [grant, show, audit] = await Promise.all([
      cli('consent', 'grant', ...grantArgs(), '--dir', noNetwork()),
      cli('consent', 'show', CONSENT_ID, '--dir', noNetwork()),
      cli('audit', 'transfer', TRANSFER_ID, '--dir', noNetwork()),
    ]);
    const nodesJson = path.join(noNetwork(), 'nodes.json');
    assertOneLineError(
      grant,
      2,
      `${nodesJson} does not exist`,
      'bayledger up',
      '--api URL with --token-file FILE',
    );
    for (const read of [show, audit]) {
      const line = assertOneLineError(read, 2, `${nodesJson} does not exist`, '--api URL');
      assert.ok(!line.includes('--token-file'), `a read needs no token: ${line}`);
    }
  });

  it('transfer declare exits 1 when the declaration is rejected, 0 when it awaits assessment', async () => {
    const answers: Record<string, { status: string; reasons: string[] }> = {
      rejected: { status: 'rejected', reasons: ['CATEGORY_UNKNOWN'] },
      awaiting: { status: 'awaiting-assessment', reasons: ['ASSESSMENT_REQUIRED'] },
    };
    let next = 'rejected';
    const node = await standInNode({
      'POST /uploads/sealed': () => SEALED,
      'POST /transfers': () => ({
        status: 200,
        json: { transferId: TRANSFER_ID, txId: TX_ID, height: 4, ...answers[next]! },
      }),
    });
    try {
      const declare = () =>
        cli('transfer', 'declare', '--api', node.url, '--token-file', tokenFile, ...declareArgs(), '--json');
      const rejected = await declare();
      assertOneLineError(rejected, 1, 'the declaration was rejected at height 4: CATEGORY_UNKNOWN');
      assert.deepEqual(JSON.parse(rejected.stdout), {
        transferId: TRANSFER_ID,
        txId: TX_ID,
        height: 4,
        ...answers.rejected,
      });
      next = 'awaiting';
      const awaiting = await declare();
      assert.equal(awaiting.code, 0, awaiting.stderr);
      assert.equal(JSON.parse(awaiting.stdout).status, 'awaiting-assessment');
    } finally {
      await node.close();
    }
  });

  it('transfer declare: a refusal the CLI learns after the commit wait is rejected with its reasons (exit 1)', async () => {
    // The node answered 'pending' (sealing took longer than its wait); the ledger then refused the
    // declaration, so no transfer exists: GET /transfers/ID would be NOT_FOUND.
    const node = await standInNode({
      'POST /uploads/sealed': () => SEALED,
      'POST /transfers': () => ({
        status: 202,
        json: { transferId: TRANSFER_ID, txId: TX_ID, status: 'pending' },
      }),
      [`GET /tx/${TX_ID}`]: () => ({
        status: 200,
        json: { txId: TX_ID, status: 'committed', height: 9, accepted: false, reasons: ['CONSENT_UNKNOWN'] },
      }),
    });
    try {
      const result = await cli(
        'transfer',
        'declare',
        '--api',
        node.url,
        '--token-file',
        tokenFile,
        ...declareArgs(),
        '--json',
      );
      assertOneLineError(result, 1, 'the declaration was rejected at height 9: CONSENT_UNKNOWN');
      assert.deepEqual(JSON.parse(result.stdout), {
        transferId: TRANSFER_ID,
        txId: TX_ID,
        height: 9,
        status: 'rejected',
        reasons: ['CONSENT_UNKNOWN'],
      });
    } finally {
      await node.close();
    }
  });

  it('network check on a node config says it is not a genesis file or template (exit 1)', async () => {
    const nodeConfig = path.join(temp.path, 'node.json');
    await writeFile(nodeConfig, JSON.stringify(sampleNodeConfigJson({ org: 'hku-szh', role: 'submitter' })));
    const line = assertOneLineError(
      await cli('network', 'check', nodeConfig),
      1,
      `${nodeConfig}: a node config (node.json), not a genesis file or network template`,
      '../genesis.json',
    );
    assert.ok(!line.includes('unknown field'), line);
  });

  it('evidence list without --api or --data-dir is a usage error naming both flags (exit 2)', async () => {
    assertOneLineError(await cli('evidence', 'list'), 2, '--data-dir DIR', '--api URL');
  });
});
