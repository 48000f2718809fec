// Algorithm 1, lines 49-54: decide, move to the next height, reset lock and valid value, and
// StartRound(0). The decide effect comes first, so the shell commits the block (atomically, with
// its certificate) before it builds or validates anything of the next height.
import type { Block } from '../ledger/block.js';
import type { CommitCertificate } from '../ledger/certificate.js';
import { startRound } from './actions.js';
import { emit, type StepContext, update } from './context.js';
import { replayFuture } from './receive.js';

export function decide(
  ctx: StepContext,
  round: number,
  blockHash: Uint8Array,
  block: Block,
  certificate: CommitCertificate,
): void {
  const height = ctx.state.height;
  emit(ctx, { type: 'decide', height, round, blockHash, block, certificate }); // line 51
  update(ctx, {
    height: height + 1, // line 52
    round: 0,
    step: 'propose',
    awaitingTxs: false,
    lockedValue: null, // line 53
    lockedRound: -1,
    validValue: null,
    validRound: -1,
    lastBlock: { height, hash: blockHash, timeMs: block.header.timeMs },
    rounds: new Map(),
    blocks: new Map(),
    validity: new Map(),
    ownVotes: new Map(),
    ownProposals: new Map(),
    restoredStep: null,
    evidence: [],
  });
  startRound(ctx, 0); // line 54
  replayFuture(ctx);
}
