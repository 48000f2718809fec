// `bayledger keys generate`: a fresh key file (mode 0600). Prints the public keys only; the
// secrets go to the file and nowhere else.
import { type Command, Option } from 'commander';
import { configIdSchema } from '../../src/core/config/json-fields.js';
import { fail } from '../../src/core/errors.js';
import { generateKeyFile, type KeyFileKind, publicKeysOf, writeKeyFile } from '../../src/node/keys/index.js';
import { printResult } from '../output.js';
import { checkOptionValue } from '../program.js';

interface GenerateOptions {
  readonly out: string;
  readonly kind: KeyFileKind;
  readonly org?: string;
  readonly json?: boolean;
  readonly force?: boolean;
}

async function generate(options: GenerateOptions): Promise<void> {
  if (options.kind === 'node' && options.org === undefined) {
    fail('USAGE', 'keys generate --kind node needs --org ID (the organisation id in the genesis file)');
  }
  if (options.kind === 'patient' && options.org !== undefined) {
    fail('USAGE', 'a patient key belongs to no organisation: drop --org');
  }
  // A bad value, as a bad --chain-id is for network init: exit 2, not the key file's own error.
  if (options.org !== undefined) checkOptionValue(configIdSchema, options.org, '--org');
  const keyFile = generateKeyFile(options.kind, options.org);
  await writeKeyFile(options.out, keyFile, { overwrite: options.force === true });
  printResult({ ...publicKeysOf(keyFile), file: options.out }, { json: options.json });
}

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('create key files');
  keys
    .command('generate')
    .description('write a new key file (mode 0600) and print its public keys')
    .requiredOption('--out <file>', 'key file to create')
    .addOption(
      new Option('--kind <kind>', 'node (Ed25519 + X25519) or patient (Ed25519)')
        .choices(['node', 'patient'])
        .default('node'),
    )
    .option('--org <id>', 'organisation id (node keys)')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print JSON')
    .action(generate);
}
