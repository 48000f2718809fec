// The demo's checks of its outcomes (cli/commands/demo-run.ts): a value that differs from the
// scenario's stops the demo (exit 1); the recipient's filed items are compared with the hospital's
// originals digest by digest; the release's proof bundle is verified by the offline verifier run
// as its own process, as an auditor would run it.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../../src/core/errors.js';
import { INBOX_MANIFEST_FILE } from '../../src/node/transfer/filing.js';
import { fileDigest } from './demo-data.js';
import { selfCommand } from './up-run.js';

/** Stops the demo (CONFLICT, exit 1) if `actual` is not `expected`, naming `what`. */
export function expect(what: string, actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    fail('CONFLICT', `demo: ${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

export interface InboxCheck {
  directory: string;
  items: { file: string; category: string; digest: string; expected: string; match: boolean }[];
  allMatch: boolean;
}

/** Compares the recipient's filed items with the hospital's original files, byte digest by digest. */
export async function checkInbox(
  dir: string,
  recipient: string,
  patient: string,
  transferId: string,
  originals: string[],
): Promise<InboxCheck> {
  // The recipient's filing folder (src/node/transfer-service/folders.ts): <org>/inbox/<patient>/<transferId>.
  const directory = path.join(path.resolve(dir), recipient, 'inbox', patient, transferId);
  const manifest = JSON.parse(await readFile(path.join(directory, INBOX_MANIFEST_FILE), 'utf8')) as {
    transferId: string;
    items: { file: string; category: string; digest: string }[];
  };
  expect('inbox manifest transfer', manifest.transferId, transferId);
  const items = [];
  for (const [i, item] of manifest.items.entries()) {
    const digest = await fileDigest(path.join(directory, item.file));
    const expected = await fileDigest(originals[i]!);
    items.push({
      file: item.file,
      category: item.category,
      digest,
      expected,
      match: digest === expected && item.digest === expected,
    });
  }
  return {
    directory,
    items,
    allMatch: items.length === originals.length && items.every((item) => item.match),
  };
}

/**
 * Runs `bayledger proof verify FILE --genesis GENESIS --json` (the offline verifier) as a child;
 * `command` runs the CLI ([execPath, ...args]: this same CLI unless a test says otherwise).
 */
export async function verifyBundleOffline(
  file: string,
  genesis: string,
  command: readonly string[] = selfCommand(),
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [executable, ...args] = command;
  if (executable === undefined) fail('NOT_READY', 'no command line to run bayledger');
  return new Promise((resolve) => {
    execFile(
      executable,
      [...args, 'proof', 'verify', file, '--genesis', genesis, '--json'],
      { encoding: 'utf8' },
      (error, stdout, stderr) => {
        // A non-zero exit carries its code; a child that could not start has a string code
        // (ENOENT, ...) and reports as exit null with its message.
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr: error !== null && code === null ? error.message : stderr });
      },
    );
  });
}
