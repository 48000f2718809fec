// Table tests of the consensus state machine against Algorithm 1 of Buchman, Kwon, Milosevic,
// "The latest gossip on BFT consensus" (arXiv:1807.04938): one row per state-changing line,
// each (given state, input, expected effects, expected state). Four validators v0..v3, so
// f = 1 and a quorum (2f + 1) is 3; proposer(1, r) = v[(1 + r) mod 4]; the node under test is v0
// unless a row says otherwise. Timeouts: propose 300, prevote 150, precommit 150, +100 per round.
import assert from 'node:assert/strict';
import { toHex } from '../../src/core/bytes.js';
import type { ConsensusState } from '../../src/core/consensus/state.js';
import type { ConsensusEffect, ConsensusInput } from '../../src/core/consensus/types.js';
import { verifyCertificate } from '../../src/core/ledger/certificate-verify.js';
import {
  feed,
  makeNode,
  makeTableFixture,
  proposalInputs,
  START_INPUTS,
  summarize,
  timeoutInput,
  voteInputs,
} from '../sim/fixtures.js';

const { fx, A, B, labels } = makeTableFixture();

interface Expected {
  readonly height?: number;
  readonly round?: number;
  readonly step?: string;
  readonly lockedRound?: number;
  readonly lockedValue?: string | null;
  readonly validRound?: number;
  readonly validValue?: string | null;
}

interface Row {
  readonly line: string;
  readonly name: string;
  readonly given: () => ConsensusState;
  readonly input: readonly ConsensusInput[];
  readonly effects: readonly string[];
  readonly state: Expected;
  readonly also?: (effects: readonly ConsensusEffect[], state: ConsensusState) => void;
}

const run = (state: ConsensusState, ...inputs: ConsensusInput[]) => feed(state, ...inputs).state;

/** v0 after start: round 0, propose step, propose timeout running. */
const started = () => run(makeNode(fx, 0), ...START_INPUTS);
/** v0 after prevoting A (line 24) in round 0. */
const prevotedA = () => run(started(), ...proposalInputs(fx, 0, A));
/** v0 locked on A in round 0 (lines 36-41): A proposed, prevoted by v0, v1, v2. */
const lockedA = () => run(prevotedA(), ...voteInputs(fx, 'prevote', 0, A, [1, 2]));
/** v0 locked on A in round 0, then in round 1 after precommit timeout (proposer v2). */
const lockedAInRound1 = () =>
  run(lockedA(), ...voteInputs(fx, 'precommit', 0, null, [1, 2]), timeoutInput('precommit', 0));
/** v0 locked on A in round 1 (B got 3 prevotes in round 0), now in round 2 (proposer v3). */
const lockedAtRound1InRound2 = () =>
  run(
    started(),
    ...voteInputs(fx, 'prevote', 0, B, [1, 2, 3]),
    ...voteInputs(fx, 'precommit', 1, null, [1, 2]),
    ...proposalInputs(fx, 1, A),
    ...voteInputs(fx, 'prevote', 1, A, [1, 3]),
    ...voteInputs(fx, 'precommit', 2, null, [1, 3]),
  );
/** v0 locked on A in round 0, in round 2, knowing 3 prevotes for B in round 1. */
const lockedAInRound2WithPolForB = () =>
  run(
    lockedA(),
    ...voteInputs(fx, 'prevote', 1, B, [1, 2, 3]),
    ...voteInputs(fx, 'precommit', 2, null, [1, 2]),
  );

const rows: Row[] = [
  // --- Lines 10-21: start and StartRound(round) ---
  {
    line: '10',
    name: 'before start no rule fires, however many messages arrive',
    given: () => makeNode(fx, 0),
    input: [...proposalInputs(fx, 0, A), ...voteInputs(fx, 'precommit', 0, A, [1, 2, 3])],
    effects: ['validate-block A'],
    state: { height: 1, round: 0, step: 'propose' },
  },
  {
    line: '10-13',
    name: 'start: round 0, propose step, and wait until there is something to order',
    given: () => makeNode(fx, 0),
    input: [{ type: 'start-height' }],
    effects: ['wait-for-txs h1'],
    state: { height: 1, round: 0, step: 'propose', lockedRound: -1, validRound: -1 },
  },
  {
    line: '20-21',
    name: 'not the proposer: schedule OnTimeoutPropose(h, 0) after timeoutPropose(0)',
    given: () => run(makeNode(fx, 0), { type: 'start-height' }),
    input: [{ type: 'txs-available', height: 1 }],
    effects: ['schedule-timeout propose r0 300ms'],
    state: { round: 0, step: 'propose' },
  },
  {
    line: '14-18',
    name: 'the proposer without validValue asks for getValue()',
    given: () => run(makeNode(fx, 1), { type: 'start-height' }),
    input: [{ type: 'txs-available', height: 1 }],
    effects: ['request-proposal-block h1 r0'],
    state: { round: 0, step: 'propose' },
  },
  {
    line: '19, 22-27',
    name: 'the proposer broadcasts its value (persisted first) and prevotes it',
    given: () => run(makeNode(fx, 1), ...START_INPUTS),
    input: [{ type: 'proposal-value', height: 1, round: 0, block: A }],
    effects: [
      'persist proposal A r0',
      'broadcast-proposal A r0 vr-1',
      'persist prevote A r0',
      'broadcast-vote prevote A r0',
    ],
    state: { step: 'prevote' },
  },
  {
    line: '14-16, 19',
    name: 'the proposer re-proposes validValue with validRound; line 28 then prevotes it',
    given: lockedA,
    input: voteInputs(fx, 'precommit', 3, null, [1, 2]),
    effects: [
      'persist proposal A r3',
      'broadcast-proposal A r3 vr0',
      'persist prevote A r3',
      'broadcast-vote prevote A r3',
    ],
    state: { round: 3, step: 'prevote', validValue: 'A', validRound: 0 },
  },
  // --- Lines 22-27: a fresh proposal (validRound -1) while step = propose ---
  {
    line: '22-24, 27',
    name: 'valid, not locked: prevote id(v)',
    given: started,
    input: proposalInputs(fx, 0, A),
    effects: ['validate-block A', 'persist prevote A r0', 'broadcast-vote prevote A r0'],
    state: { step: 'prevote' },
  },
  {
    line: '22, 25-27',
    name: 'invalid: prevote nil',
    given: started,
    input: proposalInputs(fx, 0, A, -1, false),
    effects: ['validate-block A', 'persist prevote nil r0', 'broadcast-vote prevote nil r0'],
    state: { step: 'prevote' },
  },
  {
    line: '22, 25-27',
    name: 'valid but locked on another value: prevote nil',
    given: lockedAInRound1,
    input: proposalInputs(fx, 1, B),
    effects: ['validate-block B', 'persist prevote nil r1', 'broadcast-vote prevote nil r1'],
    state: { round: 1, step: 'prevote', lockedValue: 'A', lockedRound: 0 },
  },
  {
    line: '22-24, 27',
    name: 'locked on this very value: prevote id(v)',
    given: lockedAInRound1,
    input: proposalInputs(fx, 1, A, -1, null),
    effects: ['persist prevote A r1', 'broadcast-vote prevote A r1'],
    state: { round: 1, step: 'prevote', lockedValue: 'A' },
  },
  {
    line: '22, 25-27',
    name: 'block time further ahead of our clock than maxClockDriftMs: prevote nil',
    given: started,
    input: proposalInputs(fx, 0, A, -1, true, A.header.timeMs - 401),
    // The untimely proposal is reported first (decision 67: the node counts and logs it).
    effects: [
      'untimely-proposal v1 r0 +401ms',
      'validate-block A',
      'persist prevote nil r0',
      'broadcast-vote prevote nil r0',
    ],
    state: { step: 'prevote' },
  },
  {
    line: '22-24',
    name: 'block time exactly maxClockDriftMs ahead of our clock: timely, prevote id(v), nothing reported',
    given: started,
    input: proposalInputs(fx, 0, A, -1, true, A.header.timeMs - 400),
    effects: ['validate-block A', 'persist prevote A r0', 'broadcast-vote prevote A r0'],
    state: { step: 'prevote' },
  },
  {
    line: '22',
    name: 'valid(v) not known yet: no prevote until the shell answers',
    given: started,
    input: proposalInputs(fx, 0, A, -1, null),
    effects: ['validate-block A'],
    state: { step: 'propose' },
  },
  // --- Lines 28-33: a proposal with a valid round and its 2f + 1 prevotes ---
  {
    line: '28-30, 33',
    name: 'lockedRound <= vr: prevote id(v) although locked on another value',
    given: lockedAInRound2WithPolForB,
    input: proposalInputs(fx, 2, B, 1),
    effects: ['validate-block B', 'persist prevote B r2', 'broadcast-vote prevote B r2'],
    state: { round: 2, step: 'prevote', lockedValue: 'A', lockedRound: 0 },
  },
  {
    line: '28-30, 33',
    name: 'a re-proposal (vr >= 0) is not judged by our clock: prevote id(v), nothing reported',
    given: lockedAInRound2WithPolForB,
    input: proposalInputs(fx, 2, B, 1, true, B.header.timeMs - 10_000),
    effects: ['validate-block B', 'persist prevote B r2', 'broadcast-vote prevote B r2'],
    state: { round: 2, step: 'prevote', lockedValue: 'A', lockedRound: 0 },
  },
  {
    line: '28-30, 33',
    name: 'lockedRound = vr: prevote id(v) although locked on another value (line 29 reads <=)',
    given: () => run(lockedAtRound1InRound2(), ...voteInputs(fx, 'prevote', 1, B, [1, 2, 3])),
    input: proposalInputs(fx, 2, B, 1),
    effects: ['validate-block B', 'persist prevote B r2', 'broadcast-vote prevote B r2'],
    state: { round: 2, step: 'prevote', lockedValue: 'A', lockedRound: 1 },
  },
  {
    line: '28-29, 31-33',
    name: 'locked on another value in a round after vr: prevote nil',
    given: lockedAtRound1InRound2,
    input: proposalInputs(fx, 2, B, 0),
    effects: ['validate-block B', 'persist prevote nil r2', 'broadcast-vote prevote nil r2'],
    state: { round: 2, step: 'prevote', lockedValue: 'A', lockedRound: 1 },
  },
  {
    line: '28',
    name: 'without 2f + 1 prevotes for id(v) in vr the rule does not fire',
    given: () => run(lockedA(), ...voteInputs(fx, 'precommit', 2, null, [1, 2])),
    input: proposalInputs(fx, 2, B, 1),
    effects: ['validate-block B'],
    state: { round: 2, step: 'propose' },
  },
  // --- Lines 34-35 ---
  {
    line: '34-35',
    name: '2f + 1 prevotes for anything while in prevote: schedule OnTimeoutPrevote',
    given: prevotedA,
    input: voteInputs(fx, 'prevote', 0, B, [1, 2]),
    effects: ['schedule-timeout prevote r0 150ms'],
    state: { step: 'prevote' },
  },
  {
    line: '34',
    name: '"for the first time": a fourth prevote schedules nothing more',
    given: () => run(prevotedA(), ...voteInputs(fx, 'prevote', 0, B, [1, 2])),
    input: voteInputs(fx, 'prevote', 0, B, [3]),
    effects: [],
    state: { step: 'prevote' },
  },
  // --- Lines 36-43 ---
  {
    line: '36-43',
    name: 'proposal and 2f + 1 prevotes for id(v) in prevote: lock, precommit, valid value',
    given: prevotedA,
    input: voteInputs(fx, 'prevote', 0, A, [1, 2]),
    effects: ['schedule-timeout prevote r0 150ms', 'persist precommit A r0', 'broadcast-vote precommit A r0'],
    state: { step: 'precommit', lockedValue: 'A', lockedRound: 0, validValue: 'A', validRound: 0 },
  },
  {
    line: '36',
    name: 'still in propose (line 28 waits for vr prevotes): 2f + 1 prevotes for id(v) change nothing yet',
    given: () => run(started(), ...voteInputs(fx, 'prevote', 1, A, [1, 2, 3])),
    input: proposalInputs(fx, 1, A, 0),
    effects: ['validate-block A'],
    state: { round: 1, step: 'propose', lockedRound: -1, validValue: null, validRound: -1 },
  },
  {
    line: '36-43',
    name: 'those prevotes lock and precommit once the propose timeout moves the step to prevote',
    given: () => run(started(), ...voteInputs(fx, 'prevote', 1, A, [1, 2, 3])),
    input: [...proposalInputs(fx, 1, A, 0), timeoutInput('propose', 1)],
    effects: [
      'validate-block A',
      'persist prevote nil r1',
      'broadcast-vote prevote nil r1',
      'schedule-timeout prevote r1 250ms',
      'persist precommit A r1',
      'broadcast-vote precommit A r1',
    ],
    state: { round: 1, step: 'precommit', lockedValue: 'A', lockedRound: 1, validValue: 'A', validRound: 1 },
  },
  {
    line: '36, 42-43',
    name: 'already in precommit: only validValue and validRound change',
    given: () =>
      run(
        prevotedA(),
        ...voteInputs(fx, 'prevote', 0, A, [1]),
        ...voteInputs(fx, 'prevote', 0, null, [2]),
        timeoutInput('prevote', 0),
      ),
    input: voteInputs(fx, 'prevote', 0, A, [3]),
    effects: [],
    state: { step: 'precommit', lockedValue: null, lockedRound: -1, validValue: 'A', validRound: 0 },
  },
  // --- Lines 44-46 ---
  {
    line: '44-46',
    name: '2f + 1 prevotes for nil while in prevote: precommit nil',
    given: prevotedA,
    input: voteInputs(fx, 'prevote', 0, null, [1, 2, 3]),
    effects: [
      'schedule-timeout prevote r0 150ms',
      'persist precommit nil r0',
      'broadcast-vote precommit nil r0',
    ],
    state: { step: 'precommit', lockedRound: -1 },
  },
  // --- Lines 47-48 ---
  {
    line: '47-48',
    name: '2f + 1 precommits for anything: schedule OnTimeoutPrecommit',
    given: lockedA,
    input: voteInputs(fx, 'precommit', 0, null, [1, 2]),
    effects: ['schedule-timeout precommit r0 150ms'],
    state: { step: 'precommit', round: 0 },
  },
  {
    line: '47',
    name: '"for the first time": a fourth precommit schedules nothing more',
    given: () => run(lockedA(), ...voteInputs(fx, 'precommit', 0, null, [1, 2])),
    input: voteInputs(fx, 'precommit', 0, null, [3]),
    effects: [],
    state: { step: 'precommit', round: 0 },
  },
  // --- Lines 49-54 ---
  {
    line: '49-54',
    name: 'proposal and 2f + 1 precommits for id(v): decide, next height, reset, StartRound(0)',
    given: lockedA,
    input: voteInputs(fx, 'precommit', 0, A, [1, 2]),
    effects: ['decide h1 A r0', 'wait-for-txs h2'],
    state: {
      height: 2,
      round: 0,
      step: 'propose',
      lockedValue: null,
      lockedRound: -1,
      validValue: null,
      validRound: -1,
    },
    also: (effects) => {
      const decision = effects.find((effect) => effect.type === 'decide');
      assert.ok(decision?.type === 'decide');
      const check = verifyCertificate(decision.certificate, fx.validators, fx.chain.chainId, {
        height: 1,
        blockHash: decision.blockHash,
      });
      assert.ok(check.ok, 'the certificate of a decision verifies');
      assert.deepEqual(
        decision.certificate.signatures.map((signature) => signature.validator),
        ['v0', 'v1', 'v2'],
        'signatures in validator order',
      );
    },
  },
  {
    line: '49',
    name: 'a quorum of precommits of an earlier round decides too',
    given: () => run(prevotedA(), ...voteInputs(fx, 'precommit', 1, null, [1, 2])),
    input: voteInputs(fx, 'precommit', 0, A, [1, 2, 3]),
    effects: ['decide h1 A r0', 'wait-for-txs h2'],
    state: { height: 2, round: 0 },
  },
  {
    line: '50',
    name: 'no decision when valid(v) is false',
    given: () => run(started(), ...proposalInputs(fx, 0, A, -1, false)),
    input: voteInputs(fx, 'precommit', 0, A, [1, 2, 3]),
    effects: ['schedule-timeout precommit r0 150ms'],
    state: { height: 1, round: 0 },
  },
  {
    line: '49',
    name: 'precommits first, then the proposal: decide once the block is known valid',
    given: () => run(started(), ...voteInputs(fx, 'precommit', 0, A, [1, 2, 3])),
    input: proposalInputs(fx, 0, A),
    effects: ['validate-block A', 'decide h1 A r0', 'wait-for-txs h2'],
    state: { height: 2, round: 0 },
  },
  // --- Lines 55-56 ---
  {
    line: '55-56',
    name: 'f + 1 messages of a higher round: StartRound(that round), and ask its proposer for the proposal',
    given: started,
    input: [...voteInputs(fx, 'prevote', 2, null, [1]), ...voteInputs(fx, 'precommit', 2, null, [2])],
    // missed-messages.ts: the round began without us; v3 proposes round 2 of height 1.
    effects: ['schedule-timeout propose r2 500ms', 'send-proposal-request r2 to v3'],
    state: { round: 2, step: 'propose' },
  },
  {
    line: '55',
    name: 'f messages of a higher round are not enough',
    given: started,
    input: voteInputs(fx, 'prevote', 2, null, [1]),
    effects: [],
    state: { round: 0, step: 'propose' },
  },
  // --- Lines 57-60 ---
  {
    line: '57-60',
    name: 'OnTimeoutPropose in propose: prevote nil',
    given: started,
    input: [timeoutInput('propose', 0)],
    effects: ['persist prevote nil r0', 'broadcast-vote prevote nil r0'],
    state: { step: 'prevote' },
  },
  {
    line: '58',
    name: 'OnTimeoutPropose of another round is ignored',
    given: started,
    input: [timeoutInput('propose', 1)],
    effects: [],
    state: { step: 'propose' },
  },
  {
    line: '58',
    name: 'OnTimeoutPropose after the step moved on is ignored',
    given: prevotedA,
    input: [timeoutInput('propose', 0)],
    effects: [],
    state: { step: 'prevote' },
  },
  // --- Lines 61-64 ---
  {
    line: '61-64',
    name: 'OnTimeoutPrevote in prevote: precommit nil',
    given: prevotedA,
    input: [timeoutInput('prevote', 0)],
    effects: ['persist precommit nil r0', 'broadcast-vote precommit nil r0'],
    state: { step: 'precommit', lockedRound: -1 },
  },
  {
    line: '62',
    name: 'OnTimeoutPrevote of an earlier height is ignored',
    given: prevotedA,
    input: [timeoutInput('prevote', 0, 0)],
    effects: [],
    state: { step: 'prevote' },
  },
  // --- Lines 65-67 ---
  {
    line: '65-67',
    name: 'OnTimeoutPrecommit: StartRound(round + 1), with a longer propose timeout',
    given: lockedA,
    input: [timeoutInput('precommit', 0)],
    effects: ['schedule-timeout propose r1 400ms'],
    state: { round: 1, step: 'propose', lockedValue: 'A', lockedRound: 0 },
  },
  {
    line: '66',
    name: 'OnTimeoutPrecommit of an earlier round is ignored',
    given: lockedAInRound1,
    input: [timeoutInput('precommit', 0)],
    effects: [],
    state: { round: 1 },
  },
];

function labelOf(hash: Uint8Array | undefined): string | null {
  return hash === undefined ? null : (labels.get(toHex(hash)) ?? toHex(hash));
}

function observed(state: ConsensusState, expected: Expected): Expected {
  const all: Required<Expected> = {
    height: state.height,
    round: state.round,
    step: state.step,
    lockedRound: state.lockedRound,
    lockedValue: labelOf(state.lockedValue?.hash),
    validRound: state.validRound,
    validValue: labelOf(state.validValue?.hash),
  };
  return Object.fromEntries(Object.keys(expected).map((key) => [key, all[key as keyof Expected]]));
}

describe('consensus: Algorithm 1, line by line (arXiv:1807.04938)', () => {
  for (const row of rows) {
    it(`lines ${row.line}: ${row.name}`, () => {
      const given = row.given();
      const { state, effects } = feed(given, ...row.input);
      assert.deepEqual(summarize(effects, labels), row.effects);
      assert.deepEqual(observed(state, row.state), row.state);
      row.also?.(effects, state);
    });
  }

  it('never changes the state it was given', () => {
    const given = prevotedA();
    const keys: Expected = { height: 0, round: 0, step: '', lockedRound: 0, validRound: 0 };
    const before = observed(given, keys);
    const prevotesBefore = given.rounds.get(0)?.prevotes.byValidator.size;
    const after = feed(
      given,
      ...voteInputs(fx, 'prevote', 0, A, [1, 2]),
      ...voteInputs(fx, 'precommit', 0, A, [1, 2]),
    );
    assert.equal(after.state.height, 2, 'the steps did decide');
    assert.deepEqual(observed(given, keys), before);
    assert.equal(given.rounds.get(0)?.prevotes.byValidator.size, prevotesBefore);
  });
});
