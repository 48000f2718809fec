// `bayledger demo` (issue 6 item 6): the real scenario against a live local network, narrated with
// timings. Every step goes through the same commands a user would type (their functions, called
// in-process), and every outcome is checked: a status or reason that differs from the scenario
// stops the demo with exit 1. So does a node of a network the demo started that exits during the
// scenario: the failure names the node, its exit code or signal and its log, as `up` does.
//
//   1. a patient key; consent for imaging studies and radiology reports to ehealth-hk
//   2. a synthetic imaging study (--payload-mb, default 50 MiB) and a report, declared by hku-szh:
//      approved by the quorum, released, delivered, filed, receipted; inbox digests checked
//   3. a genetic test result: awaits sz-cac's and sz-health's assessments, then is released
//   4. population health data: rejected NEGATIVE_LIST_PROHIBITED
//   5. the patient revokes the first consent; a new declaration under it: rejected CONSENT_REVOKED
//   6. an offline proof bundle of the release, verified with the genesis file alone (proof verify)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fail } from '../../src/core/errors.js';
import { generateKeyFile, publicKeysOf, writeKeyFile } from '../../src/node/keys/key-file.js';
import { printResult } from '../output.js';
import { writeOutputFile } from '../output-file.js';
import { readTransferAudit } from './audit-run.js';
import { grantConsent, revokeConsent } from './consent-run.js';
import { checkInbox, expect, verifyBundleOffline } from './demo-checks.js';
import {
  writeGeneticResult,
  writeImagingStudy,
  writePopulationData,
  writeRadiologyReport,
} from './demo-data.js';
import { Narrator } from './demo-narrator.js';
import { type DemoNetwork, ensureNetwork, nodeOf } from './demo-network.js';
import { resolveApi } from './transfer-api.js';
import {
  assessTransfer,
  type DeclareResult,
  declareTransfer,
  type TransferView,
  waitForTransfer,
} from './transfer-run.js';
import { keepNetworkRunning, untilNodeExits } from './up-run.js';

export interface DemoOptions {
  readonly dir: string;
  readonly payloadMb: number;
  readonly basePort: number;
  readonly logLevel: string;
  readonly exit?: boolean;
  readonly json?: boolean;
}

const HOSPITAL = 'hku-szh';
const RECIPIENT = 'ehealth-hk';
const PURPOSE = 'continuity-of-care';
const CONSENT_DAYS = 180;
const DELIVERY_TIMEOUT_S = 600;
const COMMIT_TIMEOUT_S = 120;

export async function demo(options: DemoOptions): Promise<void> {
  const narrator = new Narrator(options.json === true);
  narrator.step('local network');
  const network = await ensureNetwork(options, (text) => narrator.say(text));
  const started = network.started;
  const workDir = await mkdtemp(path.join(tmpdir(), 'bayledger-demo-'));
  // A network the demo did not start keeps running whatever --exit says.
  const keepsRunning = started === undefined || !options.exit;
  const running = scenario(options, network, narrator, workDir, keepsRunning);
  try {
    // A node of the network the demo started that dies mid-scenario fails the demo naming the
    // node, how it ended and its log, as `up` does, rather than whichever step it broke.
    const summary =
      started === undefined
        ? await running
        : await untilNodeExits(started, running, 'during the demo', (text) => narrator.raw(text));
    if (options.json) printResult(summary, { json: true });
  } catch (error) {
    await started?.stop();
    throw error;
  } finally {
    // After a node exit the scenario is still running: with the network stopped its next request
    // fails, and it must end before its working folder is removed under it.
    await running.catch(() => {});
    await rm(workDir, { recursive: true, force: true });
  }
  if (started === undefined) return;
  if (options.exit) {
    narrator.raw('stopping the network\n');
    await started.stop();
    return;
  }
  narrator.raw('\nthe network keeps running; press Ctrl-C to stop it\n');
  await keepNetworkRunning(started);
}

/** The hospital's side of the scenario: its node's API and the patient's key file. */
interface ScenarioContext {
  readonly api: { readonly api: string; readonly dir: string; readonly tokenFile: string };
  readonly patientKeyFile: string;
  readonly validUntil: string;
}

/** A consent of the patient to RECIPIENT for `categories`, countersigned and submitted by HOSPITAL. */
function grant(context: ScenarioContext, categories: string) {
  return grantConsent({
    ...context.api,
    patientKey: context.patientKeyFile,
    recipient: RECIPIENT,
    categories,
    purpose: PURPOSE,
    validUntil: context.validUntil,
    timeout: COMMIT_TIMEOUT_S,
  });
}

interface Declaration {
  /** Names the declaration in a failed check. */
  readonly what: string;
  readonly consentId: string;
  /** CATEGORY=FILE items. */
  readonly items: string[];
  readonly route: string;
  readonly filingReference?: string;
  /** The status and reason codes the policy must decide. */
  readonly expected: readonly [status: string, reasons: readonly string[]];
}

/** Seals, declares and waits for the verdict of one transfer; stops the demo if it differs. */
async function declare(context: ScenarioContext, declaration: Declaration): Promise<DeclareResult> {
  const result = await declareTransfer({
    ...context.api,
    consent: declaration.consentId,
    recipient: RECIPIENT,
    item: declaration.items,
    route: declaration.route,
    filingReference: declaration.filingReference,
    timeout: COMMIT_TIMEOUT_S,
  });
  expect(declaration.what, [result.status, result.reasons], declaration.expected);
  return result;
}

/**
 * Runs one narrated step of the scenario: prints its title, runs it, and records how long it
 * took under `timingName` in the summary's timingsMs.
 */
async function runStep<T>(
  narrator: Narrator,
  title: string,
  timingName: string,
  work: () => Promise<T>,
): Promise<T> {
  narrator.step(title);
  const result = await work();
  narrator.done(timingName);
  return result;
}

async function scenario(
  options: DemoOptions,
  network: DemoNetwork,
  narrator: Narrator,
  workDir: string,
  keepsRunning: boolean,
) {
  const dir = path.resolve(options.dir);
  const hospital = nodeOf(network.nodes, HOSPITAL);
  const api = { api: hospital.api, dir, tokenFile: hospital.tokenFile };
  const readApi = await resolveApi(api);
  const context: ScenarioContext = {
    api,
    patientKeyFile: path.join(workDir, 'patient.key'),
    validUntil: new Date(Date.now() + CONSENT_DAYS * 86_400_000).toISOString().slice(0, 10),
  };
  const { patientKeyFile } = context;

  const { patient, imagingConsent } = await runStep(narrator, '1. the patient', 'consent', async () => {
    const patientKey = generateKeyFile('patient');
    await writeKeyFile(patientKeyFile, patientKey);
    const pseudonym = publicKeysOf(patientKey).publicKey;
    narrator.say(`a new patient key (kept on the patient's device; here ${patientKeyFile})`);
    narrator.say(`pseudonym on the ledger: ${pseudonym}`);
    narrator.say('the patient signs a consent for imaging studies and radiology reports to ehealth-hk;');
    narrator.say(`${HOSPITAL} verifies their identity, countersigns and submits it`);
    const consent = await grant(context, 'imaging-study,radiology-report');
    narrator.say(`consent ${consent.consentId} committed at height ${consent.height}`);
    return { patient: pseudonym, imagingConsent: consent };
  });

  const title = `2. a ${options.payloadMb} MiB imaging study and its report`;
  const { imaging, study, report, declaredAudit } = await runStep(narrator, title, 'declare', async () => {
    const studyFile = await writeImagingStudy(workDir, options.payloadMb);
    const reportFile = await writeRadiologyReport(workDir);
    narrator.say(`synthetic files generated locally in ${workDir}`);
    const declared = await declare(context, {
      what: 'imaging declaration status',
      consentId: imagingConsent.consentId,
      items: [`imaging-study=${studyFile}`, `radiology-report=${reportFile}`],
      route: 'gba-standard-contract',
      filingReference: 'GBA-SC-2026-000123',
      expected: ['approved', []],
    });
    narrator.say(
      `sealed for ${RECIPIENT} (AES-256-GCM, key agreed by X25519) and declared: transfer ${declared.transferId}`,
    );
    const audit = await readTransferAudit(api, declared.transferId);
    narrator.say(
      `approved at height ${audit.approval?.height}, final with the certificate of ${audit.approval?.signers.join(', ')}`,
    );
    return { imaging: declared, study: studyFile, report: reportFile, declaredAudit: audit };
  });
  narrator.step('   release, delivery and receipt');
  narrator.say(
    `${HOSPITAL} releases the payload to ${RECIPIENT} only now; every chunk is checked against the declared root`,
  );
  const delivered = await waitForTransfer(readApi, imaging.transferId, 'delivered', DELIVERY_TIMEOUT_S);
  const deliveryMs = narrator.done('delivery');
  const payloadBytes = delivered.declaration.payload.bytes;
  narrator.say(
    `delivered in ${(deliveryMs / 1000).toFixed(1)} s (${(payloadBytes / 1024 / 1024 / Math.max(deliveryMs / 1000, 0.001)).toFixed(1)} MiB/s); receipt ${delivered.receipt?.reason} at height ${delivered.receipt?.height}`,
  );
  const imagingInbox = await checkInbox(dir, RECIPIENT, patient, imaging.transferId, [study, report]);
  expect('imaging inbox digests match', imagingInbox.allMatch, true);
  narrator.say(
    `inbox ${imagingInbox.directory}: ${imagingInbox.items.length} files, every SHA-256 equals the original's`,
  );

  const geneticTitle = '3. a genetic test result (negative list: needs sz-cac and sz-health)';
  const genetic = await runStep(narrator, geneticTitle, 'genetic', async () => {
    const consent = await grant(context, 'genetic-test-result,population-health-data');
    narrator.say(`second consent ${consent.consentId} (genetic test results, population health data)`);
    const geneticFile = await writeGeneticResult(workDir);
    const declared = await declare(context, {
      what: 'genetic declaration',
      consentId: consent.consentId,
      items: [`genetic-test-result=${geneticFile}`],
      route: 'certification',
      expected: ['awaiting-assessment', ['ASSESSMENT_REQUIRED']],
    });
    narrator.say(
      `transfer ${declared.transferId}: ${declared.status} (${declared.reasons.join(', ')}); nothing moves yet`,
    );
    const assessments = [];
    for (const assessor of ['sz-cac', 'sz-health']) {
      const regulator = nodeOf(network.nodes, assessor);
      const result = await assessTransfer(declared.transferId, {
        api: regulator.api,
        dir,
        tokenFile: regulator.tokenFile,
        decision: 'approve',
        reason: 'OK',
        timeout: COMMIT_TIMEOUT_S,
      });
      expect(`assessment by ${assessor} accepted`, result.accepted, true);
      assessments.push({ assessor, height: result.height, status: result.status });
      narrator.say(`${assessor} approves at height ${result.height}: transfer ${result.status}`);
    }
    expect(
      'genetic status after both assessments',
      assessments.map((a) => a.status),
      ['awaiting-assessment', 'approved'],
    );
    const final = await waitForTransfer(readApi, declared.transferId, 'delivered', DELIVERY_TIMEOUT_S);
    const inbox = await checkInbox(dir, RECIPIENT, patient, declared.transferId, [geneticFile]);
    expect('genetic inbox digests match', inbox.allMatch, true);
    narrator.say(`released after the second assessment; delivered, receipt ${final.receipt?.reason}`);
    return { consent, declared, assessments, final, inbox };
  });

  const prohibitedTitle = '4. population health data (negative list: prohibited)';
  const prohibited = await runStep(narrator, prohibitedTitle, 'prohibited', async () => {
    const populationFile = await writePopulationData(workDir);
    const declared = await declare(context, {
      what: 'prohibited declaration',
      consentId: genetic.consent.consentId,
      items: [`population-health-data=${populationFile}`],
      route: 'certification',
      expected: ['rejected', ['NEGATIVE_LIST_PROHIBITED']],
    });
    narrator.say(
      `transfer ${declared.transferId}: rejected (${declared.reasons.join(', ')}); its sealed payload is discarded`,
    );
    return declared;
  });

  const revocationTitle = '5. the patient revokes the imaging consent';
  const { revocation, afterRevocation } = await runStep(narrator, revocationTitle, 'revocation', async () => {
    const revoked = await revokeConsent({
      ...api,
      consent: imagingConsent.consentId,
      patientKey: patientKeyFile,
      timeout: COMMIT_TIMEOUT_S,
    });
    narrator.say(`revoked at height ${revoked.height}, effective from that block`);
    const followUp = await writeRadiologyReport(workDir, 'synthetic-follow-up-report.pdf');
    const declared = await declare(context, {
      what: 'declaration after revocation',
      consentId: imagingConsent.consentId,
      items: [`radiology-report=${followUp}`],
      route: 'certification',
      expected: ['rejected', ['CONSENT_REVOKED']],
    });
    narrator.say(
      `a follow-up report under it: transfer ${declared.transferId} rejected (${declared.reasons.join(', ')})`,
    );
    return { revocation: revoked, afterRevocation: declared };
  });

  const genesisFile = path.join(dir, 'genesis.json');
  const proof = await runStep(narrator, '6. offline verification of the release', 'proof', async () => {
    const bundleFile = path.join(workDir, 'release-bundle.cbor');
    const response = await fetch(`${hospital.api}/chain/bundle/${imaging.txId}`);
    if (!response.ok) fail('REMOTE_ERROR', `bundle: HTTP ${response.status}`);
    await writeOutputFile(bundleFile, new Uint8Array(await response.arrayBuffer()), 'proof bundle');
    const verified = await verifyBundleOffline(bundleFile, genesisFile);
    if (verified.code !== 0) fail('PROOF_INVALID', `proof verify failed: ${verified.stderr.trim()}`);
    const checked = JSON.parse(verified.stdout) as {
      ok: boolean;
      txId: string;
      kind: string;
      height: number;
      signers: string[];
    };
    expect(
      'bundle proves the declaration that was approved',
      [checked.ok, checked.txId, checked.kind],
      [true, imaging.txId, 'transfer.declare'],
    );
    narrator.say(`bayledger proof verify <bundle> --genesis ${genesisFile}`);
    narrator.say(
      `OK: ${checked.kind} ${checked.txId} is in block ${checked.height}, certified by ${checked.signers.join(', ')}`,
    );
    return checked;
  });

  narrator.step('inspect it yourself');
  // Commands that ask a node (--api, curl) are shown only if the network is still there to answer.
  const liveCommands = [
    `bayledger audit transfer ${imaging.transferId} --api ${hospital.api}`,
    `bayledger audit patient ${patient} --api ${hospital.api}`,
    `bayledger transfer status ${genetic.declared.transferId} --api ${hospital.api}`,
    `curl ${hospital.api}/chain/bundle/${imaging.txId} -o bundle.cbor && bayledger proof verify bundle.cbor --genesis ${genesisFile}`,
  ];
  const verifyCommand = `bayledger chain verify --data-dir ${path.join(dir, 'sz-cac', 'data')}`;
  for (const line of [
    ...(keepsRunning ? liveCommands : []),
    `ls ${path.join(dir, RECIPIENT, 'inbox', patient)}`,
    keepsRunning ? `after stopping: ${verifyCommand}` : `once the network has stopped: ${verifyCommand}`,
  ]) {
    narrator.say(line);
  }

  const summarise = (result: DeclareResult) => ({
    transferId: result.transferId,
    txId: result.txId,
    height: result.height,
    status: result.status,
    reasons: result.reasons,
  });
  const finalOf = (view: TransferView) => ({
    status: view.status,
    reasons: view.reasons,
    receipt: view.receipt,
  });
  return {
    dir,
    networkStarted: network.started !== undefined,
    patient,
    consents: { imaging: imagingConsent, genetic: genetic.consent },
    transfers: {
      imaging: {
        declared: summarise(imaging),
        approval: declaredAudit.approval,
        final: finalOf(delivered),
        payloadBytes,
        inbox: imagingInbox,
      },
      genetic: {
        declared: summarise(genetic.declared),
        assessments: genetic.assessments,
        final: finalOf(genetic.final),
        inbox: genetic.inbox,
      },
      prohibited: summarise(prohibited),
      afterRevocation: summarise(afterRevocation),
    },
    revocation,
    proof,
    timingsMs: narrator.timingsMs,
  };
}
