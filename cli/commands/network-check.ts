// `bayledger network check FILE`: validates a genesis file or a template and prints OK with a
// summary, or fails with the exact problem ('FILE: organisations[3].nodeKey: expected ...').
import { toHex } from '../../src/core/bytes.js';
import {
  genesisHash,
  networkWarnings,
  parseJsonText,
  parseNetworkFile,
} from '../../src/core/config/index.js';
import { fail } from '../../src/core/errors.js';
import { readConfigText } from '../../src/node/config/index.js';
import { printResult } from '../output.js';

/**
 * Fields only a node's own config (node.json) has at its top level: a genesis or template lists
 * organisations and has none of them. Checked first, because a node config passed here would
 * otherwise be read as a template and refused for its first field ('org: unknown field').
 */
const NODE_CONFIG_FIELDS = ['org', 'genesis', 'keyFile', 'dataDir', 'apiTokenFile'];

function refuseNodeConfig(json: unknown, file: string): void {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || 'organisations' in json) return;
  if (!NODE_CONFIG_FIELDS.some((field) => field in json)) return;
  const genesis = (json as { genesis?: unknown }).genesis;
  const hint = typeof genesis === 'string' ? `; check the genesis it names (${genesis})` : '';
  fail('CONFIG_INVALID', `a node config (node.json), not a genesis file or network template${hint}`, file);
}

export async function networkCheck(file: string, options: { readonly json?: boolean }): Promise<void> {
  const json = parseJsonText(await readConfigText(file, 'genesis or network template'), file);
  refuseNodeConfig(json, file);
  const parsed = parseNetworkFile(json, file);
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
