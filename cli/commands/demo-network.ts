// The network the demo runs on (cli/commands/demo-run.ts): the one its folder's nodes.json lists
// if every node of it answers as that folder's node, else one started like `bayledger up` (the
// folder initialised first if it is empty). A listed network that only partly answers, or a
// listed port answered by another network's node, is refused before anything starts.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../../src/core/errors.js';
import {
  expectedIdentities,
  type LocalNetwork,
  portTakenMessage,
  probeNode,
  startLocalNetwork,
} from '../../src/node/local-network.js';
import { networkInit } from './network-init.js';
import { type NodesJsonEntry, readNodesJson } from './transfer-api.js';
import { selfCommand } from './up-run.js';

export interface DemoNetworkOptions {
  readonly dir: string;
  readonly basePort: number;
  readonly logLevel: string;
}

export interface DemoNetwork {
  readonly nodes: readonly NodesJsonEntry[];
  /** The network this demo started (and stops), if it did not use one that was running. */
  readonly started: LocalNetwork | undefined;
}

/**
 * True if every node of nodes.json answers as this folder's node, false if none answers; fails if
 * a port is answered by another network's node (its token would be refused at the first step).
 */
export async function listedNetworkIsLive(
  directory: string,
  listed: readonly NodesJsonEntry[],
): Promise<boolean> {
  const identities = await expectedIdentities(directory);
  const probes = await Promise.all(
    listed.map(async (node) => {
      const expected =
        identities.get(node.org) ?? fail('NOT_FOUND', `no ${node.org}/node.json for nodes.json`, directory);
      return { node, probe: await probeNode(node.api, expected) };
    }),
  );
  for (const { node, probe } of probes) {
    if (probe.kind === 'other')
      fail(
        'CONFLICT',
        portTakenMessage(node.org, Number(new URL(node.api).port), `answered by ${probe.description}`),
        path.join(directory, 'nodes.json'),
      );
  }
  const live = probes.map(({ probe }) => probe.kind === 'mine');
  if (live.every(Boolean)) return true;
  if (live.some(Boolean)) {
    fail(
      'CONFLICT',
      `some nodes of ${directory} are running and some are not: stop them (Ctrl-C on bayledger up) first`,
    );
  }
  return false;
}

/** The network of DIR if every node answers, else a new one started like `bayledger up`. */
export async function ensureNetwork(
  options: DemoNetworkOptions,
  say: (text: string) => void,
): Promise<DemoNetwork> {
  const directory = path.resolve(options.dir);
  const listed = await readNodesJson(directory);
  if (listed !== undefined && (await listedNetworkIsLive(directory, listed))) {
    say(`using the live network of ${directory} (${listed.length} nodes)`);
    return { nodes: listed, started: undefined };
  }
  const entries = await readdir(directory).catch(() => [] as string[]);
  if (entries.length === 0) {
    say(`creating a local network in ${directory}`);
    await networkInit({ out: directory, basePort: options.basePort, json: false, quiet: true });
  }
  const network = await startLocalNetwork({
    dir: directory,
    command: selfCommand(),
    logLevel: options.logLevel,
    onProgress: say,
  });
  for (const node of network.nodes) say(`${node.org.padEnd(11)} ${node.role.padEnd(10)} ${node.api}`);
  // The network's own list is what it just wrote to nodes.json: no need to read the file back.
  return { nodes: network.nodes, started: network };
}

export function nodeOf(nodes: readonly NodesJsonEntry[], org: string): NodesJsonEntry {
  return nodes.find((node) => node.org === org) ?? fail('NOT_FOUND', `no ${org} node in nodes.json`);
}
