// Reporting equivocation from inside the machine: each convicted slot (evidenceSlot) is reported
// once per height as an `evidence` effect and remembered in state.evidence. Reporting never
// changes which messages count: the caller has already counted (or stored) the second message
// exactly as Algorithm 1 of arXiv:1807.04938 counts messages.
import { emit, type StepContext } from './context.js';
import {
  type EquivocationEvidence,
  evidenceSlot,
  proposalEvidence,
  type SignedProposal,
  voteEvidence,
} from './evidence.js';
import type { Vote } from './messages.js';

function report(ctx: StepContext, evidence: EquivocationEvidence): void {
  const state = ctx.state;
  const slot = evidenceSlot(evidence);
  if (state.evidence.some((known) => evidenceSlot(known) === slot)) return;
  ctx.state = { ...state, evidence: [...state.evidence, evidence] };
  emit(ctx, { type: 'evidence', evidence });
}

/** Two different validly signed votes of one validator for one slot. */
export function reportVoteEquivocation(ctx: StepContext, first: Vote, second: Vote): void {
  report(ctx, voteEvidence(first, second));
}

/** Two validly signed proposals of proposer(h, r) for one height and round, for different blocks. */
export function reportProposalEquivocation(
  ctx: StepContext,
  first: SignedProposal,
  second: SignedProposal,
): void {
  report(ctx, proposalEvidence(first, second));
}
