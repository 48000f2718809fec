// Byzantine behaviours (issue 4, item 4). A Byzantine validator runs the honest state machine
// and then tampers with what it sends: the machine under test never knows, exactly as in a real
// network. At most f validators (twins count as one) are Byzantine in any scenario.

import { parseHex, toHex } from '../../src/core/bytes.js';
import type { Validator } from '../../src/core/config/genesis.js';
import { encodeConsensusMessage, type SignedConsensusMessage } from '../../src/core/consensus/codec.js';
import type { Proposal, Vote } from '../../src/core/consensus/messages.js';
import { signProposal, signVote } from '../../src/core/consensus/signing.js';
import type { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import type { Block } from '../../src/core/ledger/block.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { leafHash, merkleRoot } from '../../src/core/merkle/index.js';
import type { Prng } from './prng.js';
import type { ByzantineBehaviour } from './scenario.js';
import type { NodeLedger } from './sim-ledger.js';

export interface Outgoing {
  /** Endpoints to send to; 'all' means every other endpoint. */
  readonly to: readonly number[] | 'all';
  readonly bytes: Uint8Array;
}

export interface AdversaryEnv {
  readonly prng: Prng;
  readonly chainId: string;
  readonly validators: readonly Validator[];
  readonly signer: Ed25519Signer;
  readonly self: string;
  /** Every other endpoint. */
  readonly peers: readonly number[];
  readonly ledger: NodeLedger;
  /** Hashes (hex) of the blocks the node's machine knows at this height. */
  readonly knownBlocks: () => readonly string[];
  readonly memory: AdversaryMemory;
}

/** What a Byzantine node remembers between messages (lost when it crashes, like everything else). */
export interface AdversaryMemory {
  split: {
    readonly height: number;
    readonly sideA: readonly number[];
    readonly sideB: readonly number[];
    readonly alternative: Uint8Array;
  } | null;
}

function split(env: AdversaryEnv): [number[], number[]] {
  const shuffled = env.prng.shuffle(env.peers);
  const cut = env.prng.int(0, shuffled.length);
  return [shuffled.slice(0, cut), shuffled.slice(cut)];
}

/**
 * A block whose header honestly commits to its transactions (so it passes the machine's own
 * checks) but which the ledger must refuse: a transaction twice, and a log root that ignores it.
 */
function invalidBlock(block: Block): Block {
  const txs = [...block.txs, ...block.txs.slice(0, 1)];
  const header = {
    ...block.header,
    txCount: txs.length,
    txRoot: merkleRoot(txs.map((tx) => leafHash(tx))),
    logSize: block.header.logSize + txs.length - block.txs.length,
  };
  return { header, txs };
}

/** A second block for the same height: another time, fewer transactions, or an invalid one. */
function alternativeBlock(env: AdversaryEnv, block: Block): Block {
  const header = block.header;
  const roll = env.prng.float();
  if (roll < 0.4)
    return env.ledger.blockWith(header.proposer, header.timeMs + env.prng.int(1, 50), block.txs);
  if (roll < 0.7 || block.txs.length === 0) {
    return env.ledger.blockWith(header.proposer, header.timeMs + 1, block.txs.slice(0, -1));
  }
  return invalidBlock(block);
}

/**
 * Split brain: side A gets the honest proposal, side B a fresh alternative (validRound -1, as if
 * the proposer had forgotten its valid value); afterwards, at this height, side B gets votes for
 * the alternative whenever side A gets a vote. The classic attack on locking.
 */
function equivocateProposal(env: AdversaryEnv, proposal: Proposal): Outgoing[] {
  const block = alternativeBlock(env, proposal.block);
  const hash = blockHash(block.header);
  const signature = signProposal(env.signer, env.chainId, proposal.height, proposal.round, -1, hash);
  const other: Proposal = { ...proposal, validRound: -1, block, blockHash: hash, signature };
  const [sideA, sideB] = split(env);
  env.memory.split = { height: proposal.height, sideA, sideB, alternative: hash };
  return [
    { to: sideA, bytes: encodeConsensusMessage({ type: 'proposal', proposal }) },
    { to: sideB, bytes: encodeConsensusMessage({ type: 'proposal', proposal: other }) },
  ];
}

function splitVote(env: AdversaryEnv, vote: Vote): Outgoing[] {
  const split = env.memory.split;
  const honest = encodeConsensusMessage({ type: 'vote', vote });
  if (split === null || split.height !== vote.height) return [{ to: 'all', bytes: honest }];
  const hash = split.alternative;
  const signature = signVote(env.signer, env.chainId, vote.type, vote.height, vote.round, hash);
  const other: Vote = { ...vote, blockHash: hash, signature };
  return [
    { to: split.sideA, bytes: honest },
    { to: split.sideB, bytes: encodeConsensusMessage({ type: 'vote', vote: other }) },
  ];
}

function conflictingHash(env: AdversaryEnv, vote: Vote): Uint8Array | null {
  const current = vote.blockHash === null ? null : toHex(vote.blockHash);
  const others = env.knownBlocks().filter((key) => key !== current);
  if (others.length > 0 && env.prng.chance(0.7)) return parseHex(env.prng.pick(others))!;
  if (vote.blockHash !== null) return null;
  return env.prng.bytes(32);
}

function doubleVote(env: AdversaryEnv, vote: Vote): Outgoing[] {
  const blockHash = conflictingHash(env, vote);
  const signature = signVote(env.signer, env.chainId, vote.type, vote.height, vote.round, blockHash);
  const other: Vote = { ...vote, blockHash, signature };
  const first = encodeConsensusMessage({ type: 'vote', vote });
  const second = encodeConsensusMessage({ type: 'vote', vote: other });
  // Sometimes both to everyone (so evidence is found), usually split (to build two quorums).
  if (env.prng.chance(0.3))
    return [
      { to: 'all', bytes: first },
      { to: 'all', bytes: second },
    ];
  const [sideA, sideB] = split(env);
  return [
    { to: sideA, bytes: first },
    { to: sideB, bytes: second },
  ];
}

function badSignatures(env: AdversaryEnv, message: SignedConsensusMessage): Outgoing[] {
  const out: Outgoing[] = [];
  if (message.type === 'vote') {
    const vote = message.vote;
    const honestCopy = env.prng.chance(0.5);
    const sent = honestCopy ? vote : { ...vote, signature: env.prng.bytes(64) };
    out.push({ to: 'all', bytes: encodeConsensusMessage({ type: 'vote', vote: sent }) });
    // A forged vote in another validator's name, for a random value.
    const victim = env.prng.pick(env.validators).id;
    const forged: Vote = {
      ...vote,
      validator: victim,
      blockHash: env.prng.chance(0.5) ? null : env.prng.bytes(32),
      signature: env.prng.bytes(64),
    };
    out.push({ to: 'all', bytes: encodeConsensusMessage({ type: 'vote', vote: forged }) });
    return out;
  }
  const proposal = message.proposal;
  const corrupt = env.prng.chance(0.3);
  const sent = corrupt ? { ...proposal, signature: env.prng.bytes(64) } : proposal;
  return [{ to: 'all', bytes: encodeConsensusMessage({ type: 'proposal', proposal: sent }) }];
}

function garbage(env: AdversaryEnv, message: SignedConsensusMessage): Outgoing[] {
  const honest = encodeConsensusMessage(message);
  const out: Outgoing[] = [{ to: 'all', bytes: honest }];
  const target = () => [env.prng.pick(env.peers)];
  out.push({ to: target(), bytes: env.prng.bytes(env.prng.int(1, 200)) });
  const mutated = Uint8Array.from(honest);
  for (let flips = env.prng.int(1, 3); flips > 0; flips--) {
    mutated[env.prng.int(0, mutated.length - 1)]! ^= 1 << env.prng.int(0, 7);
  }
  out.push({ to: target(), bytes: mutated });
  out.push({ to: target(), bytes: honest.subarray(0, env.prng.int(0, honest.length - 1)) });
  return out;
}

/** What a node with this behaviour sends instead of (or besides) the honest message. */
export function outgoing(
  behaviour: ByzantineBehaviour | null,
  env: AdversaryEnv | null,
  message: SignedConsensusMessage,
): Outgoing[] {
  if (behaviour === null || env === null || behaviour === 'twins' || behaviour === 'silent') {
    return [{ to: 'all', bytes: encodeConsensusMessage(message) }];
  }
  if (behaviour === 'equivocating-proposer') {
    return message.type === 'proposal'
      ? equivocateProposal(env, message.proposal)
      : splitVote(env, message.vote);
  }
  if (behaviour === 'double-voter' && message.type === 'vote') return doubleVote(env, message.vote);
  if (behaviour === 'bad-signatures') return badSignatures(env, message);
  if (behaviour === 'garbage') return garbage(env, message);
  return [{ to: 'all', bytes: encodeConsensusMessage(message) }];
}
