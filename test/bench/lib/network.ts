// A real local network for the network benchmarks (issue 7 items 2 and 3): `network init
// --base-port 0` into a benchmark temp folder, then every node as its own compiled process
// (`node bin/bayledger.js node start`, through src/node/local-network.ts), stopped in the
// benchmark's cleanup. Also the load: consent grants (patient + hospital signatures) each followed
// by a transfer declaration under it (hospital signature), signed with the hospitals' node keys
// from the network folder BEFORE any clock starts, and an open-loop submitter over keep-alive
// HTTP connections spread across the validators. Synthetic values only: nothing identifies a person.
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkInit } from '../../../cli/commands/network-init.js';
import { toHex, utf8 } from '../../../src/core/bytes.js';
import { encodeCanonical } from '../../../src/core/codec/canonical.js';
import type { Genesis } from '../../../src/core/config/genesis.js';
import { Ed25519Signer } from '../../../src/core/crypto/ed25519.js';
import { sha256 } from '../../../src/core/crypto/hash.js';
import { LIMITS } from '../../../src/core/limits.js';
import {
  type ConsentGrantBody,
  encodeTxEnvelope,
  signTx,
  type TransferDeclareBody,
  txIdOf,
} from '../../../src/core/records/index.js';
import { readApiTokenFile } from '../../../src/node/api/token-file.js';
import { readGenesisFile } from '../../../src/node/chain/open-chain.js';
import { loadNodeConfig } from '../../../src/node/config/node-config.js';
import { readKeyFile } from '../../../src/node/keys/key-file.js';
import { type LocalNodeInfo, startLocalNetwork } from '../../../src/node/local-network.js';
import type { NodeStatusView } from '../../../src/node/node-runtime.js';
import type { BenchContext } from '../types.js';

const DAY_SECONDS = 86_400;
const HOSPITALS = ['hku-szh', 'nf-ufh'] as const;
const CATEGORIES = ['imaging-study', 'radiology-report', 'lab-result', 'allergy-record'] as const;

/** The repository root (the folder with package.json), from the sources or from dist/. */
export function repoRoot(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(folder, 'package.json')) || path.basename(folder) === 'dist') {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error('repository root not found');
    folder = parent;
  }
  return folder;
}

function nodeFlags(): string[] {
  return (process.env.BAYLEDGER_BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
}

export interface BenchNode extends LocalNodeInfo {
  readonly token: string;
}

export interface BenchNetwork {
  readonly dir: string;
  readonly genesis: Genesis;
  readonly validators: readonly BenchNode[];
  readonly followers: readonly BenchNode[];
  /** The hospitals' node keys (they countersign consents and sign declarations). */
  readonly hospitalSigners: ReadonlyMap<string, Ed25519Signer>;
}

/** Starts 4 validators and 3 followers of the sample template; stopped by the context's cleanup. */
export async function startBenchNetwork(context: BenchContext): Promise<BenchNetwork> {
  const root = repoRoot();
  const dir = path.join(await context.tempDir('network'), 'net');
  await networkInit({
    out: dir,
    // BAYLEDGER_BENCH_TEMPLATE runs the benchmarks on another template (e.g. other consensus timing).
    template: process.env.BAYLEDGER_BENCH_TEMPLATE ?? path.join(root, 'network-config/gba-health.json'),
    basePort: 0,
    quiet: true,
  });
  const network = await startLocalNetwork({
    dir,
    // BAYLEDGER_BENCH_NODE_FLAGS adds Node flags to every node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
    command: [process.execPath, ...nodeFlags(), path.join(root, 'bin/bayledger.js')],
    logLevel: 'warn',
    readyTimeoutMs: 120_000,
    onProgress: (message) => context.log(message),
  });
  context.onCleanup(() => network.stop(5_000));
  const genesis = await readGenesisFile(path.join(dir, 'genesis.json'));
  const nodes: BenchNode[] = [];
  for (const node of network.nodes) {
    const config = await loadNodeConfig(node.config);
    nodes.push({ ...node, token: await readApiTokenFile(config.apiTokenFile) });
  }
  const hospitalSigners = new Map<string, Ed25519Signer>();
  for (const org of HOSPITALS) {
    const config = await loadNodeConfig(path.join(dir, org, 'node.json'));
    hospitalSigners.set(org, new Ed25519Signer((await readKeyFile(config.keyFile)).ed25519Seed));
  }
  return {
    dir,
    genesis,
    validators: nodes.filter((n) => n.role === 'validator'),
    followers: nodes.filter((n) => n.role !== 'validator'),
    hospitalSigners,
  };
}

export interface SignedTx {
  readonly bytes: Uint8Array;
  readonly txIdHex: string;
}

function label32(label: string): Uint8Array {
  return sha256(utf8(label));
}

/**
 * `pairs` consent grants, each followed by one declaration under it: 2 x pairs transactions, 3
 * signatures per pair, in submission order. Each grant has its own patient key (a patient signs
 * her own consent), labels derive from `seed` so two calls never collide in the mempool.
 */
export function signWorkload(network: BenchNetwork, pairs: number, seed: string): SignedTx[] {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const chainId = network.genesis.chainId;
  const txs: SignedTx[] = [];
  for (let serial = 0; serial < pairs; serial++) {
    const sender = HOSPITALS[serial % HOSPITALS.length]!;
    const hospital = network.hospitalSigners.get(sender)!;
    const patient = new Ed25519Signer(label32(`bench/${seed}/patient/${serial}`));
    const grant: ConsentGrantBody = {
      patient: patient.publicKey,
      sender,
      allowedSenders: [sender],
      recipient: 'ehealth-hk',
      purpose: serial % 5 === 0 ? 'second-opinion' : 'continuity-of-care',
      categories: [...CATEGORIES.slice(0, 2 + (serial % 3))],
      validFrom: nowSeconds - 60,
      validUntil: nowSeconds + 180 * DAY_SECONDS,
      separateConsent: { crossBorder: true, sensitive: true },
      noticeDigest: label32('bench/notice/v1'),
      hospitalVerifiedIdentity: true,
      nonce: label32(`bench/${seed}/grant/${serial}`).slice(0, 16),
    };
    const grantBytes = encodeTxEnvelope(signTx('consent.grant', grant, [patient, hospital], chainId));
    txs.push({ bytes: grantBytes, txIdHex: toHex(txIdOf(grantBytes)) });
    // A consent's id is the hash of its canonical body (what the ledger keys consents by).
    const declaration = declarationBody(serial, seed, sender, sha256(encodeCanonical(grant)));
    const declareBytes = encodeTxEnvelope(signTx('transfer.declare', declaration, [hospital], chainId));
    txs.push({ bytes: declareBytes, txIdHex: toHex(txIdOf(declareBytes)) });
  }
  return txs;
}

function declarationBody(
  serial: number,
  seed: string,
  sender: string,
  consentId: Uint8Array,
): TransferDeclareBody {
  const itemCount = 1 + (serial % 3);
  const items = Array.from({ length: itemCount }, (_, k) => {
    const category = CATEGORIES[k % 2]!;
    return {
      category,
      documentType: category === 'imaging-study' ? 'dicom-study' : 'pdf-report',
      sizeBytes: 200_000 + ((serial * 7919 + k * 104_729) % 50_000_000),
      digest: label32(`bench/${seed}/item/${serial}/${k}`),
      itemCommitment: label32(`bench/${seed}/commitment/${serial}/${k}`),
    };
  });
  const payloadBytes = items.reduce((total, item) => total + item.sizeBytes, 0) + 16 * itemCount;
  return {
    consentId,
    sender,
    recipient: 'ehealth-hk',
    route: { id: 'gba-standard-contract', filingReference: `GBA-SC-2026-${String(serial).padStart(6, '0')}` },
    items,
    payload: {
      root: label32(`bench/${seed}/payload/${serial}`),
      bytes: payloadBytes,
      chunkBytes: LIMITS.payloadChunkBytes,
      chunkCount: Math.ceil(payloadBytes / LIMITS.payloadChunkBytes),
      ephemeralKey: label32(`bench/${seed}/ephemeral/${serial}`),
    },
    nonce: label32(`bench/${seed}/declare/${serial}`).slice(0, 16),
  };
}

export interface SubmitAnswer {
  readonly status: number;
  readonly body: string;
}

/** Keep-alive HTTP client for one node: `connections` sockets, reused across requests. */
export class NodeClient {
  readonly #url: URL;
  readonly #token: string;
  readonly #agent: http.Agent;

  constructor(node: BenchNode, connections: number) {
    this.#url = new URL(node.api);
    this.#token = node.token;
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  }

  /** POST /tx (with `?wait=commit&timeoutMs=` when `waitMs` is given). */
  submit(bytes: Uint8Array, waitMs?: number): Promise<SubmitAnswer> {
    const query = waitMs === undefined ? '' : `?wait=commit&timeoutMs=${waitMs}`;
    return this.#request('POST', `/tx${query}`, bytes);
  }

  /** POST /txs: several envelopes in one request (a canonical CBOR array of their bytes). */
  submitBatch(envelopes: readonly Uint8Array[]): Promise<SubmitAnswer> {
    return this.#request('POST', '/txs', encodeCanonical([...envelopes]));
  }

  async status(): Promise<NodeStatusView> {
    const answer = await this.#request('GET', '/status');
    if (answer.status !== 200) throw new Error(`/status answered ${answer.status}`);
    return JSON.parse(answer.body) as NodeStatusView;
  }

  get(pathAndQuery: string): Promise<SubmitAnswer> {
    return this.#request('GET', pathAndQuery);
  }

  close(): void {
    this.#agent.destroy();
  }

  /**
   * One retry when a reused keep-alive socket was closed by the server in the meantime (ECONNRESET,
   * EPIPE): the request never reached the node, and a resubmitted transaction is a duplicate anyway.
   */
  async #request(method: string, pathAndQuery: string, body?: Uint8Array): Promise<SubmitAnswer> {
    try {
      return await this.#requestOnce(method, pathAndQuery, body);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ECONNRESET' && code !== 'EPIPE') throw error;
      return this.#requestOnce(method, pathAndQuery, body);
    }
  }

  #requestOnce(method: string, pathAndQuery: string, body?: Uint8Array): Promise<SubmitAnswer> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          method,
          path: pathAndQuery,
          agent: this.#agent,
          timeout: 60_000,
          headers: {
            authorization: `Bearer ${this.#token}`,
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/cbor', 'content-length': body.length }),
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${method} ${pathAndQuery} timed out`)));
      request.on('error', reject);
      request.end(body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.length));
    });
  }
}

/** Polls `condition` every `intervalMs` until truthy; throws after `timeoutMs`. Never a fixed sleep. */
export async function pollUntil<T>(
  what: string,
  condition: () => Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
