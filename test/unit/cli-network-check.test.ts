// `bayledger network check` run in the test process (cli/commands/network-check.ts): a node's own
// config is named as such, anything else that is not a genesis or a template gets the schema's
// message, and --json prints the summary. The schema's own messages are config tests'.
import { strict as assert } from 'node:assert';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { networkCheck } from '../../cli/commands/network-check.js';
import { networkInit } from '../../cli/commands/network-init.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { outputOf } from '../helpers/capture-output.js';
import { useTempDir } from '../helpers/temp-dir.js';

const OBJECT_EXPECTED =
  'expected object with fields $schema, description, chainId, domain, organisations, consensus, policy';

describe('CLI: network check in-process', () => {
  const temp = useTempDir('bayledger-network-check-');
  let network: string;

  before(async () => {
    network = path.join(temp.path, 'net');
    await networkInit({ out: network, basePort: 0, quiet: true });
  });

  /** Checks `text` as a file's content; resolves with the refusal's message after the file's name. */
  async function refusal(name: string, text: string): Promise<string> {
    const file = path.join(temp.path, name);
    await writeFile(file, text);
    const { error } = await outputOf(() => networkCheck(file, {}));
    assert.ok(isBayledgerError(error, 'CONFIG_INVALID'), String(error));
    // Every refusal names the file first.
    assert.ok(error.message.startsWith(`${file}: `), error.message);
    return error.message.slice(file.length + 2);
  }

  it("names a node's config as such, with the genesis it names", async () => {
    const nodeConfig = await readFile(path.join(network, 'sz-cac', 'node.json'), 'utf8');
    assert.equal(
      await refusal('node.json', nodeConfig),
      'a node config (node.json), not a genesis file or network template; check the genesis it names (../genesis.json)',
    );
  });

  it('gives anything else the schema message: JSON that is no object, an object with no organisations', async () => {
    assert.equal(await refusal('null.json', 'null'), `${OBJECT_EXPECTED}, got null`);
    assert.equal(await refusal('text.json', '"text"'), `${OBJECT_EXPECTED}, got text of 4 characters`);
    assert.equal(await refusal('list.json', '[1]'), `${OBJECT_EXPECTED}, got array`);
    assert.equal(await refusal('empty.json', '{}'), 'chainId: missing field');
    // A genesis with a stray field a node config also has is a genesis with an unknown field.
    const genesis = JSON.parse(await readFile(path.join(network, 'genesis.json'), 'utf8'));
    assert.equal(
      await refusal('stray.json', JSON.stringify({ ...genesis, keyFile: 'node.key' })),
      'keyFile: unknown field',
    );
  });

  it('prints the summary as JSON with --json', async () => {
    const file = path.join(network, 'genesis.json');
    const { stdout: text, error } = await outputOf(() => networkCheck(file, { json: true }));
    assert.equal(error, undefined);
    const summary = JSON.parse(text);
    assert.deepEqual(
      [summary.ok, summary.file, summary.kind, summary.organisations, summary.validators],
      [true, file, 'genesis', 7, 4],
    );
    assert.match(summary.genesisHash, /^[0-9a-f]{64}$/);
  });
});
