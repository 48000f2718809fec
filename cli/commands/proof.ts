// `bayledger proof verify FILE --genesis GENESIS`: checks an offline proof bundle (written by
// `chain proof TXID --bundle FILE`) with nothing but the genesis file, and says what it proves:
// which transaction, of which kind, at which height, committed by which validators.
import type { Command } from 'commander';
import { toHex } from '../../src/core/bytes.js';
import { errorMessage, fail } from '../../src/core/errors.js';
import { printResult } from '../output.js';

/**
 * The bundle's role in a message that it cannot be read. Its path is the command's one argument,
 * so the message needs no source for it (--genesis, the other file, has one).
 */
const PROOF_BUNDLE = 'proof bundle';

async function verifyBundle(
  file: string,
  options: { readonly genesis: string; readonly json?: boolean },
): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  const { LIMITS } = await import('../../src/core/limits.js');
  const { readGenesisFile } = await import('../../src/node/chain/open-chain.js');
  const { fileReadError, statRegularFile } = await import('../../src/node/file-read-error.js');
  const { chainParamsOf } = await import('../../src/core/ledger/chain-params.js');
  const { decodeProofBundle, verifyProofBundle } = await import('../../src/core/ledger/proof-bundle.js');
  const params = chainParamsOf(await readGenesisFile(options.genesis, '--genesis'));
  const size = (await statRegularFile(file, PROOF_BUNDLE)).size;
  if (size > LIMITS.maxProofBundleBytes)
    fail('PROOF_INVALID', `${size} bytes, a bundle is at most ${LIMITS.maxProofBundleBytes}`, file);
  // Read apart from decoding: a file that cannot be read is not an invalid bundle.
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    throw fileReadError(error, file, PROOF_BUNDLE) ?? error;
  }
  let bundle: ReturnType<typeof decodeProofBundle>;
  try {
    bundle = decodeProofBundle(bytes);
  } catch (error) {
    fail('PROOF_INVALID', `not a proof bundle: ${errorMessage(error)}`, file);
  }
  const verdict = verifyProofBundle(bundle, params);
  if (!verdict.ok) fail('PROOF_INVALID', verdict.reason, file);
  const result = {
    ok: true,
    chainId: verdict.chainId,
    txId: toHex(verdict.txId),
    kind: verdict.kind,
    height: verdict.height,
    blockHash: toHex(verdict.blockHash),
    leafIndex: verdict.leafIndex,
    logSize: verdict.logSize,
    logRoot: toHex(verdict.logRoot),
    round: verdict.round,
    signers: [...verdict.signers],
  };
  if (options.json) return printResult(result, { json: true });
  process.stdout.write(
    `OK: transaction ${result.txId} (${result.kind}) is in block ${result.height} of chain ${result.chainId}, ` +
      `committed by ${result.signers.join(', ')} (${result.signers.length} of ${params.validators.length} validators, round ${result.round})\n`,
  );
  printResult({
    blockHash: result.blockHash,
    leafIndex: result.leafIndex,
    logSize: result.logSize,
    logRoot: result.logRoot,
  });
}

export function registerProofCommands(program: Command): void {
  const proof = program.command('proof').description('check offline proofs');
  proof
    .command('verify')
    .description('verify a proof bundle with only the genesis file; say what it proves')
    .argument('<file>', 'bundle written by chain proof --bundle')
    .requiredOption('--genesis <file>', 'genesis file of the network')
    .option('--json', 'print JSON')
    .action(verifyBundle);
}
