// `network check` accepts either kind of network file. A genesis file has a genesis time and
// keyed organisations; a template has neither. Deciding on `genesisTimeMs` keeps the error for a
// half-edited genesis about the genesis schema, not a confusing template one.
import type { Genesis } from './genesis.js';
import { parseGenesis } from './genesis-schema.js';
import { type NetworkTemplate, parseTemplate } from './template.js';

export type NetworkFile =
  | { readonly kind: 'genesis'; readonly genesis: Genesis }
  | { readonly kind: 'template'; readonly template: NetworkTemplate };

export function parseNetworkFile(json: unknown, source: string): NetworkFile {
  const isGenesis = typeof json === 'object' && json !== null && Object.hasOwn(json, 'genesisTimeMs');
  return isGenesis
    ? { kind: 'genesis', genesis: parseGenesis(json, source) }
    : { kind: 'template', template: parseTemplate(json, source) };
}
