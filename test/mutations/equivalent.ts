// Mutations of the operator sweep (sweep.ts) that no test can notice, each with the reason: the
// code around the line makes the change unobservable (a bound that other bounds keep out of
// reach, a check repeated earlier on every path, a faster route to the same value). Matched by
// file, the original line (trimmed) and the kind of mutation; '*' matches any file. An entry here
// is a judgement, so it says why; a survivor that is not here is a check no test guards.
import type { SweepMutant } from './sweep.js';

interface Equivalent {
  readonly file: string;
  readonly line: string;
  /** The sweep's kind ('if-false', '< -> <=', ...); omitted: every kind on that line. */
  readonly kind?: string;
  readonly why: string;
}

const RETHROW = 'if (!isBayledgerError(error)) throw error;';
const FUTURE_TOTAL = 'if (state.future.length >= LIMITS.maxMessagesPerRound) return false;';
const ROUND_TOTAL = 'if (round.messageCount >= LIMITS.maxMessagesPerRound) return;';
const UNREACHABLE_ROUND_TOTAL =
  'unreachable: a validator counts at most MAX_VALUES_PER_VALIDATOR values per vote type, so a round ' +
  'holds at most maxValidators * 2 * 5 + maxProposalsPerRound = 1,004 messages of 4,096';

export const EQUIVALENT: readonly Equivalent[] = [
  {
    file: '*',
    line: RETHROW,
    kind: 'if-false',
    why: 'only a programming error is not a BayledgerError; no input reaches it',
  },
  // --- src/core/consensus ---
  {
    file: 'src/core/consensus/receive.ts',
    line: FUTURE_TOTAL,
    why:
      'unreachable: each validator may buffer floor(4096 / maxValidators / maxFutureHeights) = 20, ' +
      'so all together hold at most 2,000',
  },
  { file: 'src/core/consensus/receive.ts', line: ROUND_TOTAL, why: UNREACHABLE_ROUND_TOTAL },
  {
    file: 'src/core/consensus/tally.ts',
    line: 'const messageCount = round.messageCount + 1;',
    why: `the count only feeds the round bound, which is ${UNREACHABLE_ROUND_TOTAL}`,
  },
  {
    file: 'src/core/consensus/tally.ts',
    line: 'messageCount: round.messageCount + 1,',
    why: `the count only feeds the round bound, which is ${UNREACHABLE_ROUND_TOTAL}`,
  },
  {
    file: 'src/core/consensus/tally.ts',
    line: 'if (round.senders.has(validator)) return round.senders;',
    why: 'a shortcut: the copy it skips would hold the same senders',
  },
  {
    file: 'src/core/consensus/receive.ts',
    line: 'if (hasVoted(round, vote.type, vote.validator, key) || !hasRoomFor(round, vote.type, vote.validator))',
    why: 'receiveVote checks both before the signature; own votes are cast once per slot (actions.ts)',
  },
  {
    file: 'src/core/consensus/actions.ts',
    line: 'if (setup.self === null || setup.signer === null) return;',
    kind: '|| -> &&',
    why: 'buildSetup makes self and signer null together (an observer) or both set',
  },
  {
    file: 'src/core/consensus/actions.ts',
    line: 'if (signed !== undefined) {',
    why:
      'the rules sign each (type, round) once: a step moves past the slot when it signs; the re-send ' +
      'is a safety net for a WAL restored into an earlier step',
  },
  {
    file: 'src/core/consensus/rules.ts',
    line: 'if (validRound === -1) return lockedRound === -1 || lockedValue?.key === key; // line 23',
    kind: 'if-false',
    why: 'line 29 then decides vr = -1 the same way: lockedRound <= -1 exactly when it is -1',
  },
  {
    file: 'src/core/consensus/rules.ts',
    line: 'return true;',
    kind: 'return true; -> return false;',
    why:
      "applyOneRule's || chain tries every later rule in the same pass; only an earlier rule " +
      'becoming enabled would wait (the simulator checks that no rule is left enabled; see rules-settle)',
  },
  {
    file: 'src/core/consensus/rules.ts',
    line: 'if (round > state.round && round > target && roundState.senders.size >= state.setup.faultyMax + 1) {',
    kind: '> -> >=',
    why: 'rounds are distinct map keys, so round = target never happens',
  },
  {
    file: 'src/core/consensus/rules.ts',
    line: 'if (validRound >= state.round) continue;',
    why: 'receiveProposal already drops vr >= r, and these proposals are of round_p',
  },
  {
    file: 'src/core/consensus/machine.ts',
    line: 'if (!isOwnTurn(ctx, state.round) || state.ownProposals.has(state.round) || state.validValue !== null)',
    kind: '|| -> &&',
    why: 'a proposer that proposed has prevoted, so the step check above already returned',
  },
  {
    file: 'src/core/consensus/machine.ts',
    line: "if (height !== state.height || !state.awaitingTxs || state.round !== 0 || state.step !== 'propose') return;",
    kind: '|| -> &&',
    why: 'awaitingTxs is only ever set in round 0 in the propose step',
  },
  {
    file: 'src/core/consensus/validity.ts',
    line: "if (header.txCount !== block.txs.length) return 'txCount does not match the transactions';",
    why: 'bodyMatchesHeader checks the count first on every path that reaches it',
  },
  // --- src/core/ledger and records ---
  {
    file: 'src/core/ledger/verify-block.ts',
    line: 'if (prechecked !== undefined) {',
    why: "it guards an assertion of the caller's contract only",
  },
  {
    file: 'src/core/ledger/verify-block.ts',
    line: 'prechecked.length === block.txs.length && prechecked.every((tx, i) => tx.bytes === block.txs[i]),',
    why: "an assertion's condition: the chain verify pipeline always passes the block's own transactions",
  },
  {
    file: 'src/core/ledger/block-tx.ts',
    line: 'for (let i = 0; i < BODY_KEY_PREFIX.byteLength; i++) {',
    why: 'a faster route to the body bytes; the fallback computes the same bytes from the envelope',
  },
  {
    file: 'src/core/ledger/block-tx.ts',
    line: 'if (bytes[i] !== BODY_KEY_PREFIX[i]) return bodyBytesOf(envelope);',
    why: 'a faster route to the body bytes; the fallback computes the same bytes from the envelope',
  },
  {
    file: 'src/core/ledger/block-tx.ts',
    line: "typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)",
    why: 'the body bytes are only used once the schema accepted the body as a map',
  },
  {
    file: 'src/core/records/fields.ts',
    line: 'for (let i = 0; i < values.length; i++) {',
    kind: '< -> <=',
    why: 'one step past the end adds undefined to the seen set and finds no repeat',
  },
  {
    file: 'src/core/policy/evaluate-declaration.ts',
    line: 'return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));',
    why: 'the ids come from a Set, so no two compare equal',
  },
];

/** Why this surviving mutation is equivalent, or undefined when no entry explains it. */
export function isExplained(mutant: SweepMutant): string | undefined {
  const line = mutant.from.trim();
  return EQUIVALENT.find(
    (entry) =>
      (entry.file === '*' || entry.file === mutant.file) &&
      entry.line === line &&
      (entry.kind === undefined || entry.kind === mutant.kind),
  )?.why;
}
