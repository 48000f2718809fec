// Algorithm 1, lines 49-54: decide, move to the next height, reset lock and valid value, and
// StartRound(0). The decide effect comes first, so the shell commits the block (atomically, with
// its certificate) before it builds or validates anything of the next height.
import type { Block } from '../ledger/block.js';
import type { CommitCertificate } from '../ledger/certificate.js';
import { startRound } from './actions.js';
import { emit, type StepContext, update } from './context.js';
import { replayFuture } from './receive.js';
import { heightStart } from './state.js';

export function decide(
  ctx: StepContext,
  round: number,
  blockHash: Uint8Array,
  block: Block,
  certificate: CommitCertificate,
): void {
  const height = ctx.state.height;
  emit(ctx, { type: 'decide', height, round, blockHash, block, certificate }); // line 51
  // Lines 52-53: h_p + 1, round 0, lock and valid value reset; nothing of the old height kept.
  update(ctx, heightStart(height + 1, { height, hash: blockHash, timeMs: block.header.timeMs }));
  startRound(ctx, 0); // line 54
  replayFuture(ctx);
}
