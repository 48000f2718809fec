// Signatures of consensus messages, checked once on receipt (design section 8) and served to the
// state machine through its SignatureVerifier interface, so no signature is checked twice.
import { toHex } from '../core/bytes.js';
import type { Validator } from '../core/config/genesis.js';
import type { SignedConsensusMessage } from '../core/consensus/codec.js';
import { defaultVerifier } from '../core/consensus/machine.js';
import type { Proposal, Vote } from '../core/consensus/messages.js';
import type { SignatureVerifier } from '../core/consensus/types.js';
import { fail } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';

function voteKey(vote: Vote): string {
  const hash = vote.blockHash === null ? 'nil' : toHex(vote.blockHash);
  return `${vote.type}/${vote.height}/${vote.round}/${hash}/${vote.validator}/${toHex(vote.signature)}`;
}

function proposalKey(proposal: Proposal): string {
  const { height, round, validRound, blockHash, proposer, signature } = proposal;
  return `proposal/${height}/${round}/${validRound}/${toHex(blockHash)}/${proposer}/${toHex(signature)}`;
}

/**
 * Signatures of consensus messages, checked once, as they arrive from a peer (design section 8:
 * a peer that sends invalidly signed data is dropped), and the verdicts served to the state
 * machine, which would otherwise check the same signatures again. A verdict is keyed by every
 * signed field and the signature, so no other message can borrow it. Honest peers only relay
 * votes they verified, so an invalid signature is always the sender's fault.
 */
export class ConsensusSignatures implements SignatureVerifier {
  readonly #chainId: string;
  readonly #keys: ReadonlyMap<string, Uint8Array>;
  readonly #verdicts = new Map<string, boolean>();

  constructor(chainId: string, validators: readonly Validator[]) {
    this.#chainId = chainId;
    this.#keys = new Map(validators.map((validator) => [validator.id, validator.publicKey]));
  }

  /** Throws SIGNER_UNKNOWN or SIGNATURE_INVALID (the peer's fault) unless the message is validly signed. */
  check(message: SignedConsensusMessage): void {
    const signer = message.type === 'proposal' ? message.proposal.proposer : message.vote.validator;
    const publicKey = this.#keys.get(signer);
    if (publicKey === undefined)
      fail('SIGNER_UNKNOWN', `${message.type} signed by ${signer}, not a validator`);
    const valid =
      message.type === 'proposal'
        ? this.verifyProposal(publicKey, this.#chainId, message.proposal)
        : this.verifyVote(publicKey, this.#chainId, message.vote);
    if (!valid) fail('SIGNATURE_INVALID', `${message.type} of ${signer} with an invalid signature`);
  }

  verifyVote(publicKey: Uint8Array, chainId: string, vote: Vote): boolean {
    return this.#remembered(voteKey(vote), () => defaultVerifier.verifyVote(publicKey, chainId, vote));
  }

  verifyProposal(publicKey: Uint8Array, chainId: string, proposal: Proposal): boolean {
    return this.#remembered(proposalKey(proposal), () =>
      defaultVerifier.verifyProposal(publicKey, chainId, proposal),
    );
  }

  #remembered(key: string, verify: () => boolean): boolean {
    const known = this.#verdicts.get(key);
    if (known !== undefined) return known;
    const verdict = verify();
    if (this.#verdicts.size >= LIMITS.maxCachedConsensusSignatures) {
      const oldest = this.#verdicts.keys().next().value;
      if (oldest !== undefined) this.#verdicts.delete(oldest);
    }
    this.#verdicts.set(key, verdict);
    return verdict;
  }
}
