// Issue 7 item 4: `bayledger chain verify` of a 1,000,000-transaction certified chain, as a
// compiled child process (the command an operator runs), in transactions per second against the
// verify ceiling divided by the signatures each transaction carries (a consent grant has two, a
// declaration one: 1.5 on average in the workload of test/bench/fixtures/workload.ts). The chain
// comes from the shared generator (fixtures/big-chain.ts, ensureBigChain) and is reused by the
// proofs benchmark in the same run. BAYLEDGER_BENCH_CHAIN_TXS sets its size;
// BAYLEDGER_BENCH_CHAIN_DIR keeps it between runs (generation takes minutes), otherwise it lives in
// a temp folder removed when the run exits.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BigChain, ensureBigChain } from '../fixtures/big-chain.js';
import { repoRoot } from '../lib/network.js';
import type { BenchContext, Benchmark } from '../types.js';

export const BIG_CHAIN_TXS = Number(process.env.BAYLEDGER_BENCH_CHAIN_TXS ?? 1_000_000);
/** How often the running `chain verify` process's memory is sampled. */
const MEMORY_SAMPLE_MS = 2000;
/** Consent grant (patient + hospital) and declaration (hospital), alternating. */
const SIGNATURES_PER_TX = 1.5;

let bigChain: Promise<BigChain> | undefined;

/** The run's big chain, generated (or resumed, or reused) once per process. */
export function bigChainFor(context: BenchContext): Promise<BigChain> {
  bigChain ??= (async () => {
    let dir = process.env.BAYLEDGER_BENCH_CHAIN_DIR;
    if (dir === undefined) {
      dir = await mkdtemp(path.join(tmpdir(), 'bayledger-bench-big-chain-'));
      const created = dir;
      process.once('exit', () => rmSync(created, { recursive: true, force: true }));
    }
    const started = performance.now();
    let lastLogMs = started;
    const chain = await ensureBigChain(dir, BIG_CHAIN_TXS, {
      onProgress: ({ height, targetHeight }) => {
        if (performance.now() - lastLogMs < 10_000) return;
        lastLogMs = performance.now();
        context.log(`big chain: block ${height} of ${targetHeight}`);
      },
    });
    context.log(
      `big chain: ${chain.txCount} transactions in ${chain.height} blocks ready after ${((performance.now() - started) / 1000).toFixed(0)} s (${dir})`,
    );
    return chain;
  })();
  return bigChain;
}

interface MemorySample {
  readonly peakMb: number;
  readonly anonMb: number;
  readonly fileMb: number;
}

/** VmHWM and the RssAnon/RssFile split of a running process (MB); undefined once it is gone. */
async function peakOf(pid: number): Promise<MemorySample | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { peakMb: kb('VmHWM') / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024 };
  } catch {
    return undefined;
  }
}

/** The child processes of `pid` (Linux lists them per thread); none once it is gone. */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const lists = await Promise.all(
      (await readdir(`/proc/${pid}/task`)).map((task) =>
        readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => ''),
      ),
    );
    return lists.flatMap((list) =>
      list
        .split(' ')
        .filter((word) => word !== '')
        .map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * peakOf summed over a process and its descendants: `chain verify` verifies in a child process of
 * its own (verify-sources.ts). The sum of each one's VmHWM bounds their joint peak from above.
 */
async function treePeakOf(pid: number): Promise<MemorySample | undefined> {
  const own = await peakOf(pid);
  if (own === undefined) return undefined;
  const below = await Promise.all((await childrenOf(pid)).map((child) => treePeakOf(child)));
  return below.reduce<MemorySample>(
    (sum, sample) =>
      sample === undefined
        ? sum
        : {
            peakMb: sum.peakMb + sample.peakMb,
            anonMb: sum.anonMb + sample.anonMb,
            fileMb: sum.fileMb + sample.fileMb,
          },
    own,
  );
}

interface CliRun {
  readonly stdout: string;
  /** Highest VmHWM seen while it ran, and the largest anonymous / file-backed parts. */
  readonly peakMb: number;
  readonly anonMb: number;
  readonly fileMb: number;
}

/**
 * Runs the compiled CLI to completion, sampling its memory every MEMORY_SAMPLE_MS; rejects on a
 * non-zero exit or when `signal` aborts.
 */
function runCli(args: readonly string[], signal: AbortSignal): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot(), 'bin/bayledger.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    let stdout = '';
    let stderr = '';
    const memory = { peakMb: 0, anonMb: 0, fileMb: 0 };
    const sampler = setInterval(() => {
      if (child.pid === undefined) return;
      void treePeakOf(child.pid).then((sample) => {
        if (sample === undefined) return;
        memory.peakMb = Math.max(memory.peakMb, sample.peakMb);
        memory.anonMb = Math.max(memory.anonMb, sample.anonMb);
        memory.fileMb = Math.max(memory.fileMb, sample.fileMb);
      });
    }, MEMORY_SAMPLE_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', (error) => {
      clearInterval(sampler);
      reject(error);
    });
    child.once('close', (code) => {
      clearInterval(sampler);
      if (code === 0) resolve({ stdout, ...memory });
      else reject(new Error(`bayledger ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
}

export const chainVerify: Benchmark = {
  name: 'chain-verify',
  description: '`bayledger chain verify` of the big certified chain (1,000,000 transactions by default)',
  target: 'ratio >= 0.70 of verify.allCores / signatures per transaction',
  timeLimitMs: 3_600_000,
  async run(context) {
    const ceiling = await context.ceiling();
    const chain = await bigChainFor(context);
    const started = performance.now();
    const run = await runCli(
      ['chain', 'verify', '--data-dir', chain.dataDir, '--genesis', chain.genesisPath, '--json'],
      context.signal,
    );
    const seconds = (performance.now() - started) / 1000;
    const verdict = JSON.parse(run.stdout) as { ok: boolean; txCount: number; height: number };
    if (!verdict.ok) throw new Error(`chain verify refused the big chain: ${run.stdout}`);
    return [
      {
        name: 'txPerSecond',
        value: verdict.txCount / seconds,
        unit: 'tx/s',
        ceiling: {
          name: `verify.allCores / ${SIGNATURES_PER_TX} sigs per tx`,
          value: ceiling.verifyAllCoresPerSecond / SIGNATURES_PER_TX,
        },
        target: { on: 'ratio', comparison: '>=', bound: 0.7 },
        note: `${verdict.txCount} transactions, ${verdict.height} blocks in ${seconds.toFixed(1)} s, process start included`,
      },
      { name: 'seconds', value: seconds, unit: 's' },
      {
        name: 'rss.peak',
        value: run.peakMb,
        unit: 'MB',
        note: `VmHWM of the CLI and its verify process, summed, sampled every ${MEMORY_SAMPLE_MS / 1000} s; largest parts seen: ${run.anonMb.toFixed(0)} MB anonymous (re-derived state off the heap), ${run.fileMb.toFixed(0)} MB mapped LevelDB tables`,
      },
    ];
  },
};
