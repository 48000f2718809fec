// The genesis file: the public description of one network (design sections 1, 5, 7, 8). It is
// the root of trust for offline verification: with it alone, anyone can check certificates,
// proofs and exports. Only public data: ids, names, roles, jurisdictions, public keys, policy.
import type { Policy } from '../policy/types.js';

export type OrganisationRole = 'validator' | 'submitter' | 'recipient';

export interface Organisation {
  /** Stable identifier, e.g. 'sz-cac'. */
  readonly id: string;
  /** Public display name of the organisation (an institution, never a person). */
  readonly name: string;
  readonly role: OrganisationRole;
  /** ISO 3166-2 style code: 'CN-GD' (Guangdong, Shenzhen) or 'HK'. */
  readonly jurisdiction: string;
  /** Ed25519 public key (32 bytes): signs records and votes, and derives the libp2p peer id. */
  readonly nodeKey: Uint8Array;
  /** X25519 public key (32 bytes) for payloads sent to this organisation. */
  readonly encryptionKey: Uint8Array;
  /** libp2p listen multiaddr, e.g. '/ip4/127.0.0.1/tcp/7101'. */
  readonly p2pAddress: string;
}

export interface ConsensusParams {
  readonly timeoutProposeMs: number;
  readonly timeoutPrevoteMs: number;
  readonly timeoutPrecommitMs: number;
  /** Added per round to every timeout, capped by LIMITS.maxTimeoutMs. */
  readonly timeoutDeltaMs: number;
  /** A proposer with an empty mempool proposes an empty block only after this long (0 = never). */
  readonly heartbeatMs: number;
  /**
   * Proposal pacing: a proposer proposes no sooner than this long after the previous height
   * started, unless a full block is waiting, so that transactions arriving meanwhile share one
   * block; a height after a longer one is not delayed (absent = 0 = propose at once). Heights h - 1
   * and h + 1 therefore start at least this far apart (at most two heights per interval). Timing
   * only: no node checks it.
   */
  readonly minBlockIntervalMs?: number;
  /** A proposal's time may be at most this far ahead of the validator's own clock. */
  readonly maxClockDriftMs: number;
  readonly maxBlockTxs: number;
  readonly maxBlockBytes: number;
}

export interface Genesis {
  readonly chainId: string;
  /** Integer milliseconds; the first block's time must be later. */
  readonly genesisTimeMs: number;
  /** The data domain this channel carries, e.g. 'health'; selects the category catalogue. */
  readonly domain: string;
  readonly organisations: readonly Organisation[];
  readonly consensus: ConsensusParams;
  /** The initial policy; later versions come from quorum-signed policy.update records. */
  readonly policy: Policy;
}

/** A validator as consensus sees it: id and key, in proposer (round-robin) order. */
export interface Validator {
  readonly id: string;
  readonly publicKey: Uint8Array;
}
