// `bayledger up` and `bayledger demo` beside a network that already holds their ports (a
// fresh-clone walkthrough ran two networks on the default ports): the second command must exit 1
// naming the organisation and the port instead of reporting the other network's nodes as its own,
// and leave no process behind. Then a node of the running network is killed: `up` must stop the
// others and exit 1 naming it (it used to end silently with exit code 13). Before that, demo --exit
// runs its scenario on the live network and leaves it running. Also: a bad
// --log-level is a usage error before anything starts.
import { strict as assert } from 'node:assert';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { networkInit } from '../../cli/commands/network-init.js';
import { processesMentioning, type RunningChild, runCommand, startChild } from '../helpers/child.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { cliCommand } from '../helpers/cli-command.js';
import { apiAnswers } from '../helpers/network.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

interface NodesJsonEntry {
  org: string;
  role: string;
  api: string;
  tokenFile: string;
}

describe('bayledger up and demo on ports another network holds', function () {
  this.timeout(180_000);
  const temp = useTempDir('bayledger-up-conflicts-');
  let cli: string[];
  let first: RunningChild | undefined;
  let firstDir: string;
  let firstNodes: NodesJsonEntry[];
  const run = (args: string[]) => runCommand([...cli, ...args], { cwd: REPO_ROOT, timeoutMs: 60_000 });

  before(async () => {
    cli = await cliCommand();
    firstDir = path.join(temp.path, 'first');
    first = startChild([...cli, 'up', '--dir', firstDir, '--base-port', '0'], { cwd: REPO_ROOT });
    const { output } = first;
    await waitFor(
      'the first network running',
      () => {
        if (first?.process.exitCode !== null) throw new Error(`up exited: ${output.stderr}`);
        return output.stderr.includes('network running');
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    firstNodes = JSON.parse(await readFile(path.join(firstDir, 'nodes.json'), 'utf8')) as NodesJsonEntry[];
  });

  after(async () => {
    const child = first?.process;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await first!.exited;
    }
  });

  it('a second up of the same folder exits 1 naming the port and the organisation, and starts nothing', async () => {
    const result = await run(['up', '--dir', firstDir, '--exit']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /node \S+: port \d+ is already answered by this network's \S+: is this network already running/,
    );
    // Only the first network's seven nodes (and its up) mention the folder.
    assert.equal((await processesMentioning(path.join(firstDir, path.sep))).length, firstNodes.length);
    for (const node of firstNodes) assert.ok(await apiAnswers(node.api), `${node.org} stopped answering`);
  });

  it('up and demo of another network on those ports exit 1 naming the port and the organisation, and leave no process', async () => {
    const secondDir = path.join(temp.path, 'second');
    await networkInit({ out: secondDir, basePort: 0, json: false, quiet: true });
    // The second network's nodes are told to serve their APIs on the first network's ports.
    for (const node of firstNodes) {
      const configFile = path.join(secondDir, node.org, 'node.json');
      const config = JSON.parse(await readFile(configFile, 'utf8')) as { apiPort: number };
      config.apiPort = Number(new URL(node.api).port);
      await writeFile(configFile, JSON.stringify(config));
    }
    const taken =
      /node (\S+): port (\d+) is answered by another node \(org (\S+), chain [^,]+, genesis [0-9a-f]+\.\.\.\): is another network running\?/;
    const checkNamed = (stderr: string) => {
      const match = taken.exec(stderr);
      assert.ok(match !== null, stderr);
      const [, org, port, otherOrg] = match;
      assert.equal(otherOrg, org);
      assert.equal(firstNodes.find((node) => node.org === org)?.api, `http://127.0.0.1:${port}`);
    };

    const up = await run(['up', '--dir', secondDir, '--exit']);
    assert.equal(up.code, 1, up.stderr);
    checkNamed(up.stderr);
    assert.doesNotMatch(up.stderr, /nodes answering/);

    // demo with a nodes.json that lists the taken ports: refused before its first step.
    await writeFile(
      path.join(secondDir, 'nodes.json'),
      JSON.stringify(
        firstNodes.map((node) => ({ ...node, tokenFile: path.join(secondDir, node.org, 'api.token') })),
      ),
    );
    const demo = await run(['demo', '--dir', secondDir, '--exit']);
    assert.equal(demo.code, 1, demo.stderr);
    checkNamed(demo.stderr);
    assert.doesNotMatch(demo.stderr + demo.stdout, /1\. the patient/);

    assert.deepEqual(await processesMentioning(path.join(secondDir, path.sep)), []);
    for (const entry of await readdir(secondDir, { withFileTypes: true }))
      if (entry.isDirectory())
        await assert.rejects(stat(path.join(secondDir, entry.name, 'node.log')), `${entry.name} was started`);
  });

  it('demo --exit against the network up runs uses it, leaves it running and exits 0', async () => {
    const result = await runCommand(
      [...cli, 'demo', '--dir', firstDir, '--payload-mb', '1', '--exit', '--json'],
      { cwd: REPO_ROOT, timeoutMs: 120_000 },
    );
    assert.equal(result.code, 0, result.stderr);
    // With --json the narration is on stderr and the summary alone on stdout.
    assert.match(result.stderr, new RegExp(`using the live network of ${firstDir} \\(7 nodes\\)`));
    assert.equal((JSON.parse(result.stdout) as { networkStarted: boolean }).networkStarted, false);
    // The network outlives the demo, so the commands that ask its nodes are offered.
    assert.match(result.stderr, /bayledger audit transfer \S+ --api http/);
    assert.match(result.stderr, /after stopping: bayledger chain verify/);
    assert.doesNotMatch(result.stderr, /stopping the network/);
    assert.equal(first!.process.exitCode, null, first!.output.stderr);
    for (const node of firstNodes) assert.ok(await apiAnswers(node.api), `${node.org} stopped answering`);
  });

  it('a node that dies while up runs stops the others and exits 1 naming it', async () => {
    const victim = firstNodes.find((node) => node.role === 'recipient')!;
    const [pid] = await processesMentioning(path.join(firstDir, victim.org, 'node.json'));
    assert.ok(pid !== undefined, `no process for ${victim.org}`);
    process.kill(pid, 'SIGKILL');
    const code = await first!.exited;
    assert.equal(code, 1, first!.output.stderr);
    assert.match(
      first!.output.stderr,
      new RegExp(`node ${victim.org} exited on SIGKILL while the network was running`),
    );
    assert.deepEqual(await processesMentioning(path.join(firstDir, path.sep)), []);
  });

  it('up --log-level loud is a usage error before anything starts', async () => {
    const dir = path.join(temp.path, 'never');
    const result = await runCli(['up', '--dir', dir, '--log-level', 'loud']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--log-level.*'loud' is invalid.*debug, info, warn, error, silent/);
    await assert.rejects(stat(dir), 'up created the network folder');
  });
});
