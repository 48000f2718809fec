// Issue 7 item 7: a real node (`node bin/bayledger.js node start`, compiled) over the big chain:
// the time from spawning it to its API answering GET /status, and its resident memory (VmRSS from
// /proc/<pid>/status) once started and after 1,000 proof and block reads through its API (GET
// /chain/proof/:id and /chain/blocks/:height at seeded random heights), with the peak (VmHWM).
// The node is the platform organisation (ehealth-hk, a follower) of the generator's genesis, whose
// keys are the test keys derived from labels at run time (test/helpers/fixtures.ts testKey and
// testEncryptionKey): nothing secret is committed. No validator runs, so the chain does not grow.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { utf8 } from '../../../src/core/bytes.js';
import { sha256 } from '../../../src/core/crypto/hash.js';
import { writeApiTokenFile } from '../../../src/node/api/token-file.js';
import { writeKeyFile } from '../../../src/node/keys/key-file.js';
import { testEncryptionKey } from '../../helpers/fixtures.js';
import { type BenchNode, NodeClient, pollUntil, repoRoot } from '../lib/network.js';
import type { Benchmark } from '../types.js';
import { bigChainFor } from './chain-verify.js';

const ORG = 'ehealth-hk';
const READS = 1_000;
const START_TIMEOUT_MS = 120_000;

/** A port the OS hands out now (node.json needs a number before the node starts). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function memoryOf(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

export const memoryStartup: Benchmark = {
  name: 'memory-startup',
  description:
    'node start over the big chain: time to API, RSS after start and after 1,000 proof/block reads',
  target: 'RSS <= 300 MB, start-up <= 2,000 ms',
  timeLimitMs: 3_600_000,
  async run(context) {
    const chain = await bigChainFor(context);
    const dir = await context.tempDir('memory-startup');
    const keyFile = path.join(dir, 'node.key');
    await writeKeyFile(keyFile, {
      kind: 'node',
      org: ORG,
      ed25519Seed: sha256(utf8(`test/${ORG}`)),
      x25519Secret: testEncryptionKey(ORG).secretKey,
    });
    const apiTokenFile = path.join(dir, 'api.token');
    const token = await writeApiTokenFile(apiTokenFile);
    const apiPort = await freePort();
    const p2pPort = await freePort();
    const configPath = path.join(dir, 'node.json');
    await writeFile(
      configPath,
      JSON.stringify({
        org: ORG,
        role: 'recipient',
        dataDir: chain.dataDir,
        genesis: chain.genesisPath,
        keyFile,
        apiTokenFile,
        p2pListen: `/ip4/127.0.0.1/tcp/${p2pPort}`,
        apiHost: '127.0.0.1',
        apiPort,
      }),
    );
    const started = performance.now();
    const child: ChildProcess = spawn(
      process.execPath,
      [
        path.join(repoRoot(), 'bin/bayledger.js'),
        'node',
        'start',
        '--config',
        configPath,
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    context.onCleanup(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGKILL');
      });
    });
    const node: BenchNode = {
      org: ORG,
      role: 'recipient',
      api: `http://127.0.0.1:${apiPort}`,
      tokenFile: apiTokenFile,
      config: configPath,
      log: '',
      token,
    };
    const client = new NodeClient(node, 4);
    context.onCleanup(() => client.close());
    const outcome = await pollUntil(
      'node answering',
      async () => (child.exitCode !== null ? 'exited' : (await client.status()).height > 0 && 'answering'),
      START_TIMEOUT_MS,
      20,
    );
    if (outcome === 'exited') throw new Error(`node exited during start-up: ${stderr.trim().slice(-500)}`);
    const startupMs = performance.now() - started;
    const afterStart = await memoryOf(child.pid!);
    const status = await client.status();
    let state = 7;
    for (let i = 0; i < READS / 2; i++) {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      const block = await client.get(`/chain/blocks/${1 + (state % status.height)}`);
      const txIds = (JSON.parse(block.body) as { txIds: string[] }).txIds;
      const proof = await client.get(`/chain/proof/${txIds[state % txIds.length]}`);
      if (proof.status !== 200) throw new Error(`proof answered ${proof.status}: ${proof.body}`);
    }
    const afterReads = await memoryOf(child.pid!);
    const note = `${status.logSize} transactions, ${status.height} blocks`;
    return [
      {
        name: 'startup',
        value: startupMs,
        unit: 'ms',
        target: { on: 'value', comparison: '<=', bound: 2000 },
        note,
      },
      {
        name: 'rss.afterStart',
        value: afterStart.rssMb,
        unit: 'MB',
        target: { on: 'value', comparison: '<=', bound: 300 },
      },
      {
        name: 'rss.afterReads',
        value: afterReads.rssMb,
        unit: 'MB',
        target: { on: 'value', comparison: '<=', bound: 300 },
        note: `after ${READS} block and proof reads over the API`,
      },
      { name: 'rss.peak', value: afterReads.peakMb, unit: 'MB', note: 'VmHWM' },
    ];
  },
};
