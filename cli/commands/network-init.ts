// `bayledger network init`: a complete local network on 127.0.0.1 from a template. For each
// organisation it writes DIR/<org>/node.json, node.key (0600) and api.token (0600); then the
// public DIR/genesis.json. Ports: p2p = base + 2i, api = base + 2i + 1 (i = position in the
// template); --base-port 0 asks the OS for free ports instead (tests use that).
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import {
  configIdSchema,
  genesisFromTemplate,
  genesisHash,
  genesisToJson,
  type NetworkTemplate,
  type OrganisationEndpoint,
  parseJsonText,
  parseTemplate,
} from '../../src/core/config/index.js';
import { fail, isBayledgerError } from '../../src/core/errors.js';
import { writeApiTokenFile } from '../../src/node/api/index.js';
import { type NodeConfigJson, readConfigText } from '../../src/node/config/index.js';
import { generateKeyFile, publicKeysOf, writeKeyFile } from '../../src/node/keys/index.js';
import { freePorts } from '../free-ports.js';
import { printResult } from '../output.js';
import { writeOutputFile } from '../output-file.js';
import { DEFAULT_TEMPLATE_PATH } from '../package-info.js';

const LOCAL_HOST = '127.0.0.1';
const PRIVATE_DIRECTORY_MODE = 0o700;

export interface NetworkInitOptions {
  readonly out: string;
  readonly template?: string;
  readonly basePort: number;
  readonly chainId?: string;
  readonly json?: boolean;
  /** Print nothing (used by `up`, which prints its own summary). */
  readonly quiet?: boolean;
}

interface PortPair {
  readonly p2p: number;
  readonly api: number;
}

async function assignPorts(count: number, basePort: number): Promise<PortPair[]> {
  if (basePort === 0) {
    const ports = await freePorts(2 * count, LOCAL_HOST);
    return Array.from({ length: count }, (_, i) => ({ p2p: ports[2 * i]!, api: ports[2 * i + 1]! }));
  }
  if (basePort + 2 * count - 1 > 65535) {
    fail('USAGE', `--base-port ${basePort} leaves no room for ${2 * count} ports below 65536`);
  }
  return Array.from({ length: count }, (_, i) => ({ p2p: basePort + 2 * i, api: basePort + 2 * i + 1 }));
}

/** A file where a network's folder was named (`network init --out`, `up --dir`). */
export function refuseFileAsNetworkFolder(directory: string): never {
  fail('FILE_EXISTS', 'is a file; choose a new folder for the network', directory);
}

/** Refuses to write into a folder that already holds anything (keys must never be clobbered). */
async function prepareOutputDirectory(directory: string): Promise<void> {
  const entries = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR') refuseFileAsNetworkFolder(directory);
    throw error;
  });
  if (entries.length > 0) fail('FILE_EXISTS', 'is not empty; choose a new folder for the network', directory);
  await mkdir(directory, { recursive: true });
}

function checkChainId(chainId: string | undefined): void {
  if (chainId === undefined) return;
  try {
    configIdSchema.parse(chainId, '--chain-id');
  } catch (error) {
    if (isBayledgerError(error)) fail('USAGE', error.message);
    throw error;
  }
}

async function loadTemplate(file: string): Promise<NetworkTemplate> {
  return parseTemplate(parseJsonText(await readConfigText(file, 'network template'), file), file);
}

export async function networkInit(options: NetworkInitOptions): Promise<void> {
  checkChainId(options.chainId);
  const templatePath = options.template ?? DEFAULT_TEMPLATE_PATH;
  const template = await loadTemplate(templatePath);
  const ports = await assignPorts(template.organisations.length, options.basePort);
  const directory = path.resolve(options.out);
  await prepareOutputDirectory(directory);

  const endpoints = new Map<string, OrganisationEndpoint>();
  const rows = [];
  for (const [index, organisation] of template.organisations.entries()) {
    const orgDirectory = path.join(directory, organisation.id);
    await mkdir(path.join(orgDirectory, 'data'), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    const keyFile = generateKeyFile('node', organisation.id);
    await writeKeyFile(path.join(orgDirectory, 'node.key'), keyFile);
    await writeApiTokenFile(path.join(orgDirectory, 'api.token'));
    const published = publicKeysOf(keyFile);
    const p2pAddress = `/ip4/${LOCAL_HOST}/tcp/${ports[index]!.p2p}`;
    const nodeConfig: NodeConfigJson = {
      org: organisation.id,
      role: organisation.role,
      dataDir: 'data',
      genesis: '../genesis.json',
      keyFile: 'node.key',
      apiTokenFile: 'api.token',
      p2pListen: p2pAddress,
      apiHost: LOCAL_HOST,
      apiPort: ports[index]!.api,
    };
    await writeOutputFile(
      path.join(orgDirectory, 'node.json'),
      `${JSON.stringify(nodeConfig, null, 2)}\n`,
      'node config',
      { exclusive: true },
    );
    endpoints.set(organisation.id, {
      nodeKey: Buffer.from(published.publicKey, 'hex'),
      encryptionKey: Buffer.from(published.encryptionKey!, 'hex'),
      p2pAddress,
    });
    rows.push({
      org: organisation.id,
      role: organisation.role,
      p2p: p2pAddress,
      api: `http://${LOCAL_HOST}:${ports[index]!.api}`,
      config: path.join(orgDirectory, 'node.json'),
      nodeKey: published.publicKey,
    });
  }

  const genesis = genesisFromTemplate(template, {
    chainId: options.chainId,
    genesisTimeMs: Date.now(),
    endpoints,
  });
  const genesisPath = path.join(directory, 'genesis.json');
  await writeOutputFile(genesisPath, `${JSON.stringify(genesisToJson(genesis), null, 2)}\n`, 'genesis', {
    exclusive: true,
  });

  const hash = toHex(genesisHash(genesis));
  if (options.quiet) return;
  if (options.json) {
    printResult(
      { chainId: genesis.chainId, genesis: genesisPath, genesisHash: hash, organisations: rows },
      { json: true },
    );
    return;
  }
  process.stdout.write(`network ${genesis.chainId} written to ${directory}\n`);
  process.stdout.write(`genesis ${genesisPath} (hash ${hash})\n\n`);
  printResult(rows.map(({ nodeKey: _nodeKey, ...row }) => row));
}
