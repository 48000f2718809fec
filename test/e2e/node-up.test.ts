// `bayledger up`: network init into an empty folder, one process per organisation, nodes.json once
// the network is connected, a transaction committed through it, and every node stopped on SIGTERM,
// with --exit (there from another channel's --template), or (through their standard input) when
// `up` is killed outright.
import { strict as assert } from 'node:assert';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import { readGenesisFile } from '../../src/node/chain/open-chain.js';
import { readKeyFile } from '../../src/node/keys/key-file.js';
import { processesMentioning, runCommand, startChild } from '../helpers/child.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { cliCommand } from '../helpers/cli-command.js';
import { apiAnswers, makeConsentGrant } from '../helpers/network.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const RESEARCH_TEMPLATE = 'network-config/gba-research.json';

interface NodesJsonEntry {
  org: string;
  role: string;
  api: string;
  tokenFile: string;
}

describe('bayledger up', function () {
  this.timeout(120_000);
  const temp = useTempDir('bayledger-up-');

  it('initialises, starts and connects a whole network, writes nodes.json, and stops it on SIGTERM', async () => {
    const dir = path.join(temp.path, 'local');
    const up = startChild([...(await cliCommand()), 'up', '--dir', dir, '--base-port', '0'], {
      cwd: REPO_ROOT,
    });
    const { output } = up;
    let nodes: NodesJsonEntry[] = [];
    try {
      await waitFor('the network running', () => output.stderr.includes('network running'), {
        timeoutMs: 90_000,
        intervalMs: 100,
      });
      nodes = JSON.parse(await readFile(path.join(dir, 'nodes.json'), 'utf8')) as NodesJsonEntry[];
      assert.deepEqual(nodes.map((node) => node.role).sort(), [
        'recipient',
        'submitter',
        'submitter',
        'validator',
        'validator',
        'validator',
        'validator',
      ]);
      for (const node of nodes) {
        assert.match(node.api, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.ok(output.stdout.includes(node.api), `${node.org} not printed`);
        assert.equal((await stat(node.tokenFile)).mode & 0o777, 0o600);
        // The API answers a little before the start is logged (the peer network starts between).
        const logPath = path.join(dir, node.org, 'node.log');
        const log = await waitFor(`${node.org} logging its start`, async () => {
          const text = await readFile(logPath, 'utf8');
          return text.includes('"msg":"node started"') ? text : undefined;
        });
        // `up` gives each node V8's heap flags (v8-tuning.ts), and the hospitals and the recipient
        // malloc on huge pages (malloc-tuning.ts), so none warns that it lacks them; the warnings
        // follow the start line at once, in the same synchronous step.
        assert.ok(!log.includes('without its V8 heap flags'), `${node.org}: ${log}`);
        assert.ok(!log.includes('without malloc on huge pages'), `${node.org}: ${log}`);
      }
      // The network is live: a consent grant submitted through the hospital's node commits.
      const hospital = nodes.find((node) => node.org === 'hku-szh')!;
      const genesis = await readGenesisFile(path.join(dir, 'genesis.json'));
      const signer = new Ed25519Signer(
        (await readKeyFile(path.join(dir, 'hku-szh', 'node.key'))).ed25519Seed,
      );
      const grant = makeConsentGrant(signer, genesis.chainId);
      const response = await fetch(`${hospital.api}/tx?wait=commit&timeoutMs=20000`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${(await readFile(hospital.tokenFile, 'utf8')).trim()}`,
          'content-type': 'application/cbor',
        },
        body: grant.bytes,
      });
      const committed = (await response.json()) as { status: string; accepted: boolean };
      assert.equal(response.status, 200, JSON.stringify(committed));
      assert.deepEqual([committed.status, committed.accepted], ['committed', true]);
    } finally {
      up.process.kill('SIGTERM');
    }
    assert.equal(await up.exited, 0, output.stderr);
    for (const node of nodes)
      assert.ok(!(await apiAnswers(node.api)), `${node.org} still answers after up stopped`);
  });

  it('with --exit and the template of another channel, stops the network it started once it is up, and exits 0', async () => {
    const dir = path.join(temp.path, 'exit');
    const command = [...(await cliCommand()), 'up', '--dir', dir, '--base-port', '0', '--exit'];
    const up = startChild([...command, '--template', RESEARCH_TEMPLATE], { cwd: REPO_ROOT });
    try {
      await waitFor('up --exit to exit', () => up.process.exitCode !== null, {
        timeoutMs: 90_000,
        intervalMs: 100,
      });
    } finally {
      // Had it not exited, SIGTERM makes it stop its nodes and wait for them.
      if (up.process.exitCode === null) up.process.kill('SIGTERM');
      await up.exited;
    }
    assert.equal(up.process.exitCode, 0, up.output.stderr);
    assert.doesNotMatch(up.output.stderr, /network running/);
    const nodes = JSON.parse(await readFile(path.join(dir, 'nodes.json'), 'utf8')) as NodesJsonEntry[];
    // The research channel's organisations and chain, not the health sample's.
    assert.deepEqual(nodes.map((node) => `${node.role} ${node.org}`).sort(), [
      'recipient hku',
      'submitter sustech',
      'submitter szbl',
      'validator hk-itib',
      'validator hk-pcpd',
      'validator sz-cac',
      'validator sz-stic',
    ]);
    assert.equal((await readGenesisFile(path.join(dir, 'genesis.json'))).chainId, 'gba-research');
    for (const node of nodes)
      assert.ok(!(await apiAnswers(node.api)), `${node.org} still answers after up --exit`);

    // Up again on that folder with a --template: refused before anything starts, rather than
    // quietly running the folder's network, another channel than the one asked for.
    const again = await runCommand([...command, '--template', 'network-config/gba-health.json'], {
      cwd: REPO_ROOT,
      timeoutMs: 60_000,
    });
    assert.equal(again.code, 1, again.stderr);
    assert.equal(
      again.stderr,
      `bayledger: error: ${dir}: is not empty; --template only chooses the network up creates in an empty folder\n`,
    );
    for (const node of nodes) assert.ok(!(await apiAnswers(node.api)), `${node.org} was started`);
  });

  it('when killed outright, its nodes see their standard input end and stop cleanly', async () => {
    const dir = path.join(temp.path, 'killed');
    const up = startChild([...(await cliCommand()), 'up', '--dir', dir, '--base-port', '0'], {
      cwd: REPO_ROOT,
    });
    try {
      await waitFor('the network running', () => up.output.stderr.includes('network running'), {
        timeoutMs: 90_000,
        intervalMs: 100,
      });
    } finally {
      // SIGKILL gives up no chance to stop anything: only the pipes the kernel closes remain.
      up.process.kill('SIGKILL');
      await up.exited;
    }
    const nodes = JSON.parse(await readFile(path.join(dir, 'nodes.json'), 'utf8')) as NodesJsonEntry[];
    assert.equal(nodes.length, 7);
    for (const node of nodes) {
      const logPath = path.join(dir, node.org, 'node.log');
      // Each node logs why it stops, then that it has stopped, once its store is closed.
      const log = await waitFor(`${node.org} stopped for the end of its input`, async () => {
        const text = await readFile(logPath, 'utf8');
        return text.includes('"msg":"node stopped"') ? text : undefined;
      });
      assert.match(log, /"msg":"stopping","reason":"stdin-end".*"msg":"node stopped"/s, node.org);
      await waitFor(`${node.org} no longer answering`, async () => !(await apiAnswers(node.api)));
    }
    // And the processes are gone, not only their APIs: none is left with this network's folder.
    await waitFor(
      'every node process to exit',
      async () => (await processesMentioning(path.join(dir, path.sep))).length === 0,
    );
  });

  it('refuses a file named as its folder in one line, before creating or starting anything', async () => {
    const file = path.join(temp.path, 'a-file');
    await writeFile(file, 'mine');
    const result = await runCommand([...(await cliCommand()), 'up', '--dir', file, '--base-port', '0'], {
      cwd: REPO_ROOT,
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(
      result.stderr,
      `bayledger: error: ${file}: is a file; choose a new folder for the network\n`,
    );
    assert.equal(await readFile(file, 'utf8'), 'mine');
  });

  it('on Ctrl-C, which a terminal sends to every process of the job, each node stops once and cleanly', async () => {
    const dir = path.join(temp.path, 'ctrl-c');
    const up = startChild([...(await cliCommand()), 'up', '--dir', dir, '--base-port', '0'], {
      cwd: REPO_ROOT,
      processGroup: true,
    });
    try {
      await waitFor('the network running', () => up.output.stderr.includes('network running'), {
        timeoutMs: 90_000,
        intervalMs: 100,
      });
    } finally {
      // The terminal signals the foreground process group: `up` and whatever shares its group.
      process.kill(-up.process.pid!, 'SIGINT');
    }
    assert.equal(await up.exited, 0, up.output.stderr);
    const nodes = JSON.parse(await readFile(path.join(dir, 'nodes.json'), 'utf8')) as NodesJsonEntry[];
    assert.equal(nodes.length, 7);
    for (const node of nodes) {
      const log = await readFile(path.join(dir, node.org, 'node.log'), 'utf8');
      // One stop request, from `up`: a node that also got the terminal's signal would take `up`'s
      // as a second one and end at once, its shutdown cut short.
      assert.doesNotMatch(log, /second signal/, node.org);
      assert.match(log, /"msg":"stopping","reason":"SIGTERM".*"msg":"node stopped"/s, node.org);
    }
  });
});
