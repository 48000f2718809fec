// A local network of real node processes (issue 5 item 5, `bayledger up`): one child process per
// organisation of a network folder written by `network init`, each with its log in
// DIR/<org>/node.log; waits until every node answers on its API and the validators are connected
// to each other; writes DIR/nodes.json; stops them all on request.
//
// "Answers" means "this network's node answers": a port can be held by another network (two
// `up`s on the default ports, or the same folder started twice), and that network's nodes answer
// /status as happily as ours would while ours die of EADDRINUSE. So the ports are checked before
// anything is spawned, every answer is checked against the organisation, chain id and genesis hash
// this network was started with, and a child that exits fails the start at once.
import { type ChildProcess, spawn } from 'node:child_process';
import { open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { toHex } from '../core/bytes.js';
import { genesisHash } from '../core/config/genesis-hash.js';
import { BayledgerError, fail } from '../core/errors.js';
import { readGenesisFile } from './chain/open-chain.js';
import { configFieldSource, loadNodeConfig, type NodeConfig } from './config/node-config.js';
import { isLogThreshold, LOG_LEVELS } from './log/logger.js';
import { nodeProcessEnv } from './malloc-tuning.js';
import { withNodeHeapFlags } from './v8-tuning.js';

export interface LocalNodeInfo {
  readonly org: string;
  readonly role: string;
  readonly api: string;
  readonly tokenFile: string;
  readonly config: string;
  readonly log: string;
}

/** A node process that ended while nobody had asked it to stop. */
export interface LocalNodeExit {
  readonly org: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly log: string;
  /** The last lines this run wrote to the node's log (not an earlier run's). */
  readonly lastLogLines: string;
}

export interface LocalNetwork {
  readonly nodes: readonly LocalNodeInfo[];
  /**
   * Resolves when a node process exits before stop() was called: the network is then broken and
   * its owner should stop the rest. Never rejects; never resolves after stop().
   */
  readonly nodeExit: Promise<LocalNodeExit>;
  /** Sends SIGTERM to every node and waits for them to exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface StartLocalNetworkOptions {
  readonly dir: string;
  /** How to run the CLI in a child: [execPath, ...args]; `node start --config X` is appended. */
  readonly command: readonly string[];
  readonly logLevel?: string;
  /** Give up waiting for readiness after this long. */
  readonly readyTimeoutMs?: number;
  readonly onProgress?: (message: string) => void;
}

/** What a node of this network must report about itself. */
export interface ExpectedIdentity {
  readonly org: string;
  readonly chainId: string;
  /** Hex SHA-256 of the network's genesis (block 1's previousHash). */
  readonly genesisHash: string;
}

/** What a node's /status answers (each field unchecked: any program can answer on the port). */
export interface StatusAnswer {
  readonly org?: unknown;
  readonly chainId?: unknown;
  readonly peers?: unknown;
  readonly height?: unknown;
  readonly blockHash?: unknown;
  readonly ready?: unknown;
}

/**
 * What answers on a node's API port. 'mine' carries the /status answer the identity was checked
 * on, so a caller that also wants the node's status (peers, height) need not ask again.
 */
export type ApiProbe =
  | { readonly kind: 'silent' }
  | { readonly kind: 'mine'; readonly status: StatusAnswer }
  | { readonly kind: 'other'; readonly description: string };

const POLL_INTERVAL_MS = 200;
const PROBE_TIMEOUT_MS = 1000;
const LOG_LINES_QUOTED = 3;
/** Only the end of a long log is read to quote its last lines. */
const LOG_TAIL_BYTES = 64 * 1024;
const SHORT_HASH_CHARS = 16;

async function nodeConfigPaths(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const paths: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const candidate = path.join(dir, entry.name, 'node.json');
    try {
      await readFile(candidate);
      paths.push(candidate);
    } catch {
      // not a node folder
    }
  }
  if (paths.length === 0) fail('NOT_FOUND', 'no <org>/node.json in this folder: run network init first', dir);
  return paths.sort();
}

async function getJson(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!response.ok) return undefined;
    return (await response.json()) as unknown;
  } catch {
    return undefined;
  }
}

async function fetchStatus(api: string): Promise<StatusAnswer | undefined> {
  const body = await getJson(`${api}/status`);
  return typeof body === 'object' && body !== null ? (body as StatusAnswer) : undefined;
}

/**
 * The genesis hash of the chain a node serves: its tip's hash at height 0, else block 1's
 * previousHash (/status does not carry the genesis hash itself). Undefined if it cannot be read.
 */
async function genesisHashOf(api: string, status: StatusAnswer): Promise<string | undefined> {
  if (status.height === 0) return typeof status.blockHash === 'string' ? status.blockHash : undefined;
  const block = (await getJson(`${api}/chain/blocks/1`)) as
    | { header?: { previousHash?: unknown } }
    | undefined;
  const previousHash = block?.header?.previousHash;
  return typeof previousHash === 'string' ? previousHash : undefined;
}

function describeOther(status: StatusAnswer, hash: string | undefined): string {
  const org = typeof status.org === 'string' ? status.org : '?';
  const chain = typeof status.chainId === 'string' ? status.chainId : '?';
  const genesis = hash === undefined ? '' : `, genesis ${hash.slice(0, SHORT_HASH_CHARS)}...`;
  return `another node (org ${org}, chain ${chain}${genesis})`;
}

/** Asks the API at `api` who it is and compares the answer with the node expected there. */
export async function probeNode(api: string, expected: ExpectedIdentity): Promise<ApiProbe> {
  const status = await fetchStatus(api);
  if (status === undefined) return { kind: 'silent' };
  if (status.org !== expected.org || status.chainId !== expected.chainId)
    return { kind: 'other', description: describeOther(status, undefined) };
  const hash = await genesisHashOf(api, status);
  // A node that answered /status but not its block yet is asked again on the next poll.
  if (hash === undefined) return { kind: 'silent' };
  if (hash !== expected.genesisHash) return { kind: 'other', description: describeOther(status, hash) };
  return { kind: 'mine', status };
}

/** The identity every node of the network folder `dir` must report, by organisation. */
export async function expectedIdentities(dir: string): Promise<Map<string, ExpectedIdentity>> {
  return identitiesOf(await Promise.all((await nodeConfigPaths(dir)).map((file) => loadNodeConfig(file))));
}

/** expectedIdentities for node configs already loaded (each genesis file is read once). */
async function identitiesOf(configs: readonly NodeConfig[]): Promise<Map<string, ExpectedIdentity>> {
  const identities = new Map<string, ExpectedIdentity>();
  const hashes = new Map<string, { chainId: string; hash: string }>();
  for (const config of configs) {
    let genesis = hashes.get(config.genesis);
    if (genesis === undefined) {
      const parsed = await readGenesisFile(config.genesis, configFieldSource(config, 'genesis'));
      genesis = { chainId: parsed.chainId, hash: toHex(genesisHash(parsed)) };
      hashes.set(config.genesis, genesis);
    }
    identities.set(config.org, { org: config.org, chainId: genesis.chainId, genesisHash: genesis.hash });
  }
  return identities;
}

/** The one-line advice after a port that is taken by another network. */
const PORT_ADVICE =
  'is another network running? stop it, or create this network in a new folder with --base-port 0';

export function portTakenMessage(org: string, port: number, holder: string): string {
  return `node ${org}: port ${port} is ${holder}: ${PORT_ADVICE}`;
}

/** True if nothing listens on host:port (the OS lets us bind it). */
function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function p2pPortOf(config: NodeConfig): { host: string; port: number } | undefined {
  const match = /^\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(config.p2pListen);
  return match === null ? undefined : { host: match[1]!, port: Number(match[2]) };
}

/** Fails, naming the organisation and the port, if a port one of the nodes needs is taken. */
async function checkPortsFree(
  configs: readonly NodeConfig[],
  identities: ReadonlyMap<string, ExpectedIdentity>,
): Promise<void> {
  for (const config of configs) {
    const api = `http://${config.apiHost}:${config.apiPort}`;
    if (!(await portIsFree(config.apiHost, config.apiPort))) {
      const probe = await probeNode(api, identities.get(config.org)!);
      if (probe.kind === 'mine')
        fail(
          'CONFLICT',
          `node ${config.org}: port ${config.apiPort} is already answered by this network's ${config.org}: is this network already running (another bayledger up)? stop it first`,
          config.configPath,
        );
      const holder =
        probe.kind === 'other' ? `answered by ${probe.description}` : 'in use by another program';
      fail('CONFLICT', portTakenMessage(config.org, config.apiPort, holder), config.configPath);
    }
    const p2p = p2pPortOf(config);
    if (p2p !== undefined && !(await portIsFree(p2p.host, p2p.port)))
      fail(
        'CONFLICT',
        portTakenMessage(config.org, p2p.port, 'in use (its peer-to-peer port)'),
        config.configPath,
      );
  }
}

/** The text appended to `file` since it was `fromBytes` long (at most its last LOG_TAIL_BYTES). */
async function logSince(file: string, fromBytes: number): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      const start = Math.max(fromBytes, size - LOG_TAIL_BYTES);
      const buffer = Buffer.alloc(Math.max(0, size - start));
      await handle.read(buffer, 0, buffer.byteLength, start);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split('\n').slice(-count);
  return lines.join(' | ');
}

/** "node X exited with code 1 during start-up; last log lines: ..." in one line (give the log as where). */
export function describeNodeExit(exit: LocalNodeExit, when: string): string {
  const how = exit.signal !== null ? `on ${exit.signal}` : `with code ${exit.code}`;
  const tail = exit.lastLogLines === '' ? 'its log is empty' : `last log lines: ${exit.lastLogLines}`;
  return `node ${exit.org} exited ${how} ${when}; ${tail}`;
}

/**
 * The error a command fails with when a node of the network it started exits on its own: the
 * node's organisation, exit code or signal and last log lines, placed at its log file.
 */
export function nodeExitError(exit: LocalNodeExit, when: string): BayledgerError {
  return new BayledgerError('NOT_READY', describeNodeExit(exit, when), exit.log);
}

/**
 * How long a failed piece of work waits for a node's exit to be reported before its own error is
 * taken as the cause. A request to a node that has just died fails at once (connection refused or
 * reset), while its exit is reported only after the child's pipes close and its log is read.
 */
export const NODE_EXIT_GRACE_MS = 2000;

/**
 * Races `work` against a node exit. `{ exit }` if a node exits before `work` settles, or if
 * `work` fails and a node exits within `graceMs` after (the failure then most likely follows
 * from the exit, and the exit is what to report); `{ value }` if `work` succeeds first; else
 * rejects with `work`'s own error. `work` is not stopped: its owner stops the network.
 */
export async function raceNodeExit<T>(
  nodeExit: Promise<LocalNodeExit>,
  work: Promise<T>,
  graceMs = NODE_EXIT_GRACE_MS,
): Promise<{ readonly value: T } | { readonly exit: LocalNodeExit }> {
  const exited = nodeExit.then((exit) => ({ exit }));
  const outcome = await Promise.race([
    work.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    exited,
  ]);
  if (!('error' in outcome)) return outcome;
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([
    exited,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, graceMs, undefined);
    }),
  ]);
  clearTimeout(timer);
  if (late !== undefined) return late;
  throw outcome.error;
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

export async function startLocalNetwork(options: StartLocalNetworkOptions): Promise<LocalNetwork> {
  const logLevel = options.logLevel ?? 'info';
  // Checked here too (the commands check their flag first) so a bad level fails before any spawn.
  if (!isLogThreshold(logLevel))
    fail('USAGE', `--log-level ${logLevel}: use one of ${LOG_LEVELS.join(', ')}`);
  const configs = await Promise.all((await nodeConfigPaths(options.dir)).map((file) => loadNodeConfig(file)));
  const identities = await identitiesOf(configs);
  await checkPortsFree(configs, identities);

  const children: ChildProcess[] = [];
  const infos: LocalNodeInfo[] = [];
  const exits = new Map<string, LocalNodeExit>();
  let stopping = false;
  let reportExit: (exit: LocalNodeExit) => void = () => {};
  const nodeExit = new Promise<LocalNodeExit>((resolve) => {
    reportExit = resolve;
  });
  const stop = async (graceMs = 10_000): Promise<void> => {
    stopping = true;
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(killer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    for (const config of configs) {
      const log = path.join(path.dirname(config.configPath), 'node.log');
      // The log is appended to across runs: only what this run writes is quoted after a failure.
      const logStartBytes = await fileSize(log);
      // V8's heap flags go on every node's command line (v8-tuning.ts: only there do they work).
      const [executable, ...baseArgs] = withNodeHeapFlags(options.command);
      // The node writes its log itself, to a descriptor opened for appending (so its stdout and
      // stderr lines do not overwrite each other): it outlives this process, which a node stopping
      // because this process died needs in order to log that it stops.
      const logFile = await open(log, 'a');
      let child: ChildProcess;
      try {
        // The node reads its standard input only to see it end: this process holds the other end
        // and never writes, so however it dies (SIGKILL included) its nodes stop with it.
        // Each node leads a process group of its own (detached), so that a terminal's Ctrl-C, which
        // signals the whole foreground job, reaches this process alone: sharing our group, every
        // node got SIGINT from the terminal and then our SIGTERM, took the second for an
        // impatient operator and ended at once, its clean shutdown cut short.
        child = spawn(
          executable!,
          [
            ...baseArgs,
            'node',
            'start',
            '--config',
            config.configPath,
            '--log-level',
            logLevel,
            '--stop-on-stdin-end',
          ],
          { stdio: ['pipe', logFile.fd, logFile.fd], detached: true, env: nodeProcessEnv(config.role) },
        );
      } finally {
        await logFile.close();
      }
      child.once('close', async (code, signal) => {
        const exit: LocalNodeExit = {
          org: config.org,
          code,
          signal,
          log,
          lastLogLines: lastLines(await logSince(log, logStartBytes), LOG_LINES_QUOTED),
        };
        exits.set(config.org, exit);
        if (!stopping) reportExit(exit);
      });
      children.push(child);
      infos.push({
        org: config.org,
        role: config.role,
        api: `http://${config.apiHost}:${config.apiPort}`,
        tokenFile: config.apiTokenFile,
        config: config.configPath,
        log,
      });
    }
    await waitUntilReady(infos, identities, exits, options);
    await writeFile(
      path.join(options.dir, 'nodes.json'),
      `${JSON.stringify(
        infos.map((info) => ({ org: info.org, role: info.role, api: info.api, tokenFile: info.tokenFile })),
        null,
        2,
      )}\n`,
    );
    return { nodes: infos, nodeExit, stop };
  } catch (error) {
    await stop(2000);
    throw error;
  }
}

function failIfAnyExited(infos: readonly LocalNodeInfo[], exits: ReadonlyMap<string, LocalNodeExit>): void {
  for (const info of infos) {
    const exit = exits.get(info.org);
    if (exit !== undefined) throw nodeExitError(exit, 'during start-up');
  }
}

/**
 * Polls every node until each answers as this network's node and the validators are connected
 * (each validator to every other, each follower to the first validator). Fails at once if a child
 * exits or a port is answered by another network's node. Exported for its unit test.
 */
export async function waitUntilReady(
  infos: readonly LocalNodeInfo[],
  identities: ReadonlyMap<string, ExpectedIdentity>,
  exits: ReadonlyMap<string, LocalNodeExit>,
  options: StartLocalNetworkOptions,
): Promise<void> {
  const deadline = performance.now() + (options.readyTimeoutMs ?? 60_000);
  const validators = infos.filter((info) => info.role === 'validator').map((info) => info.org);
  // Once a node has shown this network's genesis it stays ours while its child lives.
  const confirmed = new Set<string>();
  let reported = '';
  for (;;) {
    failIfAnyExited(infos, exits);
    const statuses = await Promise.all(
      infos.map(async (info) => {
        // Each poll asks a node for /status once: the probe that confirms it returns that answer.
        if (confirmed.has(info.org)) return fetchStatus(info.api);
        const probe = await probeNode(info.api, identities.get(info.org)!);
        if (probe.kind === 'other') {
          const port = new URL(info.api).port;
          fail('CONFLICT', portTakenMessage(info.org, Number(port), `answered by ${probe.description}`));
        }
        if (probe.kind === 'silent') return undefined;
        confirmed.add(info.org);
        return probe.status;
      }),
    );
    // A child that died while the statuses were read must not be counted as answering.
    failIfAnyExited(infos, exits);
    const answering = statuses.filter((status) => status !== undefined).length;
    const meshed = infos.every((info, index) => {
      const peers = statuses[index]?.peers;
      if (!Array.isArray(peers)) return false;
      const needed =
        info.role === 'validator' ? validators.filter((id) => id !== info.org) : validators.slice(0, 1);
      return needed.every((id) => peers.includes(id));
    });
    const progress = `${answering}/${infos.length} nodes answering${answering === infos.length ? ', connecting peers' : ''}`;
    if (progress !== reported) {
      options.onProgress?.(progress);
      reported = progress;
    }
    // Ready too: a node's API answers a moment before its transfer routes are attached.
    if (meshed && statuses.every((status) => status?.ready === true)) return;
    if (performance.now() > deadline) fail('NOT_READY', `the network did not come up in time (${progress})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
