// A recipient's inbox disk that fills during payload fetches, end to end. The platform
// (ehealth-hk) runs with its inbox on a small disk of its own (a tmpfs in a private mount
// namespace, test/helpers/small-disk.sh); its ledger stays on the big one. The link between
// hospital and platform is cut while transfers are approved (test/chaos/partitions.ts), so a
// fetch has found and claimed its room before a byte moves; then:
// 1. another writer takes the room (a file of the test's): the disk refuses a write (ENOSPC) in the
//    middle of the fetch. That must be a wait for room, as before a fetch starts, not the end of
//    the fetch until the next node start; once the operator frees space, the fetch resumes.
// 2. two fetches each fit alone but not together: the second must wait for room before it starts
//    (the first one's claim counts), not fail both in the middle.
// Every payload arrives intact with an accepted receipt. The small disk needs `unshare` and the
// right to mount (root in this sandbox and its CI).
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Partitions } from '../chaos/partitions.js';
import { HOSPITAL, RECIPIENT, TransferLoad } from '../chaos/transfers.js';
import { startTestNetwork, type TestNetwork } from '../helpers/network.js';

const MIB = 1024 * 1024;
const INBOX_DISK_BYTES = 36 * MIB;

interface LogLine {
  readonly msg: string;
  readonly transferId?: string;
  readonly detail?: string;
  readonly level: string;
}

describe('a recipient inbox disk that fills during fetches (real processes)', function () {
  this.timeout(240_000);
  let net: TestNetwork;
  let partitions: Partitions | undefined;

  before(async () => {
    net = await startTestNetwork({
      beforeStart: async (network) => {
        partitions = await Partitions.install(network);
      },
    });
  });

  after(async () => {
    await net?.stop();
    await partitions?.close();
  });

  const recipientLog = async (): Promise<LogLine[]> =>
    (await net.logOf(RECIPIENT))
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);

  const waitingForRoom = (transferIds: readonly string[], detail: RegExp) =>
    net.waitFor(
      `a fetch of ${transferIds.join(' or ')} waiting for room (${detail})`,
      async () =>
        (await recipientLog()).find(
          (line) =>
            line.msg === 'payload fetch waits for room on the disk' &&
            transferIds.includes(line.transferId ?? '') &&
            detail.test(line.detail ?? ''),
        ),
      { timeoutMs: 60_000 },
    );

  /** Fetch attempts the platform started; undefined until its transfer service answers (just after start). */
  const fetchAttempts = async () => {
    const answer = await net.get<{ receiver: { attempts: number } }>(RECIPIENT, '/payload/stats');
    return answer.status === 200 ? answer.json.receiver.attempts : undefined;
  };

  const delivered = async (transferId: string) =>
    net.waitFor(
      `transfer ${transferId} delivered`,
      async () =>
        (await net.get<{ status: string }>(HOSPITAL, `/transfers/${transferId}`)).json.status === 'delivered',
      { timeoutMs: 90_000, intervalMs: 250 },
    );

  it('waits for room when the disk refuses a write or the room is claimed, and delivers every payload once space is freed', async () => {
    const violations: string[] = [];
    const load = new TransferLoad(
      { net, isRunning: true, reachable: () => [...net.nodes.keys()], violations },
      1,
    );
    await load.prepare();

    // The platform again, with its inbox on a small disk and no ledger reserve on it (the ledger is
    // on another disk).
    const recipient = net.nodes.get(RECIPIENT)!;
    const inboxDir = path.join(path.dirname(recipient.config.dataDir), 'inbox');
    assert.equal((await net.kill(RECIPIENT, 'SIGTERM')).code, 0);
    const config = JSON.parse(await readFile(recipient.configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(recipient.configPath, JSON.stringify({ ...config, diskReserveBytes: 0 }));
    await net.restartOnSmallDisk(RECIPIENT, INBOX_DISK_BYTES, inboxDir);
    const smallInbox = `/proc/${recipient.process!.pid}/root${inboxDir}`;
    // Room an operator can free in part 2.
    const spare = path.join(smallInbox, 'spare.bin');
    await writeFile(spare, randomBytes(8 * MIB));

    // 1. A 12 MiB fetch claims its room (28 MiB free), then another writer leaves it 10 MiB.
    partitions!.cutBetween(HOSPITAL, RECIPIENT);
    const { before } = await net.waitFor('the payload channel answering', async () => {
      const attempts = await fetchAttempts();
      return attempts === undefined ? undefined : { before: attempts };
    });
    const first = await load.declare(12 * MIB);
    assert.ok(first !== undefined, 'approved');
    await net.waitFor('the fetch started', async () => ((await fetchAttempts()) ?? 0) > before, {
      timeoutMs: 30_000,
    });
    const intruder = path.join(smallInbox, 'intruder.bin');
    await writeFile(intruder, randomBytes(18 * MIB));
    partitions!.heal();
    await waitingForRoom([first], /^the disk refused a write of the payload for want of space \(ENOSPC\)$/);
    // Freed: at its next poll for room (the first ones come within seconds) the fetch resumes and completes.
    await rm(intruder);
    await delivered(first);

    // 2. 16 MiB free: two 10 MiB fetches each fit alone, not together.
    partitions!.cutBetween(HOSPITAL, RECIPIENT);
    const pair = await Promise.all([load.declare(10 * MIB), load.declare(10 * MIB)]);
    assert.ok(
      pair.every((id) => id !== undefined),
      'both approved',
    );
    const second = pair as string[];
    await waitingForRoom(second, /and \d+ are claimed by payload fetches under way$/);
    partitions!.heal();
    await net.waitFor(
      'one of the two delivered',
      async () => {
        for (const id of second)
          if ((await net.get<{ status: string }>(HOSPITAL, `/transfers/${id}`)).json.status === 'delivered')
            return true;
        return false;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    // The other still does not fit (6 MiB free) until the operator frees the spare 8 MiB.
    await rm(spare);
    for (const id of second) await delivered(id);

    // Only the write part 1's intruder caused was refused by the disk; the claims kept part 2 clear.
    const refusedWrites = (await recipientLog()).filter((line) => /ENOSPC/.test(line.detail ?? ''));
    assert.deepEqual(
      refusedWrites.map((line) => line.transferId),
      [first],
    );
    assert.deepEqual(
      (await recipientLog()).filter((line) => line.level === 'error'),
      [],
      'no fetch ended in an error',
    );
    // Stopped, the platform's small disk becomes its inbox folder, where check() reads the files.
    assert.equal((await net.kill(RECIPIENT, 'SIGTERM')).code, 0);
    const tally = await load.check();
    assert.deepEqual(violations, []);
    assert.deepEqual({ approved: tally.approved, delivered: tally.delivered }, { approved: 3, delivered: 3 });
  });
});
