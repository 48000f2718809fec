// The bayledger CLI as a user runs it (child processes through test/helpers/cli.ts): help,
// version, one-line errors with exit codes 1 and 2, keys generate, and network init + check
// producing a complete local network whose secrets are mode 0600.
import { strict as assert } from 'node:assert';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseGenesis, parseJsonText, validatorsOf } from '../../src/core/config/index.js';
import { readApiTokenFile } from '../../src/node/api/index.js';
import { checkNodeIdentity, loadNodeConfig } from '../../src/node/config/index.js';
import { readKeyFile } from '../../src/node/keys/index.js';
import { type CliResult, REPO_ROOT, runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/temp-dir.js';

function assertOneLineError(result: CliResult, exitCode: number, messagePart: string): void {
  assert.equal(result.code, exitCode, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^bayledger: error: /);
  assert.ok(lines[0]!.includes(messagePart), `"${lines[0]}" lacks "${messagePart}"`);
  assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace');
}

describe('cli: bayledger', function () {
  this.timeout(120_000);
  const temp = useTempDir('bayledger-cli-');

  it('--help lists the commands and --version prints the package version', async () => {
    const [help, version] = await Promise.all([runCli(['--help']), runCli(['--version'])]);
    assert.equal(help.code, 0);
    for (const command of ['keys', 'network'])
      assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'));
    const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), manifest.version);
  });

  it('gives one line and exit 2 for a wrong flag, a bad value or a missing option', async () => {
    const nodeKey = path.join(temp.path, 'never-node.key');
    const patientKey = path.join(temp.path, 'never-patient.key');
    const badOrgKey = path.join(temp.path, 'never-bad-org.key');
    const [unknownFlag, badValue, missing, nodeWithoutOrg, patientWithOrg, badOrg] = await Promise.all([
      runCli(['network', 'check', 'x.json', '--frobnicate']),
      runCli(['network', 'init', '--out', path.join(temp.path, 'never'), '--base-port', 'seven']),
      runCli(['keys', 'generate', '--kind', 'node']),
      runCli(['keys', 'generate', '--out', nodeKey, '--kind', 'node']),
      runCli(['keys', 'generate', '--out', patientKey, '--kind', 'patient', '--org', 'sz-cac']),
      runCli(['keys', 'generate', '--out', badOrgKey, '--org', 'BAD ORG!']),
    ]);
    assertOneLineError(unknownFlag, 2, "unknown option '--frobnicate'");
    assertOneLineError(badValue, 2, 'expected an integer from 0 to 65535');
    assertOneLineError(missing, 2, "required option '--out <file>'");
    assertOneLineError(nodeWithoutOrg, 2, 'keys generate --kind node needs --org ID');
    assertOneLineError(patientWithOrg, 2, 'a patient key belongs to no organisation: drop --org');
    // An --org that is not an organisation id is a bad value, as a bad --chain-id is.
    assertOneLineError(badOrg, 2, '--org: expected text of at most 64 characters (identifier: ');
    for (const file of [nodeKey, patientKey, badOrgKey]) await assert.rejects(stat(file), { code: 'ENOENT' });
  });

  it('gives one line and exit 1 for a missing file', async () => {
    const missing = path.join(temp.path, 'no-such-genesis.json');
    assertOneLineError(
      await runCli(['network', 'check', missing]),
      1,
      `${missing}: genesis or network template file not found`,
    );
  });

  it('keys generate writes a 0600 key file and prints only its public keys', async () => {
    const file = path.join(temp.path, 'patient.key');
    const result = await runCli(['keys', 'generate', '--out', file, '--kind', 'patient', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const printed = JSON.parse(result.stdout);
    assert.deepStrictEqual(Object.keys(printed).sort(), ['file', 'kind', 'publicKey']);
    assert.match(printed.publicKey, /^[0-9a-f]{64}$/);
    const seed = JSON.parse(await readFile(file, 'utf8')).ed25519Seed as string;
    assert.ok(!result.stdout.includes(seed) && !result.stderr.includes(seed));
    const again = await runCli(['keys', 'generate', '--out', file, '--kind', 'patient']);
    assertOneLineError(again, 1, 'refusing to overwrite');
  });

  it('network init --base-port 0 writes a complete local network that network check accepts', async () => {
    const networkDirectory = path.join(temp.path, 'net');
    const init = await runCli([
      'network',
      'init',
      '--out',
      networkDirectory,
      '--base-port',
      '0',
      '--chain-id',
      'gba-test',
      '--json',
    ]);
    assert.equal(init.code, 0, init.stderr);
    const summary = JSON.parse(init.stdout);
    assert.equal(summary.chainId, 'gba-test');
    assert.match(summary.genesisHash, /^[0-9a-f]{64}$/);

    const genesisPath = path.join(networkDirectory, 'genesis.json');
    const genesis = parseGenesis(
      parseJsonText(await readFile(genesisPath, 'utf8'), genesisPath),
      genesisPath,
    );
    assert.equal(genesis.chainId, 'gba-test');
    assert.equal(validatorsOf(genesis).length, 4);
    const entries = (await readdir(networkDirectory)).sort();
    assert.deepStrictEqual(entries, [...genesis.organisations.map((o) => o.id), 'genesis.json'].sort());

    const ports = new Set<number>();
    for (const organisation of genesis.organisations) {
      const config = await loadNodeConfig(path.join(networkDirectory, organisation.id, 'node.json'));
      assert.equal(config.genesis, genesisPath);
      assert.equal(config.p2pListen, organisation.p2pAddress);
      assert.equal(config.apiHost, '127.0.0.1');
      for (const secret of [config.keyFile, config.apiTokenFile]) {
        assert.equal((await stat(secret)).mode & 0o777, 0o600, secret);
      }
      checkNodeIdentity(config, genesis, await readKeyFile(config.keyFile));
      assert.match(await readApiTokenFile(config.apiTokenFile), /^[0-9a-f]{64}$/);
      assert.ok((await stat(config.dataDir)).isDirectory());
      ports.add(config.apiPort);
      ports.add(Number(config.p2pListen.split('/').pop()));
    }
    assert.equal(ports.size, 2 * genesis.organisations.length, 'every port distinct');

    const check = await runCli(['network', 'check', genesisPath]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^OK: .*valid genesis \(chain gba-test, 7 organisations, 4 validators/);
    assert.ok(check.stdout.includes(summary.genesisHash));
  });

  it('network check names the broken field of a genesis file', async () => {
    const genesisPath = path.join(temp.path, 'net', 'genesis.json');
    const json = JSON.parse(await readFile(genesisPath, 'utf8'));
    json.organisations[3].nodeKey = json.organisations[3].nodeKey.slice(2);
    const brokenPath = path.join(temp.path, 'broken-genesis.json');
    await writeFile(brokenPath, JSON.stringify(json));
    assertOneLineError(
      await runCli(['network', 'check', brokenPath]),
      1,
      `${brokenPath}: organisations[3].nodeKey: expected 32 bytes hex`,
    );
  });
});
