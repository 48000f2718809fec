// A full disk, end to end: a validator (qianhai) and a follower (nf-ufh) run with their data
// directories on small disks of their own (a tmpfs in a private mount namespace,
// test/helpers/small-disk.sh) while the network takes a steady load, until both disks fill. A
// follower keeps no consensus WAL, so its first failed write is a block's LevelDB batch; the
// validator's is whichever of its WAL and its store fills first. Each must stop at its first
// failed write (src/node/store/write-fault.ts), exit 1 naming the folder and the system's words,
// and blame no peer for it; the rest of the network goes on (three validators of four are a
// quorum). Restarted with room, each opens exactly the blocks it had committed, catches up, and
// holds the network's chain (chain verify passes on its folder). The CLI, too, names a file a
// full disk kept it from writing and leaves none of it. The small disks need `unshare` and the
// right to mount (root in this sandbox and its CI).
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../helpers/child.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { cliCommand } from '../helpers/cli-command.js';
import { SMALL_DISK_SCRIPT, startTestNetwork, type TestNetwork } from '../helpers/network.js';
import { useTempDir } from '../helpers/temp-dir.js';

/** Room for the store, the WAL and a few hundred transactions' blocks: full within seconds. */
const SMALL_DISK_BYTES = 2 * 1024 * 1024;
const ON_SMALL_DISKS = ['qianhai', 'nf-ufh'] as const;
const FAULT_LINE = 'the store can no longer be written: the node must stop';

interface LogLine {
  readonly msg?: string;
  readonly height?: number;
  readonly error?: { readonly code?: string; readonly message?: string };
}

/** The node's JSON log lines, in order; the CLI's own words (stderr) are the lines that are not JSON. */
function parseLog(text: string): { lines: LogLine[]; other: string[] } {
  const lines: LogLine[] = [];
  const other: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
    else if (line.trim() !== '') other.push(line);
  }
  return { lines, other };
}

/** The first line with `msg` after index `from`, and its index. */
function nextLine(lines: readonly LogLine[], msg: string, from: number): [LogLine, number] {
  const index = lines.findIndex((line, at) => at > from && line.msg === msg);
  assert.ok(index >= 0, `no '${msg}' line after line ${from}`);
  return [lines[index]!, index];
}

describe('a full disk (real processes)', function () {
  this.timeout(240_000);
  let net: TestNetwork;

  before(async () => {
    net = await startTestNetwork();
  });

  after(async () => {
    await net?.stop();
  });

  it('stops the node at its first failed write, blames no peer, and loses no committed block', async () => {
    for (const org of ON_SMALL_DISKS) {
      await net.kill(org, 'SIGTERM');
      await net.restartOnSmallDisk(org, SMALL_DISK_BYTES);
    }
    // A steady load through hku-szh until both disks are full and both nodes have stopped.
    await net.waitFor(
      'both nodes on small disks stopped',
      async () => {
        if (ON_SMALL_DISKS.every((org) => !net.isRunning(org))) return true;
        const grants = await Promise.all(Array.from({ length: 40 }, () => net.makeConsentGrant()));
        for (const answer of await Promise.all(grants.map((grant) => net.submit('hku-szh', grant.bytes)))) {
          assert.equal(answer.status, 202, JSON.stringify(answer.json));
        }
        return false;
      },
      { timeoutMs: 120_000 },
    );

    const stoppedAt = new Map<string, number>();
    for (const org of ON_SMALL_DISKS) {
      const { dataDir } = net.nodes.get(org)!.config;
      assert.deepEqual(await net.kill(org), { code: 1, signal: null }, `${org} exits 1`);
      const { lines, other } = parseLog(await net.logOf(org));
      const [fault, faultAt] = nextLine(lines, FAULT_LINE, -1);
      assert.equal(fault.error?.code, 'STORE_FAILED');
      const what =
        org === 'nf-ufh'
          ? 'write block \\d+'
          : '(write block \\d+|append a consensus WAL record for height \\d+|clear the consensus WAL up to height \\d+)';
      const words = `${dataDir}: could not ${what}: .*no space left on device.*; the node stops`;
      assert.match(fault.error?.message ?? '', new RegExp(`^${words}`, 'i'));
      // The command's own last words name the same fault (stderr shares the node's log file).
      assert.match(other.at(-1) ?? '', new RegExp(`^bayledger: error: ${words}`, 'i'));
      assert.deepEqual(
        lines.filter(
          (line) => line.msg?.startsWith('peer misbehaved') || line.msg === 'peer served an invalid block',
        ),
        [],
        `${org} blamed no peer for its own disk`,
      );
      const [stopped] = nextLine(lines, 'node stopped', faultAt);
      stoppedAt.set(org, stopped.height!);
    }

    // The other five go on: three validators of four are a quorum.
    const heightWithout = (await net.status('sz-cac')).height;
    for (let more = 0; more < 2; more++) {
      const grant = await net.makeConsentGrant();
      assert.equal((await net.submit('hku-szh', grant.bytes, { wait: true })).status, 200);
    }
    assert.ok((await net.status('sz-cac')).height > heightWithout, 'the network committed on without them');

    // Given room again, each opens every block it had committed, and catches up.
    for (const org of ON_SMALL_DISKS) {
      await net.restart(org);
      const { lines } = parseLog(await net.logOf(org));
      const [, faultAt] = nextLine(lines, FAULT_LINE, -1);
      const [, stoppedIndex] = nextLine(lines, 'node stopped', faultAt);
      const [started] = nextLine(lines, 'node started', stoppedIndex);
      assert.equal(started.height, stoppedAt.get(org), `${org} reopened at the height it had committed`);
    }
    const target = (await net.status('sz-cac')).height;
    const hashAt = async (org: string) =>
      (await net.get<{ blockHash: string }>(org, `/chain/blocks/${target}`)).json.blockHash;
    await net.waitFor('both caught up with the network', async () => {
      for (const org of ON_SMALL_DISKS) if ((await net.status(org)).height < target) return false;
      return true;
    });
    for (const org of ON_SMALL_DISKS)
      assert.equal(await hashAt(org), await hashAt('sz-cac'), `${org} agrees`);

    // What the full disk left, and everything after, re-derives from genesis.
    for (const org of ON_SMALL_DISKS) {
      assert.deepEqual(await net.kill(org, 'SIGTERM'), { code: 0, signal: null });
      const verified = await net.runCli([
        'chain',
        'verify',
        '--data-dir',
        net.nodes.get(org)!.config.dataDir,
        '--json',
      ]);
      assert.equal(verified.code, 0, verified.stderr);
      const report = JSON.parse(verified.stdout) as { ok: boolean; height: number };
      assert.equal(report.ok, true);
      assert.ok(report.height >= target);
    }
  });
});

describe('the CLI on a full disk (real processes)', function () {
  this.timeout(120_000);
  const temp = useTempDir('bayledger-full-cli-');

  /** Runs the CLI with `dir` on a 64 KiB disk of its own that a file fills first. */
  async function onFullDisk(dir: string, args: readonly string[]) {
    const fill = 'cat /dev/zero > "$0/filler" 2>/dev/null; shift; exec "$@"';
    return runCommand(
      [
        'unshare',
        '--mount',
        'sh',
        SMALL_DISK_SCRIPT,
        '65536',
        dir,
        'sh',
        '-c',
        fill,
        dir,
        '-',
        ...(await cliCommand()),
        ...args,
      ],
      { cwd: REPO_ROOT, timeoutMs: 60_000 },
    );
  }

  it('names the file it could not write, and leaves none of it', async () => {
    const dir = path.join(temp.path, 'keys');
    await mkdir(dir, { mode: 0o700 });
    const keyFile = path.join(dir, 'patient.key');
    const generated = await onFullDisk(dir, ['keys', 'generate', '--kind', 'patient', '--out', keyFile]);
    assert.equal(generated.code, 1, generated.stderr);
    assert.equal(
      generated.stderr,
      `bayledger: error: ${keyFile}: cannot write the key file: no space left on its disk (ENOSPC)\n`,
    );
    // What the disk held when the command ended is back in the folder: the filler, no key.
    assert.deepEqual(await readdir(dir), ['filler']);
  });
});
