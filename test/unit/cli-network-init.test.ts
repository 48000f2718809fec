// `bayledger network init` run in the test process (cli/commands/network-init.ts): the ports it
// gives each organisation from --base-port and their upper bound, the folder it refuses to write
// into, and --quiet. The files' contents are cli.test.ts's and config tests'.
import { strict as assert } from 'node:assert';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { networkInit } from '../../cli/commands/network-init.js';
import { freePorts } from '../../cli/free-ports.js';
import { isBayledgerError } from '../../src/core/errors.js';
import { outputOf } from '../helpers/capture-output.js';
import { useTempDir } from '../helpers/temp-dir.js';

/** Each organisation's ports, in the template's order, from the node.json files written. */
async function portsOf(directory: string): Promise<{ p2p: number; api: number }[]> {
  const genesis = JSON.parse(await readFile(path.join(directory, 'genesis.json'), 'utf8'));
  const ports = [];
  for (const organisation of genesis.organisations as { id: string }[]) {
    const config = JSON.parse(await readFile(path.join(directory, organisation.id, 'node.json'), 'utf8'));
    ports.push({ p2p: Number(config.p2pListen.split('/').at(-1)), api: config.apiPort });
  }
  return ports;
}

describe('CLI: network init in-process', () => {
  const temp = useTempDir('bayledger-network-init-', 'each');

  it('gives organisation i the ports base + 2i (peer to peer) and base + 2i + 1 (API)', async () => {
    const out = path.join(temp.path, 'net');
    await networkInit({ out, basePort: 30_000, quiet: true });
    const ports = await portsOf(out);
    assert.ok(ports.length >= 4, `${ports.length} organisations`);
    assert.deepEqual(
      ports,
      ports.map((_, i) => ({ p2p: 30_000 + 2 * i, api: 30_001 + 2 * i })),
    );
  });

  it('takes a base port whose last API port is 65535, and refuses one past it', async () => {
    const probe = path.join(temp.path, 'probe');
    await networkInit({ out: probe, basePort: 0, quiet: true });
    const count = (await portsOf(probe)).length;
    const highest = 65_536 - 2 * count;
    const out = path.join(temp.path, 'high');
    await networkInit({ out, basePort: highest, quiet: true });
    assert.equal((await portsOf(out)).at(-1)!.api, 65_535);
    await assert.rejects(
      networkInit({ out: path.join(temp.path, 'too-high'), basePort: highest + 1, quiet: true }),
      (error: unknown) =>
        isBayledgerError(error, 'USAGE') &&
        error.message === `--base-port ${highest + 1} leaves no room for ${2 * count} ports below 65536`,
    );
  });

  it('writes into an empty folder, and refuses one that holds anything or is a file', async () => {
    const empty = path.join(temp.path, 'empty');
    await mkdir(empty);
    await networkInit({ out: empty, basePort: 0, quiet: true });
    assert.ok((await readdir(empty)).includes('genesis.json'));
    const used = path.join(temp.path, 'used');
    await mkdir(used);
    await writeFile(path.join(used, 'notes.txt'), 'mine');
    await assert.rejects(
      networkInit({ out: used, basePort: 0, quiet: true }),
      (error: unknown) =>
        isBayledgerError(error, 'FILE_EXISTS') &&
        error.message === `${used}: is not empty; choose a new folder for the network`,
    );
    assert.deepEqual(await readdir(used), ['notes.txt']);
    const file = path.join(temp.path, 'a-file');
    await writeFile(file, 'mine');
    await assert.rejects(
      networkInit({ out: file, basePort: 0, quiet: true }),
      (error: unknown) =>
        isBayledgerError(error, 'FILE_EXISTS') &&
        error.message === `${file}: is a file; choose a new folder for the network`,
    );
    assert.equal(await readFile(file, 'utf8'), 'mine');
  });

  it('prints nothing with quiet, and the network and its nodes without', async () => {
    const quiet = await outputOf(() =>
      networkInit({ out: path.join(temp.path, 'quiet'), basePort: 0, quiet: true }),
    );
    assert.equal(quiet.stdout, '');
    const out = path.join(temp.path, 'loud');
    const loud = await outputOf(() => networkInit({ out, basePort: 0 }));
    assert.match(
      loud.stdout,
      new RegExp(
        `^network \\S+ written to ${out}\\ngenesis ${out}/genesis\\.json \\(hash [0-9a-f]{64}\\)\\n`,
      ),
    );
  });
});

describe('CLI: free ports from the OS (--base-port 0)', () => {
  it('gives exactly as many distinct ports as asked, all closed again', async () => {
    const ports = await freePorts(5);
    assert.equal(ports.length, 5);
    assert.equal(new Set(ports).size, 5);
    // Closed again: each can be listened on at once.
    for (const port of ports) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => server.close(resolve));
    }
    assert.deepEqual(await freePorts(0), []);
  });
});
