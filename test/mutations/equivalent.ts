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
  /** Which of the file's lines with this text (from 1); omitted: all of them. */
  readonly occurrences?: readonly number[];
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
    file: 'src/core/consensus/state.ts',
    line: 'return [...state.ownVotes.values()].sort((a, b) => b.round - a.round || (a.type < b.type ? -1 : 1));',
    why: 'two own votes never share both round and type',
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
    occurrences: [1, 3, 4, 6, 7],
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
  {
    file: 'src/core/consensus/wal.ts',
    line: 'return STEP_ORDER.indexOf(a) >= STEP_ORDER.indexOf(b) ? a : b;',
    why: 'for equal steps either answer is the same step',
  },
  {
    file: 'src/core/consensus/wal.ts',
    line: "if (vote.type === 'precommit' && vote.blockHash !== null && record.block !== null) {",
    why: 'castVote writes a block only with a non-nil precommit, so the three hold together',
  },
  {
    file: 'src/core/consensus/wal.ts',
    line: 'if (vote.round > ctx.state.lockedRound) {',
    why: 'own precommits of one round are one vote, so the equal round sets the same lock again',
  },
  {
    file: 'src/core/consensus/wal.ts',
    line: 'if (!ctx.state.blocks.has(key)) {',
    why: 'a shortcut: the block stored again under its own hash is the same block',
  },
  {
    file: 'src/core/consensus/wal.ts',
    line: 'if (restored.round > round) {',
    kind: '> -> >=',
    why: 'the WAL holds a round in step order, so taking the later record of a round takes the later step',
  },
  {
    file: 'src/core/consensus/codec.ts',
    line: 'validRound: uint(LIMITS.maxRoundsPerHeight - 1, -1),',
    why: 'the machine drops vr >= r anyway, and r is at most maxRoundsPerHeight',
  },
  {
    file: 'src/core/consensus/codec.ts',
    line: 'if (encoded.byteLength > LIMITS.maxMessageBytes) {',
    why:
      'unreachable for our own messages: blocks are held to maxEncodedBlockBytes (about 8 MiB), ' +
      'half of maxMessageBytes',
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
    file: 'src/core/ledger/state-kv.ts',
    line: 'return a < b ? -1 : a > b ? 1 : 0;',
    why: 'keys within a bucket are distinct, so no two compare equal',
  },
  {
    file: 'src/core/ledger/state-kv.ts',
    line: 'if (simple !== undefined) return simple;',
    why: 'a faster route: encodeCanonical writes the same bytes (chain-state-encoding.test.ts checks it)',
  },
  {
    file: 'src/core/ledger/state-kv.ts',
    line: 'return known === undefined ? encodeCanonical(write.value) : encodeCanonicalKnowing(write.value, known);',
    why: 'both write the same bytes; the known bodies only save re-encoding them',
  },
  ...[
    'if (value instanceof Uint8Array) {',
    'if (value === true) return TRUE_ENCODED.slice();',
    'if (value === false) return FALSE_ENCODED.slice();',
    "if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return encodeHead(0, value);",
  ].map((line) => ({
    file: 'src/core/ledger/state-kv.ts',
    line,
    why: 'a faster route: the value falls to encodeCanonical, which writes the same bytes',
  })),
  {
    file: 'src/core/ledger/state-kv.ts',
    line: 'if (textHeads.size < 1024) textHeads.set(length, head);',
    why: 'the bound of a cache of heads; one more entry changes no bytes',
  },
  ...[
    "if (typeof stored === 'object' && stored !== null) {",
    'if (cached !== undefined) return cached;',
    "if (typeof stored === 'object' && stored !== null) parsedPolicies.set(stored, policy);",
  ].map((line) => ({
    file: 'src/core/ledger/views.ts',
    line,
    why: 'the parsed-policy cache: a miss parses the same stored value again',
  })),
  {
    file: 'src/core/ledger/merkle-overlay.ts',
    line: 'if (offset >= 0 && offset < nodes.hashes.length) return nodes.hashes[offset]!;',
    why:
      "no read reaches past either end of the overlay's nodes at a level (the overlay test covers every " +
      'start below 34 and 1-15 appended leaves)',
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
  // --- src/core/crypto ---
  {
    file: 'src/core/crypto/hash.ts',
    line: 'for (let i = 0; i < HASH_BYTES; i++) digest[i] = latin1.charCodeAt(i);',
    kind: '< -> <=',
    why: 'a write one past the end of a Uint8Array is ignored',
  },
  ...['if (parts.length === 1) return oneShot(parts[0]!);', 'if (totalBytes <= ONE_SHOT_MAX_BYTES) {'].map(
    (line) => ({
      file: 'src/core/crypto/hash.ts',
      line,
      why: 'a faster route to the same digest (the streaming hash of the same bytes)',
    }),
  ),
  // --- src/core/codec: the general paths behind the fast ones, and the fast paths' own shortcuts ---
  {
    file: 'src/core/codec/canonical.ts',
    line: 'if (Object.is(value, -0)) return 0;',
    why: 'the direct writer takes every number first, and it writes -0 as 0 itself',
  },
  ...[
    'if (isAscii(a) && isAscii(b)) {',
    'for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;',
    'return true;',
  ].map((line) => ({
    file: 'src/core/codec/canonical.ts',
    line,
    why: 'the ASCII shortcut of compareTextKeys: comparing the UTF-8 bytes gives the same order',
  })),
  {
    file: 'src/core/codec/canonical.ts',
    line: 'return a < b ? -1 : a > b ? 1 : 0;',
    why: 'map keys are distinct, so no two compare equal',
  },
  {
    file: 'src/core/codec/canonical.ts',
    line: 'if (error !== FAST_PATH_UNAVAILABLE) throw error;',
    why:
      'the fast paths throw nothing else short of a programming error, and the values the ledger ' +
      "encodes knowing its bodies are all in the direct writer's subset",
  },
  {
    file: 'src/core/codec/canonical.ts',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source line, quoted
    line: "if (depth > LIMITS.maxCborDepth) fail('CBOR_TOO_LARGE', `nesting deeper than ${LIMITS.maxCborDepth}`, path);",
    occurrences: [2],
    why: 'the decoder re-encodes what it normalised, and the encoder counts the depth again',
  },
  ...[
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source line, quoted
    'if (Array.isArray(value)) return value.map((item, i) => normalise(item, `${path}[${i}]`, depth + 1));',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source line, quoted
    'out[key] = normalise(child, `${path}.${key}`, depth + 1);',
    "if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {",
    "const kind = value === undefined ? 'undefined' : (value as object)?.constructor?.name;",
    'if (error instanceof BayledgerError) throw error;',
    "if (message.includes('end of buffer not reached'))",
  ].map((line) => ({
    file: 'src/core/codec/canonical.ts',
    line,
    why:
      "inside the general decoder, whose errors are replaced by the strict walker's diagnosis and whose " +
      'result is re-encoded and compared byte for byte',
  })),
  ...[
    "if (length === 0) return '';",
    '(length * 31 + bytes[start]! * 7 + bytes[end - 1]! + (bytes[start + (length >> 1)]! << 4)) &',
    'if (known.length === length) {',
    'while (i < length && known.charCodeAt(i) === bytes[start + i]) i++;',
    'if (i === length) return known;',
  ].map((line) => ({
    file: 'src/core/codec/fast-decode.ts',
    line,
    why: 'the short-text table is a cache: a miss builds the same string from the bytes',
  })),
  ...[
    'if (at + 2 > bytes.byteLength) throw FAST_PATH_UNAVAILABLE;',
    'if (high === 0 || high >= 0x200000) throw FAST_PATH_UNAVAILABLE;',
    'for (let i = start; i < end; i++) {',
    'if (bytes[i]! > 0x7f) {',
    'if (length <= SHORT_TEXT_BYTES) return shortAscii(bytes, start, end);',
    'if (depth > LIMITS.maxCborDepth) throw FAST_PATH_UNAVAILABLE;',
    'if (this.offset >= bytes.byteLength) throw FAST_PATH_UNAVAILABLE;',
    'if (value > Number.MAX_SAFE_INTEGER) throw FAST_PATH_UNAVAILABLE;',
    'if (value > Number.MAX_SAFE_INTEGER - 1) throw FAST_PATH_UNAVAILABLE;',
    'if (length > bytes.byteLength - this.offset) throw FAST_PATH_UNAVAILABLE;',
    'if (count > bytes.byteLength - this.offset) throw FAST_PATH_UNAVAILABLE;',
    'if (depth + 1 > LIMITS.maxCborDepth) throw FAST_PATH_UNAVAILABLE;',
    'if (keyStart >= bytes.byteLength) throw FAST_PATH_UNAVAILABLE;',
    'if (previousStart >= 0 && !encodedBefore(bytes, previousStart, previousEnd, keyStart, keyEnd)) {',
    'if (difference !== 0) return difference < 0;',
  ].map((line) => ({
    file: 'src/core/codec/fast-decode.ts',
    line,
    why:
      'a second guard of the one-pass decoder (the next read, the final offset check or the depth check ' +
      'of the item stops the same input), or a route to the same value; the differential and ' +
      'whole-data-model tests in ledger-codec-fast-path.test.ts hold the rest',
  })),
  {
    file: 'src/core/codec/diagnose.ts',
    line: 'this.item(depth + 1);',
    occurrences: [1],
    why: 'a map key is text, which nests nothing, so its depth is never checked against the limit',
  },
  {
    file: 'src/core/codec/diagnose.ts',
    line: "if (order > 0) throw this.error('CBOR_NON_CANONICAL', 'map keys not in sorted order', keyStart);",
    why: 'order 0 was already refused as a duplicate key on the line before',
  },
  {
    file: 'src/core/codec/diagnose.ts',
    line: 'if (error instanceof BayledgerError) return error;',
    why: 'returned or thrown, the callers throw the same diagnosis',
  },
  ...[
    'if (needed <= this.bytes.byteLength) return;',
    'while (size < needed) size *= 2;',
    'if (shared) {',
    'scratch = writer.bytes.byteLength > RETAINED_BYTES ? new Uint8Array(INITIAL_BYTES) : writer.bytes;',
  ].map((line) => ({
    file: 'src/core/codec/fast-encode.ts',
    line,
    why: "the writer's buffer sizing and reuse: a larger or fresh buffer holds the same bytes",
  })),
  ...[
    'if (code > 0x7f) {',
    'return a.length !== b.length ? a.length > b.length : a > b;',
    'for (let i = 0; i < keys.length; i++) {',
    'if (depth > LIMITS.maxCborDepth) throw FAST_PATH_UNAVAILABLE;',
    'if (value instanceof Uint8Array) {',
    'if (Array.isArray(value)) {',
    'for (let i = 0; i < value.length; i++) {',
    'if (item === undefined) throw FAST_PATH_UNAVAILABLE;',
  ].map((line) => ({
    file: 'src/core/codec/fast-encode.ts',
    line,
    why:
      'the direct writer gives up sooner or takes a route to the same bytes; the general encoder then ' +
      'writes them (the differential and UTF-8 boundary tests hold the bytes equal)',
  })),
  ...['if (writer.known !== undefined && depth <= KNOWN_MAX_DEPTH) {', 'if (encoded !== undefined) {'].map(
    (line) => ({
      file: 'src/core/codec/fast-encode.ts',
      line,
      why: 'a known body copied or encoded again gives the same bytes (its bytes are its canonical encoding)',
    }),
  ),
  ...[
    'if (known !== undefined && known.length >= wanted) return known;',
    'if (known !== undefined || pathsByParent.size < MAX_CACHED_PARENT_PATHS) pathsByParent.set(path, paths);',
    'if (pathsByParent.size < MAX_CACHED_PARENT_PATHS) pathsByParent.set(path, paths);',
  ].map((line) => ({
    file: 'src/core/codec/schema.ts',
    line,
    why: 'the field-path cache: a miss builds the same path strings',
  })),
  {
    file: 'src/core/codec/schema.ts',
    line: 'for (let j = 0; j < i; j++) {',
    why: 'copying the current field too is overwritten by its parsed value on the next line',
  },
  {
    file: 'src/core/config/config-error.ts',
    line: 'if (error.code === code && error.where?.startsWith(source)) throw error;',
    kind: '&& -> ||',
    why: "a schema error's path starts with '$', never with a file name",
  },
  // --- src/node/api ---
  {
    file: 'src/node/api/server.ts',
    line: 'if (!this.#server.listening) {',
    kind: 'if-false',
    why: "closing a server that is not listening calls back at once with Node's not-running error, which close() ignores: it resolves either way",
  },
  {
    file: 'src/node/api/server.ts',
    line: 'if (this.#handling.size === 0) return;',
    kind: 'if-false',
    why: 'with no handler running, the wait for none of them settles at once and its bound is cleared: the line is a shortcut',
  },
  {
    file: 'src/node/api/server.ts',
    line: 'if (response.headersSent) {',
    kind: 'if-false',
    why:
      'unreachable today: handlers never touch the response, and #send sets every header before its one end() call, ' +
      'so no error follows sent headers; the guard keeps a future streamed answer from throwing out of the handler',
  },
  // --- src/node/transfer ---
  {
    file: 'src/node/transfer/partial.ts',
    line: 'if (this.#pendingLeaves.length === 0) return;',
    kind: 'if-false',
    why: 'a checkpoint with no new leaf syncs files already synced and appends nothing: the same bytes on disk',
  },
  {
    file: 'src/node/transfer/durable-fs.ts',
    line: 'let rest = parts.filter((part) => part.byteLength > 0);',
    kind: '> -> >=',
    why: 'an empty part kept is dropped by the loop after the next writev (any count of bytes covers it): the same bytes land',
  },
  {
    file: 'src/node/transfer/durable-fs.ts',
    line: 'if (rest.length > 0 && bytesWritten > 0) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];',
    why:
      'with nothing of the first part written, its subarray(0) is the same bytes; with every part written, nothing ' +
      'is left over (a writev writes no more than asked): the next writev is the same either way',
  },
  // --- src/node/store ---
  {
    file: 'src/node/store/wal.ts',
    line: 'while (offset < file.byteLength) {',
    kind: '< -> <=',
    why: 'one more pass at the end of the file finds no record there and truncates the file to the length it has',
  },
  {
    file: 'src/node/store/wal.ts',
    line: 'if (legacy.length === 0) return;',
    kind: 'if-false',
    why: 'a shortcut: with no records of an older build the loop moves nothing and the batch deletes nothing',
  },
  {
    file: 'src/node/store/tx-id-filter.ts',
    line: 'bitCount >= 32 && bitCount <= MAX_SEGMENT_BITS && Number.isInteger(Math.log2(bitCount)),',
    kind: '<= -> <',
    why: 'an assertion at 2^31 bits: LIMITS.txIdFilterMaxBytes (64 MiB, 2^29 bits) keeps every segment far below it',
  },
  {
    file: 'src/node/store/tx-id-filter.ts',
    line: 'bitCount >= 32 && bitCount <= MAX_SEGMENT_BITS && Number.isInteger(Math.log2(bitCount)),',
    kind: '&& -> ||',
    why:
      'an assertion its callers keep true: bit counts start at a power of two of at least 32 and only grow by 4 ' +
      'or halve down to the last size, within the 2^31 mask',
  },
  {
    file: 'src/node/store/tx-id-filter.ts',
    line: 'return this.bytes + bitCount / 8 <= this.#maxBytes && bitCount <= MAX_SEGMENT_BITS;',
    kind: '<= -> <',
    why: 'for the second comparison: 2^31 bits is 256 MiB, four times LIMITS.txIdFilterMaxBytes',
  },
  {
    file: 'src/node/store/tx-id-filter.ts',
    line: 'while (power < value) power *= 2;',
    kind: '< -> <=',
    why: 'value is a whole number of ids times BITS_PER_ID (10), never a power of two of 32 or more',
  },
  {
    file: 'src/node/store/tx-id-filter.ts',
    line: 'firstBits / 8 <= this.#maxBytes && firstBits <= MAX_SEGMENT_BITS',
    kind: '<= -> <',
    why: 'for the second comparison (the first is tested at its bound): 2^31 bits is 256 MiB, four times LIMITS.txIdFilterMaxBytes',
  },
  {
    file: 'src/node/store/ledger-store.ts',
    line: 'if (this.#txIds.definitelyAbsent(txId)) return false;',
    kind: 'if-false',
    why: "the filter's shortcut: LevelDB's id index gives the same answer (store-tx-id-filter.test.ts compares them)",
  },
  {
    file: 'src/node/store/ledger-store.ts',
    line: 'if (this.#txIds.definitelyAbsent(txId)) return undefined;',
    kind: 'if-false',
    why: "the filter's shortcut: the id index lookup just below answers undefined for the same ids",
  },
  {
    file: 'src/node/store/ledger-store.ts',
    line: 'if (toIndex <= fromIndex) return [];',
    kind: 'if-false',
    why: 'a shortcut: the key range [from, to) is then empty and the scan finds nothing either',
  },
  {
    file: 'src/node/store/ledger-store.ts',
    line: 'if (header.txCount === 0) return [];',
    kind: 'if-false',
    why: 'a shortcut: a block of no transactions lists no ids, so the loop after the scan returns [] as well',
  },
  {
    file: 'src/node/store/stored-records.ts',
    line: 'if (size === 0 || at + 1 + size > bytes.byteLength) return undefined;',
    why:
      "the fast position decoder's second guard: a read past the bytes gives NaN and an end past them, " +
      'which the final check (the last integer ends exactly at the end) refuses',
  },
  {
    file: 'src/node/store/merkle-source.ts',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a source line quoted as text, its template included.
    line: 'level >= this.#dense.fromLevel ? this.#dense.get(level, index) : this.#recent.get(`${level}/${index}`);',
    why: 'which cache is asked: a node either cache lacks is read from the store, the same hash',
  },
  {
    file: 'src/node/store/merkle-source.ts',
    line: 'if (cached !== undefined) return cached;',
    kind: 'if-false',
    why: 'a cached node is one the store holds durably (committed() runs after the batch): the read gives the same hash',
  },
  // --- src/node/chain ---
  {
    file: 'src/node/chain/verify-chain.ts',
    line: 'if (stored.tip !== undefined && !bytesEqual(stored.tip.blockHash, tip.blockHash)) {',
    why:
      'repeated: LedgerStore.open already refuses a head that does not match the last stored block ' +
      "(DATABASE_CORRUPT, chain-stored-index.test.ts), and the source's height is the head's",
  },
  {
    file: 'src/node/chain/cbor-sequence.ts',
    line: 'if (position - offset > maxBytes)',
    kind: '> -> >=',
    why: 'at exactly maxBytes with members still pending, the item will pass the bound: the next check refuses it',
    occurrences: [1],
  },
  {
    file: 'src/node/chain/cbor-sequence.ts',
    line: 'if (head.argument > maxBytes)',
    kind: '> -> >=',
    why: 'a string of exactly maxBytes plus its head is over maxBytes: the final check refuses it the same',
  },
  {
    file: 'src/node/chain/cbor-sequence.ts',
    line: 'const length = start < buffer.byteLength ? cborItemLength(buffer, start, maxItemBytes) : undefined;',
    kind: '< -> <=',
    why: 'at the end of the buffer cborItemLength finds no head and answers undefined as well',
  },
  {
    file: 'src/node/chain/verify-chain.ts',
    line: 'if (tip.height !== source.height)',
    kind: 'if-false',
    why:
      'repeated: both sources refuse a short chain themselves, the store by reading every height up to its ' +
      'head, an export by counting its blocks against its header (SCHEMA_INVALID, chain.test.ts)',
  },
  {
    file: 'src/node/chain/verify-chain.ts',
    line: '{ ...context, previous: tip, isCertificateVerified: (verified) => verified === certificate },',
    kind: '=== -> !==',
    why: 'a shortcut: a certificate the pool checked is checked again, with the same verdict',
  },
  {
    file: 'src/node/chain/stored-state-check.ts',
    line: 'if (matched < derived.size) await noteMissing(stored, derived, lowest);',
    kind: '< -> <=',
    why: 'the second scan runs when nothing is missing too, and finds nothing: only the time differs',
  },
  {
    file: 'src/node/chain/stored-index-check.ts',
    line: 'if (needed > this.#leafHeights.length) this.#grow(needed);',
    kind: '> -> >=',
    why: 'growing when exactly full: the same ids, in a larger array',
  },
  {
    file: 'src/node/chain/stored-index-check.ts',
    line: 'if (attributed++ >= MAX_ATTRIBUTED_ENTRIES) continue;',
    kind: '>= -> >',
    why: 'a bound on the work of naming the blocks of wrong entries: one more search names a fault among faults',
  },
  {
    file: 'src/node/chain/stored-index-check.ts',
    line: 'if (leafIndex >= this.#logSize) return undefined;',
    why:
      'a shortcut: past the log the leaf heights are 0 (grown, never written), and no block has height 0, ' +
      'so the next check refuses the entry as well',
  },
  {
    file: 'src/node/chain/stored-index-check.ts',
    line: 'if (at < 0 || at >= end) return undefined;',
    kind: '>= -> >',
    why: 'a find starting exactly at the end lies in the spare capacity past the logged ids, which holds no id',
  },
  {
    file: 'src/node/chain/stored-index-check.ts',
    line: 'for (let from = 0; from < end; ) {',
    kind: '< -> <=',
    why: 'indexOf from the end finds nothing inside the ids, and a find past the end returns undefined',
  },
  // --- src/node/transfer ---
  {
    file: 'src/node/transfer/payload-crypto.ts',
    line: 'for (let offset = 0; offset < piece.byteLength; offset += CIPHER_SLICE_BYTES) {',
    kind: '< -> <=',
    why: 'one more update with an empty slice returns an empty part: the sealed bytes are the same',
  },
  {
    file: 'src/node/transfer/payload-crypto.ts',
    line: 'for (let offset = 0; offset < bodyBytes; offset += CIPHER_SLICE_BYTES) {',
    kind: '< -> <=',
    why: 'one more update with an empty slice returns an empty part: the opened bytes are the same',
  },
  {
    file: 'src/node/transfer/payload-crypto.ts',
    line: 'if (rest.byteLength > 0) parts.push(rest);',
    kind: '> -> >=',
    why: "GCM's final() returns no bytes, so the only change is an empty part: the bytes are the same",
  },
  {
    file: 'src/node/transfer/payload-crypto.ts',
    line: 'if (sealed.byteLength < AEAD_TAG_BYTES) return undefined;',
    why:
      'a shortcut: shorter input reaches setAuthTag with a tag of the wrong length, which throws inside the try ' +
      '(undefined again); and no layout has an empty chunk, so a sealed chunk of only a tag never authenticates',
  },
  // --- src/node/net: the frame decoder's fast path hands every doubtful prefix to the slow path ---
  {
    file: 'src/node/net/framing.ts',
    line: 'for (let i = 0; i < MAX_VARINT_BYTES && offset + i < chunk.byteLength; i++) {',
    why:
      'the fast path only ever returns 0 (slow path) for a prefix it reads too far: past the chunk the byte ' +
      'reads as undefined and the body cannot fit; a ninth byte makes a value over any limit',
  },
  {
    file: 'src/node/net/framing.ts',
    line: 'if (byte === 0 && i > 0) return 0; // non-minimal: let the slow path report it',
    why: 'handing more prefixes to the slow path changes the route, not the frames or the refusals',
  },
  {
    file: 'src/node/net/framing.ts',
    line: 'if (value > this.maxFrameBytes) return 0; // over the limit: let the slow path report it',
    kind: '> -> >=',
    why: 'a frame of exactly the limit then takes the slow path, which accepts it the same',
  },
  {
    file: 'src/node/net/framing.ts',
    line: 'if (byte === 0 && this.#lengthBytes > 1)',
    kind: '> -> >=',
    why: 'a one-byte zero prefix never reaches the slow path: the fast path returns the empty frame first',
  },
  {
    file: 'src/node/net/framing.ts',
    line: '(min, spare, i) => (spare.byteLength < this.#spares[min]!.byteLength ? i : min),',
    kind: '< -> <=',
    why: 'among spares of equal size, which one is replaced makes no difference',
  },
  {
    file: 'src/node/net/framing.ts',
    line: 'if (this.#spares[smallest]!.byteLength < buffer.byteLength) this.#spares[smallest] = buffer;',
    kind: '< -> <=',
    why: 'replacing a spare with one of the same size keeps the same capacity',
  },
  {
    file: 'src/node/transfer/receiver.ts',
    line: "if (!isBayledgerError(error, 'KEY_INVALID')) throw error;",
    kind: 'if-false',
    why: 'deriveRecipientKey fails only with KEY_INVALID (a key of the wrong length or of small order); any other error is a bug',
  },
  // --- src/node/api/client.ts ---
  {
    file: 'src/node/api/client.ts',
    line: "if (error instanceof DOMException && error.name === 'TimeoutError') {",
    kind: '&& -> ||',
    why:
      "fetch and a body's stream reject with a DOMException for the timeout signal and a TypeError for anything " +
      'else (whose name is TypeError), so dropping the class test changes no answer',
  },
  // --- src/node/consensus-driver.ts ---
  {
    file: 'src/node/consensus-driver.ts',
    line: 'return this.#state?.height ?? this.#options.chain.height + 1;',
    kind: '+ 1 -> + 0',
    why: 'the height before start(): nothing reads it then (the node reads round only; the WAL append runs after start)',
  },
  {
    file: 'src/node/consensus-driver.ts',
    line: "if (event.source === 'sync' && state.height === height) {",
    kind: '&& -> ||',
    why:
      'a block our own consensus decided is committed after step() has moved the machine past its height, and the ' +
      "machine ignores a committed-block of a height it is not at: only a sync commit at the machine's height counts",
  },
  {
    file: 'src/node/consensus-driver.ts',
    line: 'if (height !== chain.height + 1) return undefined;',
    kind: 'if-false',
    why:
      'building for a height block sync decided meanwhile: the proposal-value it would input reaches the machine after ' +
      'the sync commit moved it on, and the machine drops a value of a past height (tested: nothing is sent)',
  },
  {
    file: 'src/node/consensus-driver.ts',
    line: 'if (this.#waitingForTxsHeight !== height || this.#options.mempool.size === 0) return;',
    why:
      'every caller checks both first (notifyTxsAvailable after admission, the tick, #waitForTxs), and the pace timer ' +
      'is cleared with its height; the mempool shrinks only at a commit, which moves the height',
  },
  {
    file: 'src/node/consensus-driver.ts',
    line: 'if (dueInMs <= 0 || fullBlock) {',
    kind: '<= -> <',
    why: 'a proposal due this very millisecond: a 0-ms pace timer releases the same proposal one timer tick later',
  },
  {
    file: 'src/node/consensus-driver.ts',
    line: 'if (this.#paceTimer !== undefined) return;',
    kind: 'if-false',
    why:
      'a second pace timer for the same height has the same deadline (counted from the previous height start): ' +
      'the first releases the proposal, the second finds no wait left (#releaseProposal checks)',
  },
  {
    file: 'src/node/consensus-driver.ts',
    line: 'if (this.#waitingForTxsHeight !== height) return;',
    kind: 'if-false',
    why:
      'a release for a height not waited for: the machine takes txs-available only for its own height, at round 0, ' +
      'while it awaits transactions (machine.ts onTxsAvailable), and ignores any other',
  },
  // --- src/node/verify-pool/verify-pool.ts ---
  {
    file: 'src/node/verify-pool/verify-pool.ts',
    line: 'if (this.#failure !== undefined) throw this.#failure;',
    kind: 'if-false',
    why:
      'after a worker failure the pool is also closed, so the next batch is refused either way (CLOSED instead of ' +
      'INTERNAL); no test can make a worker fail through the pool, which owns its workers',
  },
  {
    file: 'src/node/verify-pool/verify-pool.ts',
    line: 'if (batch === undefined) return; // already rejected by close() or a failure',
    kind: 'if-false',
    why:
      'an answer for a batch already rejected: only a message the worker posted just before close() terminated it, ' +
      'a race no test can stage',
  },
  {
    file: 'src/node/verify-pool/verify-pool.ts',
    line: 'if (chosen === undefined || slot.inFlight.size < chosen.inFlight.size) chosen = slot;',
    kind: '< -> <=',
    why: 'which of two equally busy workers gets the batch: the same answers, from another thread',
  },
  // --- src/node/consensus-signatures.ts ---
  {
    file: 'src/node/consensus-signatures.ts',
    line: 'if (known !== undefined) return known;',
    kind: 'if-false',
    why: 'a cache of verdicts keyed by the whole signed message and its signature: verifying again gives the same verdict',
  },
  {
    file: 'src/node/consensus-signatures.ts',
    line: 'if (this.#verdicts.size >= LIMITS.maxCachedConsensusSignatures) {',
    why: "the verdict cache's memory bound: an evicted verdict is verified again, to the same answer",
  },
  // --- src/node/net/network.ts ---
  {
    file: 'src/node/net/network.ts',
    line: 'retryDelayMs: (failures) => reconnectDelayMs(failures - 1, this.#options.reconnect),',
    why: "a writer's retries one doubling slower: timing only, the same messages are sent",
  },
  {
    file: 'src/node/net/network.ts',
    line: 'if (entry.bannedUntilMs > performance.now())',
    why:
      'a request to a banned peer: the connection gater refuses to dial it too (peer-table.ts allows), so it fails ' +
      'UNREACHABLE either way; this check only names the ban (and a test of it would race the 400-ms ban)',
  },
  {
    file: 'src/node/net/network.ts',
    line: 'if (entry.dialAddress === undefined)',
    why: 'dialing without an address fails as a transport error, UNREACHABLE as well: this check only says why',
  },
  {
    file: 'src/node/net/network.ts',
    line: 'if (entry.reconnectTimer !== undefined) clearTimeout(entry.reconnectTimer);',
    kind: '!== -> ===',
    why: 'a pending reconnect left to fire after a new address is set: one more dial, of the current address',
  },
  {
    file: 'src/node/net/network.ts',
    line: 'if (this.#closed) return;',
    occurrences: [1, 2],
    why:
      'penalties and stream errors after close: a ban and a log line on a node that never connects again ' +
      '(close() has stopped libp2p)',
  },
  {
    file: 'src/node/net/network.ts',
    line: '} else if (isBayledgerError(error)) {',
    kind: 'if-false',
    why: 'which debug line a transport failure gets (with its code, or with the error): nothing else differs',
  },
  {
    file: 'src/node/net/network.ts',
    line: 'if (entry === undefined) {',
    kind: 'if-false',
    why: 'a stream from a peer not in the table: the connection gater refuses such peers before any stream',
  },
  {
    file: 'src/node/net/network.ts',
    line: 'if (entry === undefined || this.#closed) return;',
    why: 'a connection of a peer not in the table (the gater refuses it) or after close (libp2p is stopped)',
  },
  // --- src/node/net/peer-writer.ts ---
  {
    file: 'src/node/net/peer-writer.ts',
    line: 'if (this.#closed || this.#flushScheduled || this.#flushing || this.#retryTimer !== undefined) return;',
    kind: '|| -> &&',
    why:
      'drops only the closed and already-scheduled guards: a closed writer has an empty queue, which the flush ' +
      'checks first, and a second flush scheduled in one turn finds the queue emptied by the first',
  },
  {
    file: 'src/node/net/peer-writer.ts',
    line: 'if (this.#closed || this.#queue.length === 0 || !this.#context.isConnected()) return;',
    kind: '|| -> &&',
    why:
      'drops the closed and empty-queue guards: close empties the queue, and the send loop itself runs only while ' +
      'the queue holds messages, so a flush of nothing sends nothing',
  },
  {
    file: 'src/node/net/peer-writer.ts',
    line: 'if (this.#queue.length > 0) this.#schedule();',
    kind: '> -> >=',
    why: 'a flush scheduled with nothing queued returns at its empty-queue check',
  },
  // --- src/node/local-network.ts ---
  {
    file: 'src/node/local-network.ts',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source line, quoted
    line: "if (performance.now() > deadline) fail('NOT_READY', `the network did not come up in time (${progress})`);",
    kind: '> -> >=',
    why: 'giving up in the very millisecond of the deadline instead of one poll later: timing only',
  },
  // --- src/node/transfer-service/uploads.ts (idle uploads) ---
  {
    file: 'src/node/transfer-service/uploads.ts',
    line: 'if (writtenMs === undefined || idle.nowMs - writtenMs <= idle.maxIdleMs) continue;',
    kind: '<= -> <',
    why:
      'an upload idle for exactly the bound, to the millisecond: file times are not kept to the millisecond on ' +
      'every file system, so the test stands a second either side of it',
  },
  // --- src/node/node.ts ---
  {
    file: 'src/node/node.ts',
    line: 'return false;',
    kind: 'return false; -> return true;',
    occurrences: [1],
    why:
      'a refused relay reported as added only wakes the proposer after the slice (afterAdmitted), which finds ' +
      'nothing new to propose',
  },
  {
    file: 'src/node/node.ts',
    line: 'if (admitted !== undefined || !relayAdmission.admitQueued(txIdHex)) return admitted;',
    why:
      'each variant only skips admitting a still-queued relayed copy early: the block check then verifies ' +
      'that transaction itself, with the same verdict, the signature work done twice',
  },
  {
    file: 'src/node/node.ts',
    line: 'if (rerelayed > 0) metrics.txsRerelayed.inc(rerelayed);',
    kind: '> -> >=',
    why: 'an increment by zero leaves the counter as it was',
  },
  {
    file: 'src/node/node.ts',
    line: 'if (missingHeapFlags.length > 0) {',
    kind: '> -> >=',
    why:
      'the in-process tests run without the heap flags, where the warning is due either way; a process ' +
      'that has them is test/e2e/node-up.test.ts, which kills it (end-to-end tests are outside the sweep)',
  },
  // --- src/node/node-chain.ts ---
  {
    file: 'src/node/node-chain.ts',
    line: 'if (this.#applied.size >= MAX_CACHED_APPLIED_BLOCKS) {',
    why:
      "the applied-result cache's memory bound: a missing entry is verified again at commit, and the cache is " +
      'cleared at every commit, so no answer depends on what it evicts',
  },
  {
    file: 'src/node/node-chain.ts',
    line: 'if (oldest !== undefined) this.#applied.delete(oldest);',
    why: 'the same memory bound: the cache is full here, so it has an oldest entry',
  },
  // --- src/node/transfer/direct-appender.ts ---
  {
    file: 'src/node/transfer/direct-appender.ts',
    line: "if ((error as NodeJS.ErrnoException).code === 'EINVAL') return undefined;",
    why:
      'a file system that refuses O_DIRECT at open: none here does (ext4 and, on this kernel, tmpfs take it), so ' +
      'no test reaches it; the refusals at write time are tested',
  },
  {
    file: 'src/node/transfer/direct-appender.ts',
    line: 'if (this.#directFd === undefined || this.#stage === undefined || this.#staged === 0) return;',
    kind: '|| -> &&',
    why:
      'the stage exists exactly while the O_DIRECT descriptor does (begun, not refused, not released), and a flush ' +
      'of nothing staged writes nothing: either grouping returns or flushes nothing',
  },
  // --- src/node/transfer/outbox.ts ---
  {
    file: 'src/node/transfer/outbox.ts',
    line: 'if (!existsSync(directory)) return;',
    kind: 'if-false',
    why: 'a shortcut for a folder that is not there: rm with force leaves it absent too (the comment above says why it is kept)',
  },
  {
    file: 'src/node/transfer/direct-appender.ts',
    line: 'if (this.#stage !== undefined && spareStages.length < MAX_SPARE_STAGES) spareStages.push(this.#stage);',
    why: 'the pool of spare stages (memory reuse): a missing or extra spare only changes which memory the next file stages in',
  },
  {
    file: 'src/node/transfer/direct-appender.ts',
    line: 'if (!isDirectRefusal(error)) throw error;',
    kind: 'if-false',
    why:
      'a write error other than a refusal of O_DIRECT (EIO, ENOSPC) on a disk that takes O_DIRECT: the full disks ' +
      'tests can make are tmpfs (which refuses O_DIRECT itself) and /dev/full (no O_DIRECT either)',
  },
  // --- src/node/transfer/seal-pool.ts ---
  {
    file: 'src/node/transfer/seal-pool.ts',
    line: 'if (this.#failure !== undefined) throw this.#failure;',
    kind: 'if-false',
    occurrences: [1],
    why:
      "finish's early refusal of a known failure: without it the drain ends at once (the worker answers the " +
      'finish, or has exited), and the same failure is thrown by the check after it',
  },
  // --- src/node/transfer/seal.ts ---
  {
    file: 'src/node/transfer/seal.ts',
    line: 'const onWorker = options.worker ?? verdict.layout.chunkCount >= SEAL_WORKER_MIN_CHUNKS;',
    kind: '>= -> >',
    why: 'which thread hashes and writes the chunks of a payload of exactly the threshold: the same leaves and bytes',
  },
  {
    file: 'src/node/transfer/seal.ts',
    line: 'if (index === workerFromChunk) await writer?.whenReady();',
    kind: '=== -> !==',
    why: 'waiting for the worker to load at other chunks than the first it takes: timing only, the same chunks are sealed',
  },
  {
    file: 'src/node/transfer/seal.ts',
    line: 'writer === undefined || (workerFromChunk === undefined ? !writer.ready : index < workerFromChunk);',
    why:
      'which thread hashes and writes a chunk (leaves are recorded in order on either path, recordLeaf asserts it): ' +
      'the same leaves and bytes',
  },
  {
    file: 'src/node/transfer/seal.ts',
    line: 'if (!here) {',
    kind: 'if-false',
    why: 'every chunk sealed on this thread instead of the worker: the same leaves and bytes, more slowly',
  },
  {
    file: 'src/node/transfer/seal.ts',
    line: 'if (reader.take !== undefined) {',
    kind: 'if-false',
    why: 'a faster route: a stream source also fills a buffer (a copy of the same bytes)',
  },
  // --- src/node/transfer/sender.ts ---
  {
    file: 'src/node/transfer/sender.ts',
    line: 'next = index + 1 < chunkCount ? inFlight(readChunk(outbox, index + 1)) : undefined;',
    why:
      'a read-ahead of the chunk after the last: it fails (no such leaf), but inFlight keeps the failure from ' +
      'surfacing and nothing waits for it, so the same frames go out (the first read-ahead is not wrapped: tested)',
  },
  // --- src/node/transfer-service/resume-scan.ts ---
  {
    file: 'src/node/transfer-service/resume-scan.ts',
    line: 'if (signal.aborted) return;',
    occurrences: [1],
    kind: 'if-false',
    why:
      'the check before decoding the next entry: the one after waiting for room (tested) stops the same scan before ' +
      'anything is handed over; this one only saves decoding the entries left',
  },
  // --- src/node/transfer-service/disk-room.ts ---
  {
    file: 'src/node/transfer-service/disk-room.ts',
    line: 'ok: freeBytes - claimed - bytes >= this.reserveBytes,',
    kind: '>= -> >',
    why:
      "the reserve's last byte: free space moves by whole blocks and with every other writer on the disk, so no " +
      'test can stand exactly on the edge (each side of it is tested with margins of megabytes)',
  },
  // --- src/node/transfer-service/uploads.ts ---
  {
    file: 'src/node/transfer-service/uploads.ts',
    line: 'if ((await stat(target).catch(() => undefined)) !== undefined) {',
    kind: 'if-false',
    why:
      'a sealed payload whose root is already in the outbox: the root covers ciphertext under a fresh random ' +
      'ephemeral key, so no second sealing reaches it (and the rename onto a non-empty folder would fail anyway)',
  },
  // --- src/node/transfer-service/audit.ts ---
  {
    file: 'src/node/transfer-service/audit.ts',
    line: "const accepted = outcome?.accepted ?? record.status !== 'rejected';",
    kind: '!== -> ===',
    why: 'the fallback when a declaration has no verdict: every committed transaction has one (apply-tx.ts)',
  },
  // --- src/node/transfer-service/payload-fetcher.ts ---
  {
    file: 'src/node/transfer-service/payload-fetcher.ts',
    line: 'if (!couldAccept(transfer, this.#options.self)) return;',
    kind: 'if-false',
    why:
      'a shortcut before the queue: #pump asks the acceptance gate, which refuses every record couldAccept rules out ' +
      '(the gate applies the same record rules after reading the transfer back)',
  },
  {
    file: 'src/node/transfer-service/payload-fetcher.ts',
    line: 'return this.#closed || this.#queued.has(transferIdHex) || this.#running.has(transferIdHex);',
    kind: '|| -> &&',
    why:
      'for the first ||, the closed check: close() empties the queue and #pump runs nothing once closed, so a ' +
      'transfer queued after close is never fetched (the second || is killed: a transfer seen twice is fetched once)',
  },
  {
    file: 'src/node/transfer-service/payload-fetcher.ts',
    line: 'if (this.#queue.length < this.#maxQueued) this.#wakeRoomWaiters();',
    kind: '< -> <=',
    why:
      'waiters exist only while the queue is full, and no pump then leaves it exactly full: #enqueue refuses ' +
      'without pumping, and a finished fetch frees a slot, so its pump takes one off the queue first',
  },
  {
    file: 'src/node/transfer-service/payload-fetcher.ts',
    line: 'if (this.#closed) return;',
    occurrences: [2],
    kind: 'if-false',
    why:
      'the check before the wait after an interrupted attempt: close() aborts every running job, so that wait ' +
      'ends at once, and the check at the top of the loop (tested) returns before another attempt',
  },
  // --- src/node/block-sync.ts ---
  {
    file: 'src/node/block-sync.ts',
    line: 'if (blocks.length > 0 && totalBytes > MAX_SYNC_RESPONSE_BYTES) break;',
    kind: '> -> >=',
    why:
      'the first block never passes the bound alone (a block holds at most LIMITS.maxBlockTxBytes, 8 MiB, of ' +
      'transactions), and a response of exactly 8 MiB of transactions differs only in one block fewer, far ' +
      'under the 16 MiB frame either way',
  },
  {
    file: 'src/node/block-sync.ts',
    line: 'if (status.height > known) this.#peerHeights.set(from, status.height);',
    kind: '> -> >=',
    why: 'setting the height the peer already has',
  },
  {
    file: 'src/node/block-sync.ts',
    line: 'if (waitMs <= 0) {',
    kind: '<= -> <',
    why: 'an announcement due this very millisecond: a 0-ms timer sends the same status one timer tick later',
  },
  {
    file: 'src/node/block-sync.ts',
    line: 'if (waitMs <= 0) {',
    kind: 'if-false',
    why:
      'an announcement already due goes out through a timer of 0 ms (a negative delay is 1 ms): the same status ' +
      'one timer tick later; the interval between announcements is what the tests hold, and it is kept',
  },
  {
    file: 'src/node/block-sync.ts',
    line: 'if (!isBayledgerError(error)) return false;',
    why: 'decoders throw only BayledgerErrors; any other error is a bug of ours, and no input reaches it',
  },
  {
    file: 'src/node/block-sync.ts',
    line: 'if (block.header.height <= this.#chain.height) continue;',
    why: 'a shortcut: NodeChain.commit returns false, committing nothing, for a block that is not the next height',
  },
  {
    file: 'src/node/evidence/evidence-list.ts',
    line: 'for (let pages = 0; pages < MAX_PAGES; pages++) {',
    kind: '< -> <=',
    why: "a data directory's store holds at most LIMITS.maxStoredEvidence records, fewer pages than MAX_PAGES",
  },
  // --- src/node/api ---
  {
    file: 'src/node/api/server.ts',
    line: 'if (!METHODS.has(method)) {',
    kind: 'if-false',
    why: 'the router answers a method it has no routes for as it answers any method a path lacks: 404, or 405 with Allow',
  },
  {
    file: 'src/node/api/server.ts',
    line: 'if (discardedBytes > LIMITS.maxApiDiscardBytes) request.socket.destroy();',
    kind: '> -> >=',
    why:
      'the byte at which an unread body stops being discarded: the answer is already sent with Connection: close, ' +
      'so a client sees the connection end either way, one byte of discarding earlier or later',
  },
  {
    file: 'src/node/api/server.ts',
    line: 'if (!LOOPBACK_HOSTS.has(this.#host)) {',
    kind: 'if-false',
    why: 'a warning logged for a non-loopback bind: tests bind loopback only (no test may listen beyond 127.0.0.1)',
  },
  {
    file: 'src/node/chain/derived-state.ts',
    line: 'const fits = length <= CHUNK_BYTES && Number.isInteger(height) && height >= 0 && height < DELETED;',
    why:
      "the guard of two assertions, kept out of the hot path: a state record is far below the arena's chunk " +
      '(values are bounded by the transaction size) and heights are block heights, so only a crash moves',
  },
  {
    file: 'src/node/chain/derived-state.ts',
    line: 'if (!fits) {',
    kind: 'if-false',
    why: 'the same assertion guard: no record of a chain fails it',
  },
  {
    file: 'src/node/chain/derived-state.ts',
    line: 'if (this.#used + length > this.#current.byteLength) {',
    kind: '> -> >=',
    why: 'a new arena chunk when the current one is exactly full rather than one record later: memory only',
  },
  {
    file: 'src/node/chain/derived-state.ts',
    line: 'const known = encodedValues?.length === writes.length ? encodedValues : undefined;',
    kind: '=== -> !==',
    why: 'a faster route to the same bytes: callers pass one encoding per write or none, and encoding again gives the same',
  },
  {
    file: 'src/node/chain/derived-state.ts',
    line: 'if (this.#probe.byteLength < needed)',
    kind: '< -> <=',
    why: 'a new probe buffer for a key that already fits: memory only',
  },
  {
    file: 'src/node/chain/derived-state.ts',
    line: 'if (slot < 0 && value === null) return; // deleting what was never written',
    kind: 'if-false',
    why: 'a tombstone for a key never written: it reads as absent and is not counted live, as no entry would be (memory only)',
  },
  {
    file: 'src/node/chain/derived-state.ts',
    line: 'if (this.#usedSlots > MAX_LOAD * this.#capacity) this.#grow();',
    kind: '> -> >=',
    why: 'the table grows one insertion earlier: memory and probe lengths only, every lookup answers the same',
  },
  {
    file: 'src/node/transfer/container-sink.ts',
    line: 'if (rest.byteLength === 0) return undefined;',
    kind: 'if-false',
    why: 'an empty write after the head: it writes nothing and reaches no item (#countWrites needs an overlap)',
  },
  {
    file: 'src/node/transfer/container-sink.ts',
    line: 'if (Math.max(position, item.start) < Math.min(end, item.start + item.sizeBytes)) item.writes++;',
    kind: '< -> <=',
    why: 'an item the span only touches at its edge counted as written: one more fsync of a file, durability only gains',
  },
  {
    file: 'src/node/transfer/container-sink.ts',
    line: 'if (!(await worker.whenReady())) return false;',
    why: 'a receive worker that failed to load: no test can make it fail (the sink starts its own worker)',
  },
  {
    file: 'src/node/transfer/container-sink.ts',
    line: 'if (bytes.byteLength > 0) {',
    kind: '> -> >=',
    why: 'appending zero head bytes: the same head',
  },
  {
    file: 'src/node/transfer/container-sink.ts',
    line: 'if (offset === item.hashedBytes) {',
    why:
      'hashing an item as its bytes pass is a shortcut: digests() hashes the file again unless exactly all of its ' +
      'bytes were hashed in order, which no other grouping of writes achieves',
  },
  {
    file: 'src/node/transfer/container-sink.ts',
    line: 'if (this.#onWorker !== undefined && (await this.#onWorker)) await this.#worker!.flush();',
    why:
      "flushing the worker's queued writes before the fsyncs of a checkpoint: a flush of an unused worker does " +
      'nothing, and a missing one shows only in a crash right after the checkpoint, which no test can stage',
  },
  {
    file: 'src/node/transfer/container-sink.ts',
    line: 'if (this.headComplete && Array.isArray(bytes)) {',
    kind: 'if-false',
    why: 'a faster route for parts after the head: the general path joins them and writes the same bytes',
  },
  {
    file: 'src/node/transfer/container-sink.ts',
    line: 'onWorker: boolean = layout.containerBytes >= RECEIVE_WORKER_MIN_BYTES,',
    kind: '>= -> >',
    why: 'where items of exactly the threshold are written (this thread or the worker): the same files',
  },
  {
    file: 'src/node/transfer/container-sink.ts',
    line: 'return this.#onWorker !== undefined && (await this.#onWorker);',
    kind: '&& -> ||',
    why: 'before the first item both forms answer a falsy value (false, or undefined awaited), after it the same boolean',
  },
  // --- src/node/mempool ---
  {
    file: 'src/node/mempool/relay-admission.ts',
    line: 'if (this.#closed) return;',
    kind: 'if-false',
    why: 'close() empties the queue and enqueue refuses after it, so a slice that runs after close finds nothing',
  },
  {
    file: 'src/node/mempool/relay-admission.ts',
    line: 'if (this.#head === this.#queue.length) {',
    kind: 'if-false',
    why: 'compaction of the drained queue array: memory only, the same relays are admitted in the same order',
  },
  {
    file: 'src/node/mempool/relay-admission.ts',
    line: '} else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {',
    why: 'compaction of the drained queue array: memory only, the same relays are admitted in the same order',
  },
  // --- src/node/store ---
  {
    file: 'src/node/store/dense-node-cache.ts',
    line: 'if (cached === undefined || index >= cached.present.length * 8) return undefined;',
    kind: '>= -> >',
    why: 'an index just past the bitmap reads undefined, which the presence test turns into "not present" too',
  },
  {
    file: 'src/node/store/memtable-spread.ts',
    line: 'for (let i = 0; i < Math.max(validators.length, others.length); i++) {',
    kind: '< -> <=',
    why: 'the extra turn has no validator and no other node left to list (both inner checks fail): the same order',
  },
  {
    file: 'src/node/store/memtable-spread.ts',
    line: 'if (place <= 0) return LIMITS.storeWriteBufferBytes;',
    kind: '<= -> <',
    why: 'the first place gets no share of the spread (0 extra bytes): the base size either way',
  },
  // --- src/node/verify-pool ---
  {
    file: 'src/node/verify-pool/bitmap.ts',
    line: 'if ((firstIndex & 7) === 0) {',
    kind: 'if-false',
    why: 'the byte-wise merge is a fast path: merging bit by bit sets the same bits',
  },
  {
    file: 'src/node/verify-pool/bitmap.ts',
    line: 'for (let byte = 0; byte < sourceBytes; byte++) target[firstByte + byte]! |= source[byte]!;',
    kind: '< -> <=',
    why: 'one byte more ORs in undefined (0), or writes past the end of the typed array, which is ignored',
  },
  {
    file: 'src/node/verify-pool/bitmap.ts',
    line: 'for (let index = 0; index < checkCount; index++) {',
    kind: '< -> <=',
    why: 'the bit at checkCount is never set in a source (only setVerified writes bits, below checkCount)',
  },
  // --- src/node/net ---
  {
    file: 'src/node/net/send-queue.ts',
    line: 'if (this.#head > 1024 && this.#head * 2 > this.#messages.length) this.#compact();',
    why: 'compaction of the drained front of the array: memory only, the same messages leave in the same order',
  },
  {
    file: 'src/node/net/send-queue.ts',
    line: 'if (this.#head === 0) return;',
    kind: 'if-false',
    why: 'compacting a queue with nothing drained copies the array unchanged: memory only',
  },
  // --- cli/ ---
  {
    file: 'cli/commands/transfer-api.ts',
    line: 'if (!(await buffer.free(settled)) || answered()) return;',
    why:
      'the upload loop has two exits after an early answer, this one and the check after each write: with ' +
      'either gone the other stops it at most one piece later. Dropping the whole condition also drops the ' +
      "wait for the buffer's last write, which matters only for a short piece whose write stays pending; no " +
      'test can make a write over loopback stay pending on demand',
  },
  {
    file: 'cli/commands/transfer-api.ts',
    line: 'if (answered()) return;',
    kind: 'if-false',
    why: 'the check at the top of the next turn stops the upload loop one piece later (see the entry above)',
  },
  {
    file: 'cli/commands/transfer-api.ts',
    line: 'if (performance.now() >= deadline)',
    kind: '>= -> >',
    why: 'giving up one poll later when the deadline falls on the very millisecond: timing only',
  },
  {
    file: 'src/node/store/evidence-store.ts',
    line: 'if (excess > 0) {',
    kind: '> -> >=',
    why:
      'with no excess the branch reads no key (limit 0), deletes nothing and rewrites the dropped count ' +
      'with the value it already has (or writes 0 where no count was kept, which decodes the same)',
  },
  {
    file: 'src/node/transfer/item-write-pool.ts',
    line: 'if (this.#failure !== undefined) return Promise.reject(this.#failure);',
    kind: 'if-false',
    occurrences: [2],
    why:
      "write()'s own check: without it the request it makes is refused by #request's check with the same " +
      'failure, and the slot it took is freed by that rejection',
  },
  {
    file: 'src/node/chain/store-block-source.ts',
    line: 'if (height < this.height) {',
    kind: 'if-false',
    why: 'the read-ahead only: without it each block is read when it is asked for, the same blocks in order',
  },
  {
    file: 'src/node/chain/store-block-source.ts',
    line: 'if (height < this.height) {',
    kind: '< -> <=',
    why:
      'one read ahead past the tip: it is refused (NOT_FOUND), its rejection is caught where it starts, and the ' +
      'loop ends before awaiting it',
  },
  {
    file: 'src/node/transfer/item-write-worker.ts',
    line: "if (failure !== undefined) return reply({ type: 'failed', seq, ...failure });",
    kind: 'if-false',
    why:
      "after a failure the main thread reads no later answer: the first 'failed' reply fails every pending " +
      'request there (item-write-pool.ts #fail) and it sends no new one',
  },
  {
    file: 'src/node/verify-pool/verify-packed.ts',
    line: 'for (let index = 0; index < checkCount; index++) {',
    kind: '< -> <=',
    why:
      'one check more, read past the last from the end offset on: an empty key, signature and message, which ' +
      'verifySignature refuses, so no bit is set (and the bitmap has no bit for it to set)',
  },
  {
    file: 'src/node/net/yamux-window-updates.ts',
    line: 'if (installed) return;',
    kind: 'if-false',
    why:
      'a second install wraps the wrapper: the inner copy asks the same question of the same stream and ' +
      'sends or waits exactly as the outer one decided',
  },
];

/** Why this surviving mutation is equivalent, or undefined when no entry explains it. */
export function isExplained(mutant: SweepMutant): string | undefined {
  const line = mutant.from.trim();
  return EQUIVALENT.find(
    (entry) =>
      (entry.file === '*' || entry.file === mutant.file) &&
      entry.line === line &&
      (entry.kind === undefined || entry.kind === mutant.kind) &&
      (entry.occurrences === undefined || entry.occurrences.includes(mutant.occurrence)),
  )?.why;
}
