// A hand-driven cluster of state machines for table and scenario tests: the test decides which
// message reaches which node and when each timeout fires, so a specific schedule from the paper's
// proofs (or a counterexample) can be written down step by step.
import { parseHex } from '../../src/core/bytes.js';
import { step } from '../../src/core/consensus/machine.js';
import type { Proposal, Vote } from '../../src/core/consensus/messages.js';
import type { ConsensusState } from '../../src/core/consensus/state.js';
import type { ConsensusEffect, ConsensusInput } from '../../src/core/consensus/types.js';
import type { Block } from '../../src/core/ledger/block.js';
import { type Fixture, makeNode, type NodeOptions } from './fixtures.js';

export class Cluster {
  readonly states: ConsensusState[];
  /** Effects of each node, in order, since the start. */
  readonly effects: ConsensusEffect[][];
  readonly #nowMs: number;

  constructor(fixture: Fixture, options: NodeOptions = {}, nowMs = fixture.chain.genesisTimeMs + 1000) {
    this.states = fixture.validators.map((_, i) => makeNode(fixture, i, options));
    this.effects = fixture.validators.map(() => []);
    this.#nowMs = nowMs;
  }

  input(node: number, input: ConsensusInput): readonly ConsensusEffect[] {
    const result = step(this.states[node]!, input);
    this.states[node] = result.state;
    this.effects[node]!.push(...result.effects);
    return result.effects;
  }

  /** start-height then txs-available for every node. */
  startAll(): void {
    for (let i = 0; i < this.states.length; i++) {
      this.input(i, { type: 'start-height' });
      this.input(i, { type: 'txs-available', height: this.states[i]!.height });
    }
  }

  deliverProposal(to: number, proposal: Proposal): void {
    this.input(to, { type: 'proposal', proposal, nowMs: this.#nowMs });
    this.validatePending(to);
  }

  deliverVote(to: number, vote: Vote): void {
    this.input(to, { type: 'vote', vote });
  }

  /** Answers every validate-block request of this node with "valid". */
  validatePending(node: number): void {
    const state = this.states[node]!;
    for (const [key, verdict] of state.validity) {
      if (verdict !== 'pending') continue;
      this.input(node, {
        type: 'block-validated',
        height: state.height,
        round: state.round,
        blockHash: parseHex(key)!,
        valid: true,
      });
    }
  }

  fire(node: number, kind: 'propose' | 'prevote' | 'precommit'): void {
    const state = this.states[node]!;
    this.input(node, { type: 'timeout', kind, height: state.height, round: state.round });
  }

  /** The last vote of this type a node broadcast. */
  lastVote(node: number, type: 'prevote' | 'precommit'): Vote | undefined {
    const votes = this.effects[node]!.flatMap((effect) =>
      effect.type === 'broadcast-vote' && effect.vote.type === type ? [effect.vote] : [],
    );
    return votes[votes.length - 1];
  }

  lastProposal(node: number): Proposal | undefined {
    const proposals = this.effects[node]!.flatMap((effect) =>
      effect.type === 'broadcast-proposal' ? [effect.proposal] : [],
    );
    return proposals[proposals.length - 1];
  }

  /** Answers a pending request-proposal-block of this node with the given block. */
  answerProposalRequest(node: number, block: Block): void {
    const state = this.states[node]!;
    this.input(node, { type: 'proposal-value', height: state.height, round: state.round, block });
  }

  decisions(node: number): Extract<ConsensusEffect, { type: 'decide' }>[] {
    return this.effects[node]!.flatMap((effect) => (effect.type === 'decide' ? [effect] : []));
  }
}
