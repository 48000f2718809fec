// Issue 7 item 7: a real node (`node bin/bayledger.js node start`, compiled) over the big chain:
// the time from spawning it to its API answering GET /status, and its resident memory (from
// /proc/<pid>/status: VmRSS, split into RssAnon, the node's own memory, and RssFile, LevelDB's
// memory-mapped table files) once started, after 1,000 proof and block reads through its API (GET
// /chain/proof/:id and /chain/blocks/:height at seeded random heights), and once the node has
// settled (its CPU idle, or a deadline), with the peak (VmHWM) and the CPU it spent meanwhile.
//
// Two nodes, one after the other: a hospital (nf-ufh, a follower that only serves the chain) and
// the platform (ehealth-hk, the recipient, whose transfer service scans the ledger at start for
// approved transfers it has not received: in the generated chain every declaration is approved
// and none is receipted, so it finds half a million). Their keys are the test keys derived from
// labels at run time (test/helpers/fixtures.ts testKey and testEncryptionKey): nothing secret is
// committed. No validator runs, so the chain does not grow.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { utf8 } from '../../../src/core/bytes.js';
import { sha256 } from '../../../src/core/crypto/hash.js';
import { writeApiTokenFile } from '../../../src/node/api/token-file.js';
import { writeKeyFile } from '../../../src/node/keys/key-file.js';
import { nodeProcessEnv } from '../../../src/node/malloc-tuning.js';
import { withNodeHeapFlags } from '../../../src/node/v8-tuning.js';
import { testEncryptionKey } from '../../helpers/fixtures.js';
import type { BigChain } from '../fixtures/big-chain.js';
import { type BenchNode, NodeClient, pollUntil, repoRoot } from '../lib/network.js';
import type { BenchContext, Benchmark, Figure } from '../types.js';
import { bigChainFor } from './chain-verify.js';

const NODES: readonly { org: string; role: 'submitter' | 'recipient' }[] = [
  { org: 'nf-ufh', role: 'submitter' },
  { org: 'ehealth-hk', role: 'recipient' },
];
const READS = 1_000;
const START_TIMEOUT_MS = 120_000;
/** How long a node may stay busy after the reads before it is measured as it is. */
const SETTLE_DEADLINE_MS = 60_000;
/** Settled: under this share of one core over one sampling interval. */
const IDLE_CPU_SHARE = 0.05;
const SETTLE_SAMPLE_MS = 1_000;
const RSS_TARGET_MB = 300;

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

interface Memory {
  /** VmRSS: every resident page, LevelDB's memory-mapped table files included. */
  readonly rssMb: number;
  /** RssAnon: the process's own memory (heap, caches, buffers); what the RSS target is read against. */
  readonly anonMb: number;
  /** RssFile: resident pages of memory-mapped files (LevelDB tables): page cache the kernel can drop. */
  readonly fileMb: number;
  readonly peakMb: number;
}

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat (clock ticks of 1/100 s). */
async function cpuSecondsOf(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return {
    rssMb: kb('VmRSS') / 1024,
    anonMb: kb('RssAnon') / 1024,
    fileMb: kb('RssFile') / 1024,
    peakMb: kb('VmHWM') / 1024,
  };
}

interface NodeMeasurement {
  readonly startupMs: number;
  readonly afterStart: Memory;
  readonly afterReads: Memory;
  readonly settled: Memory;
  /** Seconds from the end of the reads until the node was idle; undefined when it never was. */
  readonly settleSeconds: number | undefined;
  /** CPU seconds the node used from answering until it settled (or the deadline). */
  readonly cpuSeconds: number;
  readonly logSize: number;
  readonly height: number;
}

async function writeNodeFiles(
  dir: string,
  chain: BigChain,
  org: string,
  role: string,
): Promise<{ configPath: string; apiTokenFile: string; token: string; apiPort: number }> {
  const keyFile = path.join(dir, 'node.key');
  await writeKeyFile(keyFile, {
    kind: 'node',
    org,
    ed25519Seed: sha256(utf8(`test/${org}`)),
    x25519Secret: testEncryptionKey(org).secretKey,
  });
  const apiTokenFile = path.join(dir, 'api.token');
  const token = await writeApiTokenFile(apiTokenFile);
  const apiPort = await freePort();
  const p2pPort = await freePort();
  const configPath = path.join(dir, 'node.json');
  await writeFile(
    configPath,
    JSON.stringify({
      org,
      role,
      dataDir: chain.dataDir,
      genesis: chain.genesisPath,
      keyFile,
      apiTokenFile,
      p2pListen: `/ip4/127.0.0.1/tcp/${p2pPort}`,
      apiHost: '127.0.0.1',
      apiPort,
    }),
  );
  return { configPath, apiTokenFile, token, apiPort };
}

/** Block and proof reads at seeded random heights, half each. */
async function serveReads(client: NodeClient, height: number): Promise<void> {
  let state = 7;
  for (let i = 0; i < READS / 2; i++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const block = await client.get(`/chain/blocks/${1 + (state % height)}`);
    const txIds = (JSON.parse(block.body) as { txIds: string[] }).txIds;
    const proof = await client.get(`/chain/proof/${txIds[state % txIds.length]}`);
    if (proof.status !== 200) throw new Error(`proof answered ${proof.status}: ${proof.body}`);
  }
}

/** Polls the node's CPU until one interval was (nearly) idle; seconds waited, or undefined. */
async function settle(pid: number, signal: AbortSignal): Promise<number | undefined> {
  const started = performance.now();
  let previous = await cpuSecondsOf(pid);
  while (performance.now() - started < SETTLE_DEADLINE_MS && !signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_SAMPLE_MS));
    const now = await cpuSecondsOf(pid);
    if (now - previous < IDLE_CPU_SHARE * (SETTLE_SAMPLE_MS / 1000)) {
      return (performance.now() - started) / 1000;
    }
    previous = now;
  }
  return undefined;
}

async function measureNode(
  context: BenchContext,
  chain: BigChain,
  org: string,
  role: 'submitter' | 'recipient',
): Promise<NodeMeasurement> {
  const dir = await context.tempDir(`memory-startup-${org}`);
  const files = await writeNodeFiles(dir, chain, org, role);
  const started = performance.now();
  // As `bayledger up` starts a node: with V8's heap flags (v8-tuning.ts) and the environment of
  // its role (malloc on huge pages for these two, malloc-tuning.ts).
  const [executable, ...args] = withNodeHeapFlags([
    process.execPath,
    path.join(repoRoot(), 'bin/bayledger.js'),
    'node',
    'start',
    '--config',
    files.configPath,
    '--log-level',
    'warn',
  ]);
  const child: ChildProcess = spawn(executable!, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: nodeProcessEnv(role),
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  };
  context.onCleanup(stop);
  const node: BenchNode = {
    org,
    role,
    api: `http://127.0.0.1:${files.apiPort}`,
    tokenFile: files.apiTokenFile,
    config: files.configPath,
    log: '',
    token: files.token,
  };
  const client = new NodeClient(node, 4);
  try {
    const outcome = await pollUntil(
      `${org} answering`,
      async () => (child.exitCode !== null ? 'exited' : (await client.status()).height > 0 && 'answering'),
      START_TIMEOUT_MS,
      20,
    );
    if (outcome === 'exited') throw new Error(`node exited during start-up: ${stderr.trim().slice(-500)}`);
    const startupMs = performance.now() - started;
    const pid = child.pid!;
    const cpuAtStart = await cpuSecondsOf(pid);
    const afterStart = await memoryOf(pid);
    const status = await client.status();
    await serveReads(client, status.height);
    const afterReads = await memoryOf(pid);
    const settleSeconds = await settle(pid, context.signal);
    const settled = await memoryOf(pid);
    const cpuSeconds = (await cpuSecondsOf(pid)) - cpuAtStart;
    return {
      startupMs,
      afterStart,
      afterReads,
      settled,
      settleSeconds,
      cpuSeconds,
      logSize: status.logSize,
      height: status.height,
    };
  } finally {
    await client.close();
    await stop();
  }
}

function figuresOf(org: string, role: string, measured: NodeMeasurement): Figure[] {
  const split = (memory: Memory) =>
    `${memory.anonMb.toFixed(0)} MB anonymous + ${memory.fileMb.toFixed(0)} MB mapped LevelDB tables`;
  const settledNote =
    measured.settleSeconds === undefined
      ? `still busy ${SETTLE_DEADLINE_MS / 1000} s after the reads`
      : `idle ${measured.settleSeconds.toFixed(0)} s after the reads`;
  return [
    {
      name: `${org}.startup`,
      value: measured.startupMs,
      unit: 'ms',
      target: { on: 'value', comparison: '<=', bound: 2000 },
      note: `${role}; ${measured.logSize} transactions, ${measured.height} blocks`,
    },
    {
      name: `${org}.rss.afterStart`,
      value: measured.afterStart.rssMb,
      unit: 'MB',
      target: { on: 'value', comparison: '<=', bound: RSS_TARGET_MB },
      note: `VmRSS: ${split(measured.afterStart)}`,
    },
    {
      name: `${org}.rss.afterReads`,
      value: measured.afterReads.rssMb,
      unit: 'MB',
      target: { on: 'value', comparison: '<=', bound: RSS_TARGET_MB },
      note: `VmRSS after ${READS} block and proof reads: ${split(measured.afterReads)}`,
    },
    {
      name: `${org}.rss.afterReads.anon`,
      value: measured.afterReads.anonMb,
      unit: 'MB',
      note: 'RssAnon: the node itself (heap, caches, buffers)',
    },
    {
      name: `${org}.rss.afterReads.file`,
      value: measured.afterReads.fileMb,
      unit: 'MB',
      note: "RssFile: resident pages of LevelDB's memory-mapped tables (page cache the kernel can drop)",
    },
    {
      name: `${org}.rss.settled`,
      value: measured.settled.rssMb,
      unit: 'MB',
      target: { on: 'value', comparison: '<=', bound: RSS_TARGET_MB },
      note: `VmRSS, ${settledNote}: ${split(measured.settled)}`,
    },
    { name: `${org}.rss.peak`, value: measured.settled.peakMb, unit: 'MB', note: 'VmHWM' },
    {
      name: `${org}.cpuSeconds`,
      value: measured.cpuSeconds,
      unit: 's',
      note: 'node CPU from answering until settled: the reads plus any background work',
    },
  ];
}

export const memoryStartup: Benchmark = {
  name: 'memory-startup',
  description:
    'node start over the big chain (a hospital, then the recipient): time to API, RSS after start, after 1,000 proof/block reads and settled',
  target: 'RSS <= 300 MB, start-up <= 2,000 ms',
  timeLimitMs: 3_600_000,
  async run(context) {
    const chain = await bigChainFor(context);
    const figures: Figure[] = [];
    for (const { org, role } of NODES) {
      context.log(`memory-startup: ${org} (${role})`);
      figures.push(...figuresOf(org, role, await measureNode(context, chain, org, role)));
    }
    return figures;
  },
};
