// How the consent, transfer, audit and demo commands find their node (cli/commands/transfer-api.ts):
// --api or the node of the right role in nodes.json, the token file nodes.json names for that URL,
// the client's time limit for reads and writes; and the helpers every such command uses to wait
// and to read dates.
import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type NodesJsonEntry,
  parseDateSeconds,
  pollUntil,
  resolveApi,
} from '../../cli/commands/transfer-api.js';
import { fail } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { ApiClientError } from '../../src/node/api/client.js';
import { writeApiTokenFile } from '../../src/node/api/token-file.js';
import { rejectsWith, throwsWith } from '../helpers/rejects.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('CLI: finding the node API', () => {
  const temp = useTempDir('bayledger-api-resolve-');
  /** A network folder whose nodes.json lists four nodes, each with its own token file. */
  let dir: string;
  let nodesFile: string;
  const tokens = new Map<string, string>();

  before(async () => {
    dir = path.join(temp.path, 'local');
    await mkdir(dir);
    nodesFile = path.join(dir, 'nodes.json');
    const nodes: NodesJsonEntry[] = [];
    for (const [port, org, role] of [
      [7001, 'sz-cac', 'validator'],
      [7002, 'hku-szh', 'submitter'],
      [7003, 'szph', 'submitter'],
      [7004, 'hk-ehealth', 'recipient'],
    ] as const) {
      const tokenFile = path.join(dir, `${org}.token`);
      tokens.set(org, await writeApiTokenFile(tokenFile));
      // One URL written with a trailing slash: the same node as without it.
      nodes.push({ org, role, api: `http://127.0.0.1:${port}${port === 7002 ? '/' : ''}`, tokenFile });
    }
    await writeFile(nodesFile, JSON.stringify(nodes));
  });

  it('picks the first node of the role asked for, with the token nodes.json names for it', async () => {
    const submitter = await resolveApi({ dir }, { role: 'submitter', write: true });
    assert.equal(submitter.url, 'http://127.0.0.1:7002/');
    assert.equal(submitter.token, tokens.get('hku-szh'));
    assert.equal(
      submitter.tokenSource,
      `${path.join(dir, 'hku-szh.token')} (named in ${nodesFile} for http://127.0.0.1:7002/)`,
    );
    const recipient = await resolveApi({ dir }, { role: 'recipient' });
    assert.deepEqual([recipient.url, recipient.token], ['http://127.0.0.1:7004', tokens.get('hk-ehealth')]);
    const anyRole = await resolveApi({ dir });
    assert.deepEqual([anyRole.url, anyRole.token], ['http://127.0.0.1:7001', tokens.get('sz-cac')]);
  });

  it('takes --api as given, and finds its token in nodes.json whatever its trailing slash', async () => {
    const withSlash = await resolveApi({ dir, api: 'http://127.0.0.1:7004/' }, { write: true });
    assert.deepEqual([withSlash.url, withSlash.token], ['http://127.0.0.1:7004/', tokens.get('hk-ehealth')]);
    const without = await resolveApi({ dir, api: 'http://127.0.0.1:7002' }, { write: true });
    assert.equal(without.token, tokens.get('hku-szh'));
  });

  it('takes --token-file over nodes.json, and names it as the source', async () => {
    const tokenFile = path.join(dir, 'szph.token');
    const api = await resolveApi({ dir, api: 'http://127.0.0.1:7001', tokenFile }, { write: true });
    assert.deepEqual([api.token, api.tokenSource], [tokens.get('szph'), `${tokenFile} (--token-file)`]);
  });

  it('reads without a token when none is named, and fails a write naming what to give', async () => {
    const outside = 'http://127.0.0.1:7999';
    const read = await resolveApi({ dir, api: outside });
    assert.deepEqual([read.token, read.tokenSource], [undefined, undefined]);
    await rejectsWith(
      resolveApi({ dir, api: outside }, { write: true }),
      'USAGE',
      `give --token-file FILE: the API token of ${outside} (${nodesFile} does not name it)`,
    );
    const empty = path.join(temp.path, 'empty');
    await rejectsWith(
      resolveApi({ dir: empty, api: outside }, { write: true }),
      'USAGE',
      `give --token-file FILE: the API token of ${outside} (there is no ${path.join(empty, 'nodes.json')})`,
    );
  });

  it('says what to give when nodes.json is missing or has no node of the role', async () => {
    const empty = path.join(temp.path, 'empty');
    const missing = path.join(empty, 'nodes.json');
    const startHint = 'start a local network with `bayledger up` (or give its folder with --dir)';
    await rejectsWith(
      resolveApi({ dir: empty }),
      'USAGE',
      `${missing} does not exist: ${startHint}, or give --api URL`,
    );
    await rejectsWith(
      resolveApi({ dir: empty }, { write: true }),
      'USAGE',
      `${missing} does not exist: ${startHint}, or give --api URL with --token-file FILE`,
    );
    const validatorsOnly = path.join(temp.path, 'validators-only');
    await mkdir(validatorsOnly);
    await writeFile(
      path.join(validatorsOnly, 'nodes.json'),
      JSON.stringify([{ org: 'v', role: 'validator', api: 'http://127.0.0.1:7001', tokenFile: 'v.token' }]),
    );
    const nodesOfValidators = path.join(validatorsOnly, 'nodes.json');
    await rejectsWith(
      resolveApi({ dir: validatorsOnly }, { role: 'recipient' }),
      'USAGE',
      `no recipient node in ${nodesOfValidators}: give --api URL`,
    );
    const none = path.join(temp.path, 'no-nodes');
    await mkdir(none);
    await writeFile(path.join(none, 'nodes.json'), '[]');
    await rejectsWith(
      resolveApi({ dir: none }),
      'USAGE',
      `no node in ${path.join(none, 'nodes.json')}: give --api URL`,
    );
  });

  it('gives a write longer than the node may wait for its commit, and a read the usual limit', async () => {
    const write = await resolveApi({ dir }, { role: 'submitter', write: true });
    const read = await resolveApi({ dir }, { role: 'submitter' });
    const chosen = await resolveApi({ dir }, { role: 'submitter', write: true, timeoutMs: 1_234 });
    assert.equal(write.client.timeoutMs, LIMITS.maxApiCommitWaitMs + 30_000);
    assert.equal(read.client.timeoutMs, LIMITS.apiClientTimeoutMs);
    assert.equal(chosen.client.timeoutMs, 1_234);
  });
});

describe('CLI: waiting on the node, reading dates', () => {
  it('polls until a value comes, taking the API answer NOT_FOUND as not yet', async () => {
    let reads = 0;
    const value = await pollUntil(
      'the receipt',
      async () => {
        reads++;
        if (reads <= 2) throw new ApiClientError('NOT_FOUND', 'no such transfer', 404, 'http://node');
        return reads === 3 ? undefined : 'delivered';
      },
      10_000,
      1,
    );
    assert.deepEqual([value, reads], ['delivered', 4]);
  });

  it('stops at once on any other error, and on a NOT_FOUND that is not the API answering', async () => {
    for (const error of [
      new ApiClientError('REMOTE_ERROR', 'HTTP 500', 500, 'http://node'),
      (() => {
        try {
          fail('NOT_FOUND', 'no such file');
        } catch (thrown) {
          return thrown;
        }
      })(),
    ]) {
      let reads = 0;
      await assert.rejects(
        pollUntil(
          'the receipt',
          async () => {
            reads++;
            throw error;
          },
          10_000,
          1,
        ),
        (rejected: unknown) => rejected === error,
      );
      assert.equal(reads, 1);
    }
  });

  it('fails with TIMEOUT naming what it waited for once the time is up', async () => {
    await rejectsWith(
      pollUntil('transfer ab12 delivered', async () => undefined, 1_400, 100),
      'TIMEOUT',
      'transfer ab12 delivered: not within 1 s',
    );
  });

  it('reads a date as UTC midnight, and a date-time in the zone it is written with', () => {
    assert.equal(parseDateSeconds('2026-12-31', '--valid-until'), Date.UTC(2026, 11, 31) / 1000);
    assert.equal(parseDateSeconds('2028-02-29', '--valid-until'), Date.UTC(2028, 1, 29) / 1000);
    assert.equal(parseDateSeconds('2000-02-29', '--valid-until'), Date.UTC(2000, 1, 29) / 1000);
    assert.equal(
      parseDateSeconds('2026-12-31T12:00:00+08:00', '--valid-until'),
      Date.UTC(2026, 11, 31, 4) / 1000,
    );
    assert.equal(
      parseDateSeconds('2026-12-31T23:59:59.999Z', '--valid-from'),
      Date.UTC(2026, 11, 31, 23, 59, 59) / 1000,
    );
    assert.equal(parseDateSeconds('2026-12-31T20:30-05:30', '--valid-from'), Date.UTC(2027, 0, 1, 2) / 1000);
  });

  const FORMS =
    'expected a date YYYY-MM-DD (00:00 UTC that day) or a date-time with its zone, such as ' +
    '2026-12-31T12:00:00Z or 2026-12-31T12:00:00+08:00';

  it('refuses a date in any other form, naming the option, the value and the forms it takes', () => {
    // Each of these Date.parse takes: in local time, month first, or with no zone.
    for (const text of [
      'next week',
      '12/31/2026',
      '2026-12-31T12:00:00',
      '2026-12-31 12:00:00Z',
      'Dec 31 2026',
      '2026-1-5',
      '2026-12-31T12:00:00+0800',
      ' 2026-12-31',
      '',
    ]) {
      throwsWith(() => parseDateSeconds(text, '--valid-from'), 'USAGE', `--valid-from ${text}: ${FORMS}`);
    }
  });

  it('refuses a day, month, hour, minute, second or zone that does not exist, rather than roll it over', () => {
    for (const [text, reason] of [
      ['2026-11-31', 'no day 31: 2026-11 has 30 days'],
      ['2026-02-30', 'no day 30: 2026-02 has 28 days'],
      ['2026-02-29', 'no day 29: 2026-02 has 28 days'],
      ['2100-02-29', 'no day 29: 2100-02 has 28 days'],
      ['2026-04-00', 'no day 00: 2026-04 has 30 days'],
      ['2026-13-01', 'no month 13'],
      ['2026-00-10', 'no month 00'],
      ['2026-12-31T25:00:00Z', 'no hour 25 (00 to 23)'],
      ['2026-12-31T24:00:00Z', 'no hour 24 (00 to 23)'],
      ['2026-12-31T12:60:00Z', 'no minute 60 (00 to 59)'],
      ['2026-12-31T12:00:60Z', 'no second 60 (00 to 59)'],
      ['2026-12-31T12:00:00+24:00', 'no zone offset +24:00 (up to ±23:59)'],
      ['2026-12-31T12:00:00-08:60', 'no zone offset -08:60 (up to ±23:59)'],
    ]) {
      throwsWith(
        () => parseDateSeconds(text!, '--valid-until'),
        'USAGE',
        `--valid-until ${text}: ${reason}; ${FORMS}`,
      );
    }
  });
});
