// `bayledger network check FILE`: validates a genesis file or a template and prints OK with a
// summary, or fails with the exact problem ('FILE: organisations[3].nodeKey: expected ...').
import { toHex } from '../../src/core/bytes.js';
import {
  genesisHash,
  networkWarnings,
  parseJsonText,
  parseNetworkFile,
} from '../../src/core/config/index.js';
import { readConfigText } from '../../src/node/config/index.js';
import { printResult } from '../output.js';

export async function networkCheck(file: string, options: { readonly json?: boolean }): Promise<void> {
  const parsed = parseNetworkFile(parseJsonText(await readConfigText(file), file), file);
  const network = parsed.kind === 'genesis' ? parsed.genesis : parsed.template;
  const organisations = network.organisations;
  const summary = {
    ok: true,
    file,
    kind: parsed.kind,
    chainId: network.chainId,
    organisations: organisations.length,
    validators: organisations.filter((organisation) => organisation.role === 'validator').length,
    genesisHash: parsed.kind === 'genesis' ? toHex(genesisHash(parsed.genesis)) : undefined,
    warnings: networkWarnings(organisations),
  };
  if (options.json) {
    printResult(summary, { json: true });
    return;
  }
  const hash = summary.genesisHash === undefined ? '' : `, genesis hash ${summary.genesisHash}`;
  process.stdout.write(
    `OK: ${file} is a valid ${parsed.kind} (chain ${summary.chainId}, ${summary.organisations} organisations, ` +
      `${summary.validators} validators${hash})\n`,
  );
  for (const warning of summary.warnings) process.stdout.write(`warning: ${warning}\n`);
}
