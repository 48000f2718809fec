// The demo's checks (cli/commands/demo-checks.ts). What the recipient filed (checkInbox): each item
// matches only when both the file and the manifest's digest equal the hospital's original, and the
// whole inbox only when every original is there; a manifest of another transfer fails the demo.
// How a run of the offline verifier is read (verifyBundleOffline): its exit code, and its stderr
// or, for a command that could not start, the reason; the real verifier is demo.test's.
import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkInbox, verifyBundleOffline } from '../../cli/commands/demo-checks.js';
import { fileDigest } from '../../cli/commands/demo-data.js';
import { rejectsWith } from '../helpers/rejects.js';
import { useTempDir } from '../helpers/temp-dir.js';

const PATIENT = '11'.repeat(32);

describe('CLI demo: the inbox check', () => {
  const temp = useTempDir('bayledger-demo-inbox-', 'each');

  /** Originals a and b, and an inbox for `transferId` holding `filed` (name -> content) and a manifest. */
  async function setUp(transferId: string, filed: Record<string, string>) {
    const originals = [path.join(temp.path, 'a.dcm'), path.join(temp.path, 'b.pdf')];
    await writeFile(originals[0]!, 'study');
    await writeFile(originals[1]!, 'report');
    const inbox = path.join(temp.path, 'ehealth-hk', 'inbox', PATIENT, transferId);
    await mkdir(inbox, { recursive: true });
    const items = [];
    for (const [i, [file, content]] of Object.entries(filed).entries()) {
      await writeFile(path.join(inbox, file), content);
      items.push({ file, category: 'imaging-study', digest: await fileDigest(originals[i]!) });
    }
    await writeFile(path.join(inbox, 'manifest.json'), JSON.stringify({ transferId, items }));
    return originals;
  }

  it('matches when every original is filed with its digest', async () => {
    const originals = await setUp('t1', { 'a.dcm': 'study', 'b.pdf': 'report' });
    const check = await checkInbox(temp.path, 'ehealth-hk', PATIENT, 't1', originals);
    assert.deepEqual([check.allMatch, check.items.map((item) => item.match)], [true, [true, true]]);
  });

  it('does not match a filed file that differs, even when the manifest names the right digest', async () => {
    const originals = await setUp('t2', { 'a.dcm': 'study', 'b.pdf': 'changed' });
    const check = await checkInbox(temp.path, 'ehealth-hk', PATIENT, 't2', originals);
    assert.deepEqual([check.allMatch, check.items.map((item) => item.match)], [false, [true, false]]);
  });

  it('does not match an inbox that lacks an original', async () => {
    const originals = await setUp('t3', { 'a.dcm': 'study' });
    const check = await checkInbox(temp.path, 'ehealth-hk', PATIENT, 't3', originals);
    assert.deepEqual([check.allMatch, check.items.map((item) => item.match)], [false, [true]]);
  });

  it("fails the demo when the inbox's manifest is another transfer's", async () => {
    const originals = await setUp('t4', { 'a.dcm': 'study', 'b.pdf': 'report' });
    const manifest = path.join(temp.path, 'ehealth-hk', 'inbox', PATIENT, 't4', 'manifest.json');
    await writeFile(manifest, JSON.stringify({ transferId: 't5', items: [] }));
    await rejectsWith(
      checkInbox(temp.path, 'ehealth-hk', PATIENT, 't4', originals),
      'CONFLICT',
      'demo: inbox manifest transfer is "t5", expected "t4"',
    );
  });
});

describe('CLI: demo, running the offline verifier', () => {
  /** A stand-in CLI: Node running `script`, which sees the verifier's arguments in process.argv. */
  const stand = (script: string) => [process.execPath, '-e', script];

  it('passes the bundle and the genesis file, and reads a run that exits 0', async () => {
    const run = await verifyBundleOffline(
      'bundle.cbor',
      'genesis.json',
      stand('process.stdout.write(JSON.stringify(process.argv.slice(1)))'),
    );
    assert.deepEqual(run, {
      code: 0,
      stdout: JSON.stringify(['proof', 'verify', 'bundle.cbor', '--genesis', 'genesis.json', '--json']),
      stderr: '',
    });
  });

  it("reads a refusal's exit code and the verifier's own stderr", async () => {
    const run = await verifyBundleOffline(
      'bundle.cbor',
      'genesis.json',
      stand("process.stdout.write('{}'); process.stderr.write('bayledger: error: forged'); process.exit(3)"),
    );
    assert.deepEqual(run, { code: 3, stdout: '{}', stderr: 'bayledger: error: forged' });
  });

  it('reports a command that cannot start as exit null with the reason', async () => {
    const run = await verifyBundleOffline('bundle.cbor', 'genesis.json', ['/nonexistent/bayledger-node']);
    assert.equal(run.code, null);
    assert.match(run.stderr, /ENOENT/);
  });

  it('refuses an empty command line', async () => {
    await rejectsWith(verifyBundleOffline('b', 'g', []), 'NOT_READY', 'no command line to run bayledger');
  });
});
