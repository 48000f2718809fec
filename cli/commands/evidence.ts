// `bayledger evidence list`: the equivocation evidence a node kept (design section 7), and whether
// each piece verifies. Registration stays light: LevelDB and the API client load in the action.
import type { Command } from 'commander';
import { fail } from '../../src/core/errors.js';
import type { EvidenceListing } from '../../src/node/evidence/evidence-list.js';
import { printResult, renderTable } from '../output.js';

interface ListOptions {
  readonly api?: string;
  readonly dataDir?: string;
  readonly genesis?: string;
  readonly json?: boolean;
}

const HELP = `
Equivocation evidence is a pair of messages one validator signed for the same slot: two
prevotes (or two precommits) for one height and round with different block hashes, or two
proposals of the round's proposer for one height and round with different blocks. A correct
validator never signs such a pair, so the pair alone convicts its signer. Every node that sees
one keeps it (in its own data directory, not on the ledger) and serves it at GET /evidence.

Each entry is checked again here: both signatures under the validator's genesis key, the same
height, round and type, and two different blocks. With --data-dir the genesis recorded in the
data directory is used (or --genesis FILE); with --api pass --genesis FILE to check with a file
you trust, otherwise nothing is verified here: the node's own verdict is shown, and the listing
says so. "evidence" is the canonical CBOR of the two signed messages, for checking elsewhere.

Examples:
  bayledger evidence list --api http://127.0.0.1:7101 --genesis net/genesis.json
  bayledger evidence list --data-dir net/sz-cac/data --json
`;

function shortHash(hash: string | null): string {
  return hash === null ? 'nil' : hash.slice(0, 16);
}

function printListing(listing: EvidenceListing): void {
  const write = (text: string) => process.stdout.write(`${text}\n`);
  if (listing.entries.length === 0) write('no equivocation evidence');
  else
    write(
      renderTable(
        ['height', 'round', 'message', 'validator', 'block A', 'block B', 'received', 'verifies'],
        listing.entries.map((entry) => [
          String(entry.height),
          String(entry.round),
          entry.message,
          entry.validator,
          shortHash(entry.blockA),
          shortHash(entry.blockB),
          entry.receivedAt,
          entry.verifies ? 'yes' : `NO: ${entry.reason}`,
        ]),
      ),
    );
  write(listingFooter(listing));
}

/**
 * The listing's last line: how many records, and who checked them. Without a genesis to check
 * with (--api and no --genesis), nothing was verified here, and the line says so.
 */
export function listingFooter(listing: Omit<EvidenceListing, 'entries'>): string {
  const counts = `${listing.kept} kept, ${listing.dropped} dropped (oldest first, past the node's bound); chain ${listing.chainId}`;
  if (listing.checkedWith === 'node')
    return `${counts}; checked with the node: NOT verified here, each verdict is the node's own (pass --genesis FILE to check them)`;
  return `${counts}; checked with the ${listing.checkedWith}`;
}

async function list(options: ListOptions): Promise<void> {
  const { listEvidenceFromApi, listEvidenceFromDataDir } = await import(
    '../../src/node/evidence/evidence-list.js'
  );
  let listing: EvidenceListing;
  if (options.api !== undefined) {
    if (options.dataDir !== undefined) fail('USAGE', 'give either --data-dir or --api, not both');
    listing = await listEvidenceFromApi(options.api, options.genesis);
  } else {
    if (options.dataDir === undefined)
      fail('USAGE', "give --data-dir DIR (a stopped node's data) or --api URL (a running node)");
    listing = await listEvidenceFromDataDir(options.dataDir, options.genesis);
  }
  if (options.json) printResult(listing, { json: true });
  else printListing(listing);
}

export function registerEvidenceCommands(program: Command): void {
  const evidence = program
    .command('evidence')
    .description('equivocation evidence kept by a node (validators that signed two values for one slot)');
  evidence
    .command('list')
    .description('list the evidence a node kept and whether each piece verifies')
    .option('--api <url>', "a running node's API, e.g. http://127.0.0.1:7101")
    .option('--data-dir <dir>', "a stopped node's data directory")
    .option(
      '--genesis <file>',
      'genesis file to check the evidence with (with --data-dir, default: the copy recorded there)',
    )
    .option('--json', 'print JSON')
    .addHelpText('after', HELP)
    .action(list);
}
