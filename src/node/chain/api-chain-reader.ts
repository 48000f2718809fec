// ChainReader over a running node's local API (`bayledger chain ... --api URL`). The node's
// /chain routes answer with the very views StoreChainReader builds from its store, so the CLI
// prints the same fields, byte for byte in --json, whether it reads a stopped node's data
// directory or asks a running one. Errors keep the node's codes (NOT_FOUND stays NOT_FOUND);
// nothing answering is UNREACHABLE.
import { fail } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { ApiClient, ApiClientError } from '../api/client.js';
import type {
  BlockView,
  ChainReader,
  ChainStatusView,
  CheckpointView,
  ConsistencyProofView,
  InclusionProofView,
  TxView,
} from './chain-reader.js';
import { parseTxId } from './store-chain-reader.js';

export interface ApiChainReaderOptions {
  /** The node's API base URL, e.g. http://127.0.0.1:7101 (reads need no token). */
  readonly baseUrl: string;
  readonly timeoutMs?: number;
}

/** Checks that --api names an http(s) URL with nothing but a host, a port and maybe a base path. */
export function parseApiUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('USAGE', `--api ${text}: expected a URL such as http://127.0.0.1:7101`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    fail('USAGE', `--api ${text}: only http and https URLs`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    fail('USAGE', `--api ${text}: no query, fragment or credentials in the URL`);
  return url.toString().replace(/\/+$/, '');
}

/** `?name=value` for a value given, nothing for none. */
function optionalQuery(name: string, value: number | undefined): string {
  return value === undefined ? '' : `?${name}=${value}`;
}

export class ApiChainReader implements ChainReader {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #client: ApiClient;

  constructor(options: ApiChainReaderOptions) {
    this.#baseUrl = parseApiUrl(options.baseUrl);
    this.#timeoutMs = options.timeoutMs ?? LIMITS.apiClientTimeoutMs;
    this.#client = new ApiClient({ baseUrl: this.#baseUrl, timeoutMs: this.#timeoutMs });
  }

  async #get<T>(path: string): Promise<T> {
    const answer = await this.#client.getJson(path);
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer))
      throw new ApiClientError(
        'REMOTE_ERROR',
        'the node answered with something that is not a view',
        200,
        path,
      );
    return answer as T;
  }

  status(): Promise<ChainStatusView> {
    return this.#get('/chain/status');
  }

  block(height: number): Promise<BlockView> {
    return this.#get(`/chain/blocks/${height}`);
  }

  async tx(txIdHex: string): Promise<TxView> {
    parseTxId(txIdHex);
    return this.#get(`/chain/txs/${txIdHex}`);
  }

  async inclusionProof(txIdHex: string, treeSize?: number): Promise<InclusionProofView> {
    parseTxId(txIdHex);
    return this.#get(`/chain/proof/${txIdHex}${optionalQuery('size', treeSize)}`);
  }

  consistencyProof(oldSize: number, newSize: number): Promise<ConsistencyProofView> {
    return this.#get(`/chain/consistency?old=${oldSize}&new=${newSize}`);
  }

  checkpoint(height?: number): Promise<CheckpointView> {
    return this.#get(`/chain/checkpoint${optionalQuery('height', height)}`);
  }

  async proofBundle(txIdHex: string): Promise<Uint8Array> {
    parseTxId(txIdHex);
    return this.#client.getBytes(`/chain/bundle/${txIdHex}`, LIMITS.maxProofBundleBytes);
  }

  async close(): Promise<void> {}
}
