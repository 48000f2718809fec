// A real local network for end-to-end tests: `network init --base-port 0` into a temporary folder,
// then every node as its own child process (`bayledger node start --config DIR/<org>/node.json`),
// so a test can SIGKILL one node, restart it, tamper with its files or start a stranger beside it.
// Children run the compiled CLI when dist/ is fresh, else the sources (cli-command.ts).
//
//   const net = await startTestNetwork();
//   const grant = await net.makeConsentGrant();
//   await net.submit('sz-cac', grant.bytes, { wait: true });
//   await net.kill('qianhai');
//   await net.restart('qianhai');
//   await net.stop(); // in `after`, always: kills every process and removes the folder
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkInit } from '../../cli/commands/network-init.js';
import { toHex } from '../../src/core/bytes.js';
import type { ConsensusParams, Genesis, OrganisationRole } from '../../src/core/config/genesis.js';
import { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { encodeTxEnvelope, signTx, txIdOf } from '../../src/core/records/index.js';
import { readApiTokenFile } from '../../src/node/api/token-file.js';
import { readGenesisFile } from '../../src/node/chain/open-chain.js';
import { loadNodeConfig, type NodeConfig } from '../../src/node/config/node-config.js';
import { readKeyFile } from '../../src/node/keys/key-file.js';
import { nodeProcessEnv } from '../../src/node/malloc-tuning.js';
import type { NodeStatusView } from '../../src/node/node-runtime.js';
import { withNodeHeapFlags } from '../../src/node/v8-tuning.js';
import { type CliResult, runCommand, trackChild } from './child.js';
import { cliCommand, REPO_ROOT } from './cli-command.js';
import { consentGrantBody } from './fixtures.js';
import { waitFor as pollUntil, type WaitOptions } from './wait.js';

export { type CliResult, REPO_ROOT };

const TEMPLATE_PATH = path.join(REPO_ROOT, 'network-config/gba-health.json');
const DAY_SECONDS = 86_400;
/** Runs a command with one folder on a small tmpfs of its own (restartOnSmallDisk). */
export const SMALL_DISK_SCRIPT = fileURLToPath(new URL('./small-disk.sh', import.meta.url));
/** Preloaded into nodes with a skewed wall clock (TestNetworkOptions.clockOffsetsMs). */
const SKEWED_CLOCK_MODULE = new URL('./skewed-clock.mjs', import.meta.url).href;
/** How long a (re)started node may take to answer on its API (tsx start-up on a loaded machine). */
const START_TIMEOUT_MS = 60_000;
/** SIGTERM grace before SIGKILL in stop(). */
const STOP_GRACE_MS = 5_000;

export interface TestNetworkOptions {
  /** Validators, 1 to 4 from the sample template (default 4). */
  readonly validators?: number;
  /** Followers (submitting hospitals and the recipient), 0 to 3 (default 3). */
  readonly followers?: number;
  /** Consensus parameters that differ from the sample template (timeouts, heartbeatMs, ...). */
  readonly consensus?: Partial<ConsensusParams>;
  /** Node log level (default 'info'). */
  readonly logLevel?: string;
  /** Runs once the network's folder is written, before any node starts (to edit node.json files). */
  readonly beforeStart?: (net: TestNetwork) => Promise<void>;
  /**
   * Organisations whose node processes run with their wall clock this many milliseconds off the
   * machine's (test/helpers/skewed-clock.mjs); `setClockOffset` steps it while they run.
   */
  readonly clockOffsetsMs?: Readonly<Record<string, number>>;
  /** Every node starts as with `clockOffsetsMs` at 0 (right), so `setClockOffset` works on any. */
  readonly everyClockSkewable?: boolean;
}

export interface TestNode {
  readonly org: string;
  readonly role: string;
  readonly config: NodeConfig;
  readonly configPath: string;
  readonly api: string;
  readonly log: string;
  /** The running child, or undefined while the node is stopped. */
  process: ChildProcess | undefined;
}

export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly json: T;
}

export interface SubmitOptions {
  /** POST /tx?wait=commit: answer once the transaction is committed (200) or after timeoutMs (202). */
  readonly wait?: boolean;
  readonly timeoutMs?: number;
}

export interface ConsentGrant {
  readonly bytes: Uint8Array;
  readonly txIdHex: string;
  readonly patient: Ed25519Signer;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface ExtraNode {
  readonly api: string;
  readonly process: ChildProcess;
  log(): Promise<string>;
  stop(): Promise<void>;
}

export interface TestNetwork {
  readonly dir: string;
  readonly genesis: Genesis;
  readonly genesisPath: string;
  readonly nodes: ReadonlyMap<string, TestNode>;
  readonly validators: readonly string[];
  readonly followers: readonly string[];
  /** The command line that runs the CLI in a child ([execPath, ...args]). */
  readonly cli: readonly string[];
  signerOf(org: string): Promise<Ed25519Signer>;
  tokenOf(org: string): Promise<string>;
  api(org: string): string;
  /** GET a path on a node's API (default timeout 10 s); JSON answers are parsed. */
  get<T = unknown>(
    org: string,
    pathAndQuery: string,
    options?: { timeoutMs?: number },
  ): Promise<ApiAnswer<T>>;
  /** POSTs a canonical envelope as application/cbor with the node's token. */
  submit(org: string, envelopeBytes: Uint8Array, options?: SubmitOptions): Promise<ApiAnswer>;
  status(org: string, options?: { timeoutMs?: number }): Promise<NodeStatusView>;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  kill(org: string, signal?: NodeJS.Signals): Promise<ProcessExit>;
  /** Starts a stopped node again and waits until its API answers. */
  restart(org: string): Promise<void>;
  /**
   * Starts a stopped node with its data directory (or `folder`, e.g. its inbox) on a disk of
   * `bytes` of its own (a tmpfs over the folder in a private mount namespace,
   * test/helpers/small-disk.sh) and waits until its API answers. When the node's process ends,
   * what it left on that disk becomes the folder's content. While it runs, the test sees the
   * small disk at `/proc/<pid>/root<folder>` (pid of the node's process).
   */
  restartOnSmallDisk(org: string, bytes: number, folder?: string): Promise<void>;
  isRunning(org: string): boolean;
  /** Everything a node has logged (all its runs). */
  logOf(org: string): Promise<string>;
  /** Polls `condition` until it returns a truthy value; fails after the deadline. Never a fixed sleep. */
  waitFor<T>(what: string, condition: () => T | Promise<T>, options?: WaitOptions): Promise<NonNullable<T>>;
  /**
   * Starts a node that is not part of this network's folder (a stranger, a copy) from its own
   * node.json, with debug logs; waits until its API answers. `stop()` SIGKILLs it.
   */
  startExtraNode(name: string, configPath: string): Promise<ExtraNode>;
  /** Runs the CLI (the same build the nodes run) to completion; kills it after the timeout. */
  runCli(args: readonly string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  /**
   * Steps the wall clock of a node started with `clockOffsetsMs` to `offsetMs` off the machine's;
   * a running node sees the step within 50 ms, a stopped one when it starts.
   */
  setClockOffset(org: string, offsetMs: number): Promise<void>;
  /** A consent grant signed now by a fresh random patient key and hku-szh's node key. */
  makeConsentGrant(): Promise<ConsentGrant>;
  /**
   * Kills every process and removes the folder, unless `keep` (default: BAYLEDGER_TEST_KEEP is
   * set) asks to keep it for a post-mortem. Safe to call twice.
   */
  stop(options?: { readonly keep?: boolean }): Promise<void>;
}

/**
 * A consent grant for hku-szh -> ehealth-hk, valid from a minute ago for 30 days, signed by a
 * fresh random patient key and countersigned by `hospital` (hku-szh's node key).
 */
export function makeConsentGrant(hospital: Ed25519Signer, chainId: string): ConsentGrant {
  const patient = new Ed25519Signer(new Uint8Array(randomBytes(32)));
  const nowSeconds = Math.floor(Date.now() / 1000);
  const body = consentGrantBody({
    patient: patient.publicKey,
    categories: ['imaging-study', 'radiology-report'],
    validFrom: nowSeconds - 60,
    validUntil: nowSeconds + 30 * DAY_SECONDS,
    noticeDigest: sha256(new TextEncoder().encode('e2e notice v1')),
    nonce: new Uint8Array(randomBytes(16)),
  });
  const bytes = encodeTxEnvelope(signTx('consent.grant', body, [patient, hospital], chainId));
  return { bytes, txIdHex: toHex(txIdOf(bytes)), patient };
}

/** Whether a node API answers /status at all (a stopped or not yet started node does not). */
export async function apiAnswers(api: string): Promise<boolean> {
  try {
    return (await fetch(`${api}/status`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

interface TemplateJson {
  $schema?: string;
  organisations: Array<{ id: string; role: string }>;
  consensus: Record<string, number>;
  policy: { negativeList: Array<{ assessors: string[] }> };
}

/** The sample template cut down to the requested organisations, with consensus overrides. */
async function writeTemplate(directory: string, options: TestNetworkOptions): Promise<string> {
  const template = JSON.parse(await readFile(TEMPLATE_PATH, 'utf8')) as TemplateJson;
  const validatorCount = options.validators ?? 4;
  const followerCount = options.followers ?? 3;
  const validators = template.organisations.filter((o) => o.role === 'validator');
  const followers = template.organisations.filter((o) => o.role !== 'validator');
  if (validatorCount < 1 || validatorCount > validators.length)
    throw new Error(`validators: 1 to ${validators.length}`);
  if (followerCount < 0 || followerCount > followers.length)
    throw new Error(`followers: 0 to ${followers.length}`);
  const kept = [...validators.slice(0, validatorCount), ...followers.slice(0, followerCount)];
  const keptIds = new Set(kept.map((o) => o.id));
  template.organisations = kept;
  template.$schema = undefined;
  template.consensus = { ...template.consensus, ...(options.consensus as Record<string, number>) };
  for (const entry of template.policy.negativeList)
    entry.assessors = entry.assessors.filter((id) => keptIds.has(id));
  const file = path.join(directory, 'template.json');
  await writeFile(file, JSON.stringify(template, null, 2));
  return file;
}

export async function startTestNetwork(options: TestNetworkOptions = {}): Promise<TestNetwork> {
  const root = await mkdtemp(path.join(tmpdir(), 'bayledger-e2e-'));
  let network: TestNetworkImpl | undefined;
  try {
    const dir = path.join(root, 'net');
    const templatePath = await writeTemplate(root, options);
    await networkInit({ out: dir, template: templatePath, basePort: 0, quiet: true });
    network = await TestNetworkImpl.open(root, dir, options.logLevel ?? 'info');
    const skewed = options.everyClockSkewable ? network.nodes.keys() : [];
    const clockOffsetsMs = {
      ...Object.fromEntries([...skewed].map((org) => [org, 0])),
      ...options.clockOffsetsMs,
    };
    for (const [org, offsetMs] of Object.entries(clockOffsetsMs)) await network.skewClock(org, offsetMs);
    await options.beforeStart?.(network);
    await network.startAll();
    return network;
  } catch (error) {
    await network?.stop();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

class TestNetworkImpl implements TestNetwork {
  readonly dir: string;
  readonly genesis: Genesis;
  readonly genesisPath: string;
  readonly nodes: ReadonlyMap<string, TestNode>;
  readonly validators: readonly string[];
  readonly followers: readonly string[];
  readonly cli: readonly string[];
  readonly #root: string;
  readonly #logLevel: string;
  readonly #signers = new Map<string, Ed25519Signer>();
  readonly #tokens = new Map<string, string>();
  /** Nodes started behind a launcher, each the leader of its own process group. */
  readonly #grouped = new WeakSet<ChildProcess>();
  /** The offset file of each organisation whose node runs with a skewed wall clock. */
  readonly #clockOffsetFiles = new Map<string, string>();
  #stopped = false;

  private constructor(
    root: string,
    dir: string,
    genesis: Genesis,
    nodes: Map<string, TestNode>,
    logLevel: string,
    cli: readonly string[],
  ) {
    this.#root = root;
    this.dir = dir;
    this.genesis = genesis;
    this.genesisPath = path.join(dir, 'genesis.json');
    this.nodes = nodes;
    this.validators = [...nodes.values()].filter((n) => n.role === 'validator').map((n) => n.org);
    this.followers = [...nodes.values()].filter((n) => n.role !== 'validator').map((n) => n.org);
    this.cli = cli;
    this.#logLevel = logLevel;
  }

  static async open(root: string, dir: string, logLevel: string): Promise<TestNetworkImpl> {
    const genesis = await readGenesisFile(path.join(dir, 'genesis.json'));
    const nodes = new Map<string, TestNode>();
    for (const organisation of genesis.organisations) {
      const configPath = path.join(dir, organisation.id, 'node.json');
      const config = await loadNodeConfig(configPath);
      nodes.set(organisation.id, {
        org: organisation.id,
        role: config.role,
        config,
        configPath,
        api: `http://${config.apiHost}:${config.apiPort}`,
        log: path.join(dir, organisation.id, 'node.log'),
        process: undefined,
      });
    }
    return new TestNetworkImpl(root, dir, genesis, nodes, logLevel, await cliCommand());
  }

  #node(org: string): TestNode {
    const node = this.nodes.get(org);
    if (node === undefined) throw new Error(`no organisation ${org} in this test network`);
    return node;
  }

  async startAll(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((org) => this.restart(org)));
    // Connected: every validator sees every other validator, every follower sees one validator.
    await this.waitFor(
      'every node connected to the validators',
      async () => {
        for (const node of this.nodes.values()) {
          const peers = (await this.status(node.org)).peers;
          const others = this.validators.filter((id) => id !== node.org);
          const needed = node.role === 'validator' ? others : others.slice(0, 1);
          if (!needed.every((id) => peers.includes(id))) return false;
        }
        return true;
      },
      { timeoutMs: START_TIMEOUT_MS },
    );
  }

  /**
   * Starts `node start`, behind `launcher` when one is given (a command that runs the rest of its
   * command line); a launched node gets a process group of its own, which kill() signals whole.
   */
  #spawn(
    configPath: string,
    role: OrganisationRole,
    log: string,
    logLevel = this.#logLevel,
    launcher: readonly string[] = [],
    clockOffsetFile?: string,
  ): ChildProcess {
    // Nodes run as `bayledger up` starts them: with V8's heap flags (src/node/v8-tuning.ts), malloc
    // on huge pages for the roles that move payloads (src/node/malloc-tuning.ts), and stopping when
    // this process's end of their standard input closes (a killed test leaves none).
    const [node, ...cliArgs] = withNodeHeapFlags(this.cli);
    const preload = clockOffsetFile === undefined ? [] : ['--import', SKEWED_CLOCK_MODULE];
    const nodeStart = [
      node!,
      ...preload,
      ...cliArgs,
      ...['node', 'start', '--config', configPath, '--log-level', logLevel, '--stop-on-stdin-end'],
    ];
    const [executable, ...args] = [...launcher, ...nodeStart];
    const base =
      clockOffsetFile === undefined
        ? process.env
        : { ...process.env, BAYLEDGER_TEST_CLOCK_OFFSET_FILE: clockOffsetFile };
    const env = nodeProcessEnv(role, base);
    const logFd = openSync(log, 'a');
    try {
      const child = spawn(executable!, args, {
        cwd: REPO_ROOT,
        env,
        stdio: ['pipe', logFd, logFd],
        detached: launcher.length > 0,
      });
      return trackChild(child);
    } finally {
      closeSync(logFd);
    }
  }

  /** From its next start on, `org`'s node runs with its wall clock `offsetMs` off the machine's. */
  async skewClock(org: string, offsetMs: number): Promise<void> {
    this.#node(org);
    this.#clockOffsetFiles.set(org, path.join(this.#root, `clock-offset-${org}`));
    await this.setClockOffset(org, offsetMs);
  }

  async setClockOffset(org: string, offsetMs: number): Promise<void> {
    const file = this.#clockOffsetFiles.get(org);
    if (file === undefined) throw new Error(`${org} was not started with a skewed clock (clockOffsetsMs)`);
    // Renamed over the old file: the node's reader never sees a half-written one.
    await writeFile(`${file}.new`, String(Math.trunc(offsetMs)));
    await rename(`${file}.new`, file);
  }

  async restart(org: string): Promise<void> {
    await this.#start(org, []);
  }

  async restartOnSmallDisk(org: string, bytes: number, folder?: string): Promise<void> {
    const small = folder ?? this.#node(org).config.dataDir;
    await this.#start(org, ['unshare', '--mount', 'sh', SMALL_DISK_SCRIPT, String(bytes), small]);
  }

  async #start(org: string, launcher: readonly string[]): Promise<void> {
    const node = this.#node(org);
    if (this.isRunning(org)) throw new Error(`${org} is already running`);
    const clockOffsetFile = this.#clockOffsetFiles.get(org);
    const child = this.#spawn(
      node.configPath,
      node.config.role,
      node.log,
      this.#logLevel,
      launcher,
      clockOffsetFile,
    );
    node.process = child;
    if (launcher.length > 0) this.#grouped.add(child);
    await this.#waitUntilAnswering(org, child, node.api, node.log);
  }

  async #waitUntilAnswering(name: string, child: ChildProcess, api: string, log: string): Promise<void> {
    const outcome = await this.waitFor(
      `${name} answering on its API`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) return 'exited';
        const response = await fetch(`${api}/status`, { signal: AbortSignal.timeout(5_000) });
        if (response.status !== 200) return undefined;
        // Ready: its transfer routes are attached too (they come a moment after the API answers).
        return ((await response.json()) as { ready?: boolean }).ready === true ? 'answering' : undefined;
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 50 },
    );
    if (outcome === 'exited') {
      const text = await readFile(log, 'utf8').catch(() => '');
      throw new Error(`${name} exited during start-up: ${text.trimEnd().split('\n').slice(-3).join('\n')}`);
    }
  }

  async startExtraNode(name: string, configPath: string): Promise<ExtraNode> {
    const config = await loadNodeConfig(configPath);
    const log = path.join(path.dirname(configPath), 'node.log');
    const child = this.#spawn(configPath, config.role, log, 'debug');
    const api = `http://${config.apiHost}:${config.apiPort}`;
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGKILL');
      });
    };
    try {
      await this.#waitUntilAnswering(name, child, api, log);
    } catch (error) {
      await stop();
      throw error;
    }
    return { api, process: child, log: () => readFile(log, 'utf8'), stop };
  }

  logOf(org: string): Promise<string> {
    return readFile(this.#node(org).log, 'utf8');
  }

  isRunning(org: string): boolean {
    const child = this.#node(org).process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  kill(org: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<ProcessExit> {
    const node = this.#node(org);
    const child = node.process;
    node.process = undefined;
    if (child === undefined) return Promise.resolve({ code: null, signal: null });
    if (child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve) => {
      child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal }));
      // A launched node's launcher and the node itself share a process group: signal both.
      if (this.#grouped.has(child) && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    });
  }

  async signerOf(org: string): Promise<Ed25519Signer> {
    let signer = this.#signers.get(org);
    if (signer === undefined) {
      signer = new Ed25519Signer((await readKeyFile(this.#node(org).config.keyFile)).ed25519Seed);
      this.#signers.set(org, signer);
    }
    return signer;
  }

  async tokenOf(org: string): Promise<string> {
    let token = this.#tokens.get(org);
    if (token === undefined) {
      token = await readApiTokenFile(this.#node(org).config.apiTokenFile);
      this.#tokens.set(org, token);
    }
    return token;
  }

  runCli(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
    return runCommand([...this.cli, ...args], { cwd: REPO_ROOT, timeoutMs: options.timeoutMs ?? 60_000 });
  }

  api(org: string): string {
    return this.#node(org).api;
  }

  async get<T = unknown>(
    org: string,
    pathAndQuery: string,
    options: { timeoutMs?: number } = {},
  ): Promise<ApiAnswer<T>> {
    const response = await fetch(`${this.api(org)}${pathAndQuery}`, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
    return { status: response.status, json: (isJson ? JSON.parse(text) : text) as T };
  }

  async submit(org: string, envelopeBytes: Uint8Array, options: SubmitOptions = {}): Promise<ApiAnswer> {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const query = options.wait ? `?wait=commit&timeoutMs=${timeoutMs}` : '';
    const response = await fetch(`${this.api(org)}/tx${query}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await this.tokenOf(org)}`,
        'content-type': 'application/cbor',
      },
      body: envelopeBytes,
      signal: AbortSignal.timeout(timeoutMs + 10_000),
    });
    return { status: response.status, json: (await response.json()) as unknown };
  }

  async status(org: string, options: { timeoutMs?: number } = {}): Promise<NodeStatusView> {
    const answer = await this.get<NodeStatusView>(org, '/status', options);
    if (answer.status !== 200) throw new Error(`${org} /status answered ${answer.status}`);
    return answer.json;
  }

  waitFor<T>(what: string, condition: () => T | Promise<T>, options?: WaitOptions): Promise<NonNullable<T>> {
    return pollUntil(what, condition, { intervalMs: 100, ...options });
  }

  async makeConsentGrant(): Promise<ConsentGrant> {
    return makeConsentGrant(await this.signerOf('hku-szh'), this.genesis.chainId);
  }

  async stop(options: { readonly keep?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(
      [...this.nodes.values()].map(async (node) => {
        const child = node.process;
        if (child === undefined) return;
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await this.kill(node.org, 'SIGTERM');
        clearTimeout(killer);
      }),
    );
    // BAYLEDGER_TEST_KEEP=1 keeps the folder (logs, data) for a post-mortem.
    if (options.keep ?? Boolean(process.env.BAYLEDGER_TEST_KEEP))
      process.stderr.write(`test network kept in ${this.#root}\n`);
    else rmSync(this.#root, { recursive: true, force: true });
  }
}

/** What an AgreementWatch saw: heights observed and any two nodes that disagreed. */
export interface AgreementReport {
  readonly samples: number;
  readonly highest: number;
  readonly conflicts: readonly string[];
}

/**
 * The block hash nodes reported at each height: two different hashes at one height, from any two
 * nodes at any time, is a fork, recorded in `conflicts`.
 */
export class ForkDetector {
  readonly conflicts: string[] = [];
  readonly #hashAt = new Map<number, { hash: string; org: string }>();
  highest = 0;

  /** Records what `org` reported; true when that is a height higher than any seen before. */
  note(org: string, status: Pick<NodeStatusView, 'height' | 'blockHash'>): boolean {
    const seen = this.#hashAt.get(status.height);
    if (seen === undefined) this.#hashAt.set(status.height, { hash: status.blockHash, org });
    else if (seen.hash !== status.blockHash)
      this.conflicts.push(
        `height ${status.height}: ${seen.org} has ${seen.hash}, ${org} has ${status.blockHash}`,
      );
    if (status.height <= this.highest) return false;
    this.highest = status.height;
    return true;
  }
}

/**
 * Polls every running node's /status in the background into a ForkDetector; `stop()` ends the
 * polling and reports.
 */
export function watchAgreement(net: TestNetwork, intervalMs = 200): { stop(): Promise<AgreementReport> } {
  const forks = new ForkDetector();
  let samples = 0;
  let running = true;
  const poll = async (): Promise<void> => {
    while (running) {
      const orgs = [...net.nodes.keys()].filter((org) => net.isRunning(org));
      await Promise.all(
        orgs.map(async (org) => {
          try {
            forks.note(org, await net.status(org));
            samples++;
          } catch {
            // A node being killed or restarted does not answer; that is not a disagreement.
          }
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
  const loop = poll();
  return {
    async stop() {
      running = false;
      await loop;
      return { samples, highest: forks.highest, conflicts: forks.conflicts };
    },
  };
}
