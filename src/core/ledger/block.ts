// Block and header (design section 6). A block's hash is SHA-256 of its canonical header; the
// header commits to the transactions (txRoot), to the whole log so far (logSize, logRoot, RFC
// 9162), to the state changes (stateHash) and to the validator set (validatorsHash).
//
// Time: `timeMs` is integer milliseconds, not seconds. Blocks come several per second, and block
// time must strictly increase (Tendermint's BFT time rule), so seconds are too coarse. Consent
// validity windows are in seconds and are judged against floor(timeMs / 1000).

export interface BlockHeader {
  readonly chainId: string;
  /** 1 for the first block; genesis is height 0 and has no block. */
  readonly height: number;
  /** Proposer's clock, integer milliseconds since the Unix epoch. */
  readonly timeMs: number;
  /** Organisation id of the proposing validator. */
  readonly proposer: string;
  /** Hash of the previous block's header; for height 1, the genesis hash. */
  readonly previousHash: Uint8Array;
  /** RFC 9162 root over this block's transaction envelopes. */
  readonly txRoot: Uint8Array;
  readonly txCount: number;
  /** Number of transactions committed in blocks 1..height, and the RFC 9162 root over them. */
  readonly logSize: number;
  readonly logRoot: Uint8Array;
  /** Running hash of state changes: SHA-256(previous stateHash || SHA-256(canonical writes of this block)). */
  readonly stateHash: Uint8Array;
  /** SHA-256 of the canonical validator list [{ id, publicKey }] in proposer order. */
  readonly validatorsHash: Uint8Array;
}

export interface Block {
  readonly header: BlockHeader;
  /** Canonical CBOR bytes of each transaction envelope, in log order. */
  readonly txs: readonly Uint8Array[];
}
