// A local network of real node processes (issue 5 item 5, `bayledger up`): one child process per
// organisation of a network folder written by `network init`, each with its log in
// DIR/<org>/node.log; waits until every node answers on its API and the validators are connected
// to each other; writes DIR/nodes.json; stops them all on request.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../core/errors.js';
import { loadNodeConfig } from './config/node-config.js';

export interface LocalNodeInfo {
  readonly org: string;
  readonly role: string;
  readonly api: string;
  readonly tokenFile: string;
  readonly config: string;
  readonly log: string;
}

export interface LocalNetwork {
  readonly nodes: readonly LocalNodeInfo[];
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

const POLL_INTERVAL_MS = 200;

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

async function fetchStatus(
  api: string,
): Promise<{ peers: string[]; role: string; height: number } | undefined> {
  try {
    const response = await fetch(`${api}/status`, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) return undefined;
    return (await response.json()) as { peers: string[]; role: string; height: number };
  } catch {
    return undefined;
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

export async function startLocalNetwork(options: StartLocalNetworkOptions): Promise<LocalNetwork> {
  const configPaths = await nodeConfigPaths(options.dir);
  const children: ChildProcess[] = [];
  const infos: LocalNodeInfo[] = [];
  const exits = new Map<string, number | null>();
  const stop = async (graceMs = 10_000): Promise<void> => {
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
    for (const configPath of configPaths) {
      const config = await loadNodeConfig(configPath);
      const log = path.join(path.dirname(configPath), 'node.log');
      const logStream = createWriteStream(log, { flags: 'a' });
      const [executable, ...baseArgs] = options.command;
      const child = spawn(
        executable!,
        [...baseArgs, 'node', 'start', '--config', configPath, '--log-level', options.logLevel ?? 'info'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.pipe(logStream);
      child.stderr!.pipe(logStream);
      child.once('exit', (code) => exits.set(config.org, code));
      children.push(child);
      infos.push({
        org: config.org,
        role: config.role,
        api: `http://${config.apiHost}:${config.apiPort}`,
        tokenFile: config.apiTokenFile,
        config: configPath,
        log,
      });
    }
    await waitUntilReady(infos, exits, options);
    await writeFile(
      path.join(options.dir, 'nodes.json'),
      `${JSON.stringify(
        infos.map((info) => ({ org: info.org, role: info.role, api: info.api, tokenFile: info.tokenFile })),
        null,
        2,
      )}\n`,
    );
    return { nodes: infos, stop };
  } catch (error) {
    await stop(2000);
    throw error;
  }
}

async function waitUntilReady(
  infos: readonly LocalNodeInfo[],
  exits: ReadonlyMap<string, number | null>,
  options: StartLocalNetworkOptions,
): Promise<void> {
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const validators = infos.filter((info) => info.role === 'validator').map((info) => info.org);
  let reported = '';
  for (;;) {
    for (const info of infos) {
      if (exits.has(info.org)) {
        const logText = await readFile(info.log, 'utf8').catch(() => '');
        fail('NOT_READY', `node ${info.org} exited during start-up: ${lastLines(logText, 3)}`, info.log);
      }
    }
    const statuses = await Promise.all(infos.map((info) => fetchStatus(info.api)));
    const answering = statuses.filter((status) => status !== undefined).length;
    const meshed = infos.every((info, index) => {
      const status = statuses[index];
      if (status === undefined) return false;
      const needed =
        info.role === 'validator' ? validators.filter((id) => id !== info.org) : validators.slice(0, 1);
      return needed.every((id) => status.peers.includes(id));
    });
    const progress = `${answering}/${infos.length} nodes answering${answering === infos.length ? ', connecting peers' : ''}`;
    if (progress !== reported) {
      options.onProgress?.(progress);
      reported = progress;
    }
    if (meshed) return;
    if (Date.now() > deadline) fail('NOT_READY', `the network did not come up in time (${progress})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
