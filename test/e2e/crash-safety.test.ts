// Crash safety (issue 3 item 4): a writer process commits blocks in a loop and prints each height
// once it is durable; we SIGKILL it at random moments, many times, and after each kill reopen the
// data directory and check that (1) it is exactly at a committed block: the last one reported, or
// one more whose commit finished just before the kill, (2) every block the writer reported is
// there with the hash it reported, and (3) chain verify re-derives the whole chain and passes.
//
// The moments are drawn from a seeded generator; a failure prints the seed, and CRASH_SEED=<seed>
// replays the same schedule. Most kills land while blocks are being committed, some during start-up
// (LevelDB log recovery, opening, genesis record).
//
// The writer is bundled once with esbuild (already installed as tsx's bundler) so each of the 50+
// starts costs a plain `node` start instead of a TypeScript load; without esbuild it runs via tsx.
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { verifyDataDir } from '../../src/node/chain/verify-sources.js';
import { LedgerStore } from '../../src/node/store/ledger-store.js';
import { fileableTestGenesis, genesisRecordOf } from '../helpers/chain.js';
import { BUNDLE_DIR, BUNDLE_OPTIONS, REPO_ROOT } from '../helpers/cli-command.js';
import { seededRandom } from '../helpers/seeded-random.js';

const KILLS = 50;
const WRITER_ENTRY = join(REPO_ROOT, 'test/e2e/fixtures/chain-writer.ts');

/** The command that starts the writer: a bundled .mjs if esbuild is available, else tsx. */
async function writerCommand(): Promise<{ args: string[]; cleanup: () => Promise<void> }> {
  try {
    const esbuild = await import('esbuild');
    await mkdir(BUNDLE_DIR, { recursive: true });
    const outfile = join(BUNDLE_DIR, `chain-writer-${process.pid}.mjs`);
    await esbuild.build({ ...BUNDLE_OPTIONS, entryPoints: [WRITER_ENTRY], outfile });
    return { args: [outfile], cleanup: () => rm(outfile, { force: true }) };
  } catch {
    return { args: ['--import', 'tsx', WRITER_ENTRY], cleanup: async () => {} };
  }
}

interface Committed {
  readonly height: number;
  readonly hash: string;
}

/** Runs the writer until `shouldKill` says so (given what it printed), then SIGKILLs it. */
function runAndKill(
  args: string[],
  plan: { killAfterCommits: number; delayMs: number; killBeforeReadyMs?: number },
  onCommit: (committed: Committed) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let buffered = '';
    let commits = 0;
    let killScheduled = false;
    let timer: NodeJS.Timeout | undefined;
    const scheduleKill = (delayMs: number) => {
      if (killScheduled) return;
      killScheduled = true;
      timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    };
    if (plan.killBeforeReadyMs !== undefined) scheduleKill(plan.killBeforeReadyMs);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const match = /^committed (\d+) ([0-9a-f]{64})$/.exec(line);
        if (!match) continue;
        onCommit({ height: Number(match[1]), hash: match[2]! });
        commits++;
        if (commits >= plan.killAfterCommits) scheduleKill(plan.delayMs);
      }
    });
    // A hung writer must fail the test, not stall it.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(deadline);
      if (timer) clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited by itself (code ${code}): ${stderr}`));
    });
  });
}

describe('crash safety: SIGKILL during block commits', function () {
  this.timeout(180_000);
  let directory: string;
  let command: { args: string[]; cleanup: () => Promise<void> };
  let genesisFile: string;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'bayledger-crash-'));
    genesisFile = join(directory, 'genesis.json');
    await writeFile(genesisFile, genesisRecordOf(fileableTestGenesis().genesis).json);
    command = await writerCommand();
  });

  after(async () => {
    await command.cleanup();
    await rm(directory, { recursive: true, force: true });
  });

  it(`is always at a committed block, holds every reported block and verifies, across ${KILLS} kills`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
    const dataDir = join(directory, 'data');
    const reported = new Map<number, string>();
    let lastReported = 0;
    let earlyKills = 0;
    try {
      for (let kill = 1; kill <= KILLS; kill++) {
        const early = random() < 0.12;
        if (early) earlyKills++;
        const plan = early
          ? {
              killAfterCommits: Number.POSITIVE_INFINITY,
              delayMs: 0,
              killBeforeReadyMs: Math.floor(random() * 250),
            }
          : { killAfterCommits: 1 + Math.floor(random() * 3), delayMs: Math.floor(random() * 12) };
        await runAndKill([...command.args, dataDir, genesisFile], plan, ({ height, hash }) => {
          assert.equal(
            height,
            lastReported + 1,
            `kill ${kill}: the writer skipped from ${lastReported} to ${height}`,
          );
          reported.set(height, hash);
          lastReported = height;
        });

        const store = await LedgerStore.open(dataDir);
        let recorded = true;
        try {
          // A kill before the writer recorded its genesis leaves a store with nothing in it yet.
          recorded = store.genesis !== undefined;
          if (!recorded) assert.equal(store.height, 0, `kill ${kill}: blocks without a genesis record`);
          // At most one commit can have finished without its line reaching us.
          assert.ok(
            store.height === lastReported || store.height === lastReported + 1,
            `kill ${kill}: store at height ${store.height}, last reported ${lastReported}`,
          );
          if (store.height === lastReported + 1) {
            reported.set(store.height, toHex(store.tip!.blockHash));
            lastReported = store.height;
          }
          for (const [height, hash] of reported) {
            const { blockHash } = await store.readHeader(height);
            assert.equal(toHex(blockHash), hash, `kill ${kill}: block ${height} is not the one reported`);
          }
        } finally {
          await store.close();
        }
        if (!recorded) continue;
        // A chain of a few blocks: verified in this process (decision 62).
        const { report } = await verifyDataDir(dataDir, undefined);
        assert.ok(
          report.ok,
          report.ok ? '' : `kill ${kill}: chain verify failed at ${report.height}: ${report.reason}`,
        );
        assert.equal(report.height, lastReported);
      }
    } catch (error) {
      throw new Error(
        `crash schedule CRASH_SEED=${seed}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    assert.ok(lastReported > KILLS, `only ${lastReported} blocks were committed over ${KILLS} runs`);
    assert.ok(earlyKills < KILLS / 2, 'most kills land during commits');
  });
});
