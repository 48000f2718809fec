// One step's working area: the state as it evolves (each change makes a new state object) and
// the effects produced so far, in the order the shell must carry them out.
import type { ConsensusState } from './state.js';
import type { ConsensusEffect } from './types.js';

export interface StepContext {
  state: ConsensusState;
  readonly effects: ConsensusEffect[];
}

export function emit(ctx: StepContext, effect: ConsensusEffect): void {
  ctx.effects.push(effect);
}

export function update(ctx: StepContext, changes: Partial<ConsensusState>): void {
  ctx.state = { ...ctx.state, ...changes };
}
