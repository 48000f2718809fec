// The transfer side of the chaos soak (chaos.ts, `--transfers`): while nodes crash, stop and
// freeze, the hospital's node (hku-szh) declares one payload after another for the platform
// (ehealth-hk), as `transfer declare` does for a hospital's system. A payload of 2-12 MiB takes a
// few seconds to upload, seal, approve and fetch, so faults land in the middle of uploads,
// streams and receipts. Every declaration the hospital's node answered as approved must end
// delivered with an accepted receipt, its file in the platform's inbox byte for byte, once every
// node is back: the fetch resumes from its last verified chunk after either end was away.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestNetwork } from '../helpers/network.js';
import { seededRandom } from '../helpers/seeded-random.js';

export const HOSPITAL = 'hku-szh';
export const RECIPIENT = 'ehealth-hk';
const MIN_PAYLOAD_BYTES = 2 * 1024 * 1024;
const MAX_PAYLOAD_BYTES = 12 * 1024 * 1024;
/** Between two declarations: the next upload starts this long after one ends. */
const PAUSE_MS = 1_000;
/** Every approved transfer must be delivered within this long once every node is back. */
const DELIVERY_TIMEOUT_MS = 180_000;

/** What the transfer load needs of the soak. */
export interface TransferHost {
  readonly net: TestNetwork;
  readonly isRunning: boolean;
  reachable(): string[];
  readonly violations: string[];
}

export interface TransferTally {
  readonly approved: number;
  readonly delivered: number;
  /** Declarations that did not come back approved (the hospital's node went away meanwhile), by first words. */
  readonly notApproved: Record<string, number>;
}

interface Approved {
  readonly transferId: string;
  readonly sha256: string;
}

export class TransferLoad {
  readonly #host: TransferHost;
  /** Its own generator, so that payload sizes do not shift the fault schedule of a seed. */
  readonly #random: () => number;
  readonly #approved: Approved[] = [];
  readonly #notApproved: Record<string, number> = {};
  #consentId = '';
  #files = 0;

  constructor(host: TransferHost, seed: number) {
    this.#host = host;
    this.#random = seededRandom(seed ^ 0x5eed);
  }

  #cli(args: readonly string[], timeoutMs = 90_000) {
    const { net } = this.#host;
    const api = ['--api', net.api(HOSPITAL), '--token-file', path.join(net.dir, HOSPITAL, 'api.token')];
    return net.runCli([...args, ...api, '--json'], { timeoutMs });
  }

  /** A patient key and one consent for imaging studies, before any fault. */
  async prepare(): Promise<void> {
    const { net } = this.#host;
    const patientKey = path.join(net.dir, 'chaos-patient.key');
    const generated = await net.runCli(['keys', 'generate', '--kind', 'patient', '--out', patientKey]);
    if (generated.code !== 0) throw new Error(`keys generate: ${generated.stderr}`);
    const validUntil = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const granted = await this.#cli([
      'consent',
      'grant',
      '--patient-key',
      patientKey,
      '--recipient',
      RECIPIENT,
      '--categories',
      'imaging-study',
      '--purpose',
      'continuity-of-care',
      '--valid-until',
      validUntil,
    ]);
    if (granted.code !== 0) throw new Error(`consent grant: ${granted.stderr}`);
    this.#consentId = (JSON.parse(granted.stdout) as { consentId: string }).consentId;
  }

  /** Declares payloads one after another while the soak runs and the hospital's node answers. */
  async run(): Promise<void> {
    while (this.#host.isRunning) {
      if (this.#host.reachable().includes(HOSPITAL)) await this.declare();
      await sleep(PAUSE_MS);
    }
  }

  /**
   * Declares one payload of `size` bytes (default: seeded, 2-12 MiB) and records the outcome;
   * returns the transfer's id when it came back approved.
   */
  async declare(
    size = Math.round(MIN_PAYLOAD_BYTES + this.#random() * (MAX_PAYLOAD_BYTES - MIN_PAYLOAD_BYTES)),
  ): Promise<string | undefined> {
    const bytes = randomBytes(size);
    const file = path.join(this.#host.net.dir, `chaos-payload-${this.#files++}.bin`);
    await writeFile(file, bytes);
    const result = await this.#cli([
      'transfer',
      'declare',
      '--consent',
      this.#consentId,
      '--recipient',
      RECIPIENT,
      '--item',
      `imaging-study=${file}`,
      '--timeout',
      '60',
    ]);
    const declared =
      result.code === 0 ? (JSON.parse(result.stdout) as { transferId: string; status: string }) : undefined;
    if (declared?.status === 'approved') {
      this.#approved.push({ transferId: declared.transferId, sha256: sha256(bytes) });
      return declared.transferId;
    }
    const why = declared?.status ?? failureWords(result.stderr, result.code);
    this.#notApproved[why] = (this.#notApproved[why] ?? 0) + 1;
    return undefined;
  }

  /** Once every node is back: each approved transfer delivered, receipt OK, its file intact. */
  async check(): Promise<TransferTally> {
    const { net, violations } = this.#host;
    let delivered = 0;
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    for (const transfer of this.#approved) {
      const record = await net
        .waitFor(
          `transfer ${transfer.transferId} delivered`,
          async () => {
            const answer = await net.get<TransferJson>(HOSPITAL, `/transfers/${transfer.transferId}`);
            return answer.json.status === 'delivered' ? answer.json : undefined;
          },
          { timeoutMs: Math.max(1_000, deadline - Date.now()), intervalMs: 250 },
        )
        .catch((error: Error) => {
          violations.push(error.message);
          return undefined;
        });
      if (record === undefined) continue;
      if (record.receipt?.accepted !== true || record.receipt.reason !== 'OK') {
        violations.push(`transfer ${transfer.transferId}: receipt ${JSON.stringify(record.receipt)}`);
        continue;
      }
      const filed = await inboxFile(net, transfer.transferId);
      if (filed === undefined || sha256(await readFile(filed)) !== transfer.sha256) {
        violations.push(
          `transfer ${transfer.transferId}: the inbox holds ${filed ?? 'no file'}, not the payload`,
        );
        continue;
      }
      delivered++;
    }
    return { approved: this.#approved.length, delivered, notApproved: this.#notApproved };
  }
}

interface TransferJson {
  status: string;
  receipt: { accepted: boolean; reason: string } | null;
}

/** The CLI's error line without its prefix, the node's URL and the details in parentheses: a tally key. */
function failureWords(stderr: string, code: number | null): string {
  const line = stderr.trim().split('\n').at(-1) ?? '';
  const words = line
    .replace(/^bayledger: error: /, '')
    .replace(/https?:\/\/\S+/g, 'URL')
    .replace(/\s*\(.*$/, '');
  return words === '' ? `exit ${code}` : words.slice(0, 80);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The one item file of a transfer in the platform's inbox (inbox/<pseudonym>/<transferId>/). */
async function inboxFile(net: TestNetwork, transferId: string): Promise<string | undefined> {
  const inbox = path.join(net.dir, RECIPIENT, 'inbox');
  for (const pseudonym of await readdir(inbox)) {
    if (pseudonym.startsWith('.')) continue;
    const folder = path.join(inbox, pseudonym, transferId);
    const files = await readdir(folder).catch(() => [] as string[]);
    const item = files.find((name) => name.startsWith('item-'));
    if (item !== undefined) return path.join(folder, item);
  }
  return undefined;
}
