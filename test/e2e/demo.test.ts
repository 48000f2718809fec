// `bayledger demo` end to end (issue 6 "Done when"): the scenario on a fresh local network that
// the demo starts itself (the code of `bayledger up`), with a 5 MiB study instead of 50 to stay
// fast. Checks every status, reason code, receipt and inbox digest the demo reports, then checks
// them again independently against the live network (audit views, the recipient's inbox files,
// the hospital's outbox and private records) before stopping the demo with Ctrl-C.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningChild, runCommand, startChild } from '../helpers/child.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { cliCommand } from '../helpers/cli-command.js';
import { waitFor } from '../helpers/wait.js';

interface Declared {
  transferId: string;
  txId: string;
  height: number;
  status: string;
  reasons: string[];
}

interface Inbox {
  directory: string;
  allMatch: boolean;
  items: { file: string; category: string; digest: string; expected: string; match: boolean }[];
}

interface Receipt {
  accepted: boolean;
  reason: string;
  height: number;
}

interface Summary {
  dir: string;
  networkStarted: boolean;
  patient: string;
  consents: {
    imaging: { consentId: string; txId: string; height: number };
    genetic: { consentId: string; height: number };
  };
  transfers: {
    imaging: {
      declared: Declared;
      approval: { height: number; signers: string[] };
      final: { status: string; reasons: string[]; receipt: Receipt };
      payloadBytes: number;
      inbox: Inbox;
    };
    genetic: {
      declared: Declared;
      assessments: { assessor: string; status: string }[];
      final: { status: string; reasons: string[]; receipt: Receipt };
      inbox: Inbox;
    };
    prohibited: Declared;
    afterRevocation: Declared;
  };
  revocation: { consentId: string; height: number };
  proof: { ok: boolean; txId: string; kind: string; height: number; signers: string[] };
}

const VALIDATORS = ['sz-cac', 'sz-health', 'qianhai', 'hk-health'];

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('bayledger demo on a fresh local network', function () {
  this.timeout(240_000);
  let root: string;
  let dir: string;
  let cli: string[];
  let demo: RunningChild | undefined;
  const output = () => demo?.output ?? { stdout: '', stderr: '' };

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'bayledger-demo-e2e-'));
    dir = path.join(root, 'net');
    cli = await cliCommand();
    demo = startChild([...cli, 'demo', '--dir', dir, '--payload-mb', '5', '--base-port', '0', '--json'], {
      cwd: REPO_ROOT,
    });
  });

  after(async () => {
    const child = demo?.process;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // the demo stops the network it started
      const stopped = await Promise.race([
        demo!.exited,
        new Promise((resolve) => setTimeout(() => resolve('late'), 30_000)),
      ]);
      if (stopped === 'late') child.kill('SIGKILL');
    }
    await rm(root, { recursive: true, force: true });
  });

  let summary: Summary;
  const nodes = async () =>
    JSON.parse(await readFile(path.join(dir, 'nodes.json'), 'utf8')) as {
      org: string;
      role: string;
      api: string;
    }[];
  const apiOf = async (org: string) => (await nodes()).find((node) => node.org === org)!.api;
  const cliJson = async <T>(...args: string[]): Promise<T> => {
    const result = await runCommand([...cli, ...args, '--dir', dir, '--json'], {
      cwd: REPO_ROOT,
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as T;
  };

  it('plays the whole scenario and reports every step as the policy decides it', async () => {
    summary = await waitFor(
      'the demo summary',
      () => {
        const exitCode = demo!.process.exitCode;
        if (exitCode !== null) throw new Error(`demo exited ${exitCode}: ${output().stderr}`);
        try {
          return JSON.parse(output().stdout) as Summary;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 200_000, intervalMs: 200 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- demo stderr ---\n${output().stderr}`);
    });
    const { transfers } = summary;
    assert.equal(summary.networkStarted, true);
    assert.match(summary.patient, /^[0-9a-f]{64}$/);
    assert.match(summary.consents.imaging.consentId, /^[0-9a-f]{64}$/);

    assert.deepEqual(
      [transfers.imaging.declared.status, transfers.imaging.declared.reasons],
      ['approved', []],
    );
    assert.equal(transfers.imaging.approval.height, transfers.imaging.declared.height);
    assert.ok(transfers.imaging.approval.signers.length >= 3);
    for (const signer of transfers.imaging.approval.signers) assert.ok(VALIDATORS.includes(signer), signer);
    assert.deepEqual([transfers.imaging.final.status, transfers.imaging.final.reasons], ['delivered', []]);
    assert.deepEqual(
      [transfers.imaging.final.receipt.accepted, transfers.imaging.final.receipt.reason],
      [true, 'OK'],
    );
    assert.ok(transfers.imaging.payloadBytes > 5 * 1024 * 1024);
    assert.equal(transfers.imaging.inbox.allMatch, true);
    assert.deepEqual(
      transfers.imaging.inbox.items.map((item) => [item.category, item.match]),
      [
        ['imaging-study', true],
        ['radiology-report', true],
      ],
    );

    assert.deepEqual(
      [transfers.genetic.declared.status, transfers.genetic.declared.reasons],
      ['awaiting-assessment', ['ASSESSMENT_REQUIRED']],
    );
    assert.deepEqual(
      transfers.genetic.assessments.map((a) => [a.assessor, a.status]),
      [
        ['sz-cac', 'awaiting-assessment'],
        ['sz-health', 'approved'],
      ],
    );
    assert.deepEqual(
      [transfers.genetic.final.status, transfers.genetic.final.receipt.reason],
      ['delivered', 'OK'],
    );
    assert.equal(transfers.genetic.inbox.allMatch, true);

    assert.deepEqual(
      [transfers.prohibited.status, transfers.prohibited.reasons],
      ['rejected', ['NEGATIVE_LIST_PROHIBITED']],
    );
    assert.equal(summary.revocation.consentId, summary.consents.imaging.consentId);
    assert.ok(summary.revocation.height > transfers.genetic.final.receipt.height);
    assert.deepEqual(
      [transfers.afterRevocation.status, transfers.afterRevocation.reasons],
      ['rejected', ['CONSENT_REVOKED']],
    );
    assert.ok(transfers.afterRevocation.height > summary.revocation.height);

    assert.deepEqual(
      [summary.proof.ok, summary.proof.kind, summary.proof.txId],
      [true, 'transfer.declare', transfers.imaging.declared.txId],
    );
    assert.equal(summary.proof.height, transfers.imaging.approval.height);
    assert.deepEqual([...summary.proof.signers].sort(), [...transfers.imaging.approval.signers].sort());
  });

  it('agrees with the ledger, the inbox and the outbox, checked independently', async () => {
    const { transfers } = summary;
    const qianhai = await apiOf('qianhai');
    const patient = await cliJson<{
      consents: { consentId: string; status: string }[];
      transfers: { transferId: string; status: string; reasons: string[] }[];
    }>('audit', 'patient', summary.patient, '--api', qianhai);
    assert.deepEqual(
      patient.consents.map((c) => [c.consentId, c.status]),
      [
        [summary.consents.imaging.consentId, 'revoked'],
        [summary.consents.genetic.consentId, 'active'],
      ],
    );
    assert.deepEqual(
      patient.transfers.map((t) => [t.transferId, t.status, t.reasons]),
      [
        [transfers.imaging.declared.transferId, 'delivered', []],
        [transfers.genetic.declared.transferId, 'delivered', []],
        [transfers.prohibited.transferId, 'rejected', ['NEGATIVE_LIST_PROHIBITED']],
        [transfers.afterRevocation.transferId, 'rejected', ['CONSENT_REVOKED']],
      ],
    );
    for (const delivered of [transfers.imaging.declared, transfers.genetic.declared]) {
      const audit = await cliJson<{
        receipt: { accepted: boolean; reason: string; payloadRootMatchesDeclaration: boolean };
        declaration: { items: { digest: string }[] };
      }>('audit', 'transfer', delivered.transferId, '--api', qianhai);
      assert.deepEqual(
        [audit.receipt.accepted, audit.receipt.reason, audit.receipt.payloadRootMatchesDeclaration],
        [true, 'OK', true],
      );
      const filed = path.join(dir, 'ehealth-hk', 'inbox', summary.patient, delivered.transferId);
      const manifest = JSON.parse(await readFile(path.join(filed, 'manifest.json'), 'utf8')) as {
        items: { file: string }[];
      };
      const digests = await Promise.all(
        manifest.items.map(async (item) =>
          sha256(new Uint8Array(await readFile(path.join(filed, item.file)))),
        ),
      );
      assert.deepEqual(
        digests,
        audit.declaration.items.map((item) => item.digest),
        'inbox files are the declared ones',
      );
    }
    // Nothing of the refused transfers reached the recipient; the hospital freed every payload.
    const inbox = await readdir(path.join(dir, 'ehealth-hk', 'inbox'), { recursive: true });
    for (const refused of [transfers.prohibited, transfers.afterRevocation]) {
      assert.ok(!inbox.some((entry) => entry.includes(refused.transferId)));
    }
    await waitFor('the hospital outbox emptied', async () =>
      (await readdir(path.join(dir, 'hku-szh', 'outbox'))).every((entry) => entry.startsWith('.')),
    );
    assert.equal(
      (await readdir(path.join(dir, 'hku-szh', 'declared'))).length,
      4,
      'one private record per declaration',
    );
  });

  it('stops the network it started on Ctrl-C', async () => {
    const apis = (await nodes()).map((node) => node.api);
    demo!.process.kill('SIGINT');
    assert.equal(await demo!.exited, 0, output().stderr);
    for (const api of apis) {
      await assert.rejects(
        fetch(`${api}/status`, { signal: AbortSignal.timeout(2000) }),
        `${api} still answers`,
      );
    }
  });
});
