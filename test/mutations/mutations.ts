// The mutation audits (docs/TESTING.md). Session 18: paths that run on a timer,
// after a failure or on bad input, each disabled by a one-line change that the listed tests must
// notice. Something else usually repairs what such a path would in an end-to-end run, so a test
// that fails without it is easy to lose; `npm run test:mutations` checks that none was lost.
// Session 19: checks of src/core that a sweep of operator mutations (a condition made false,
// a comparison or boolean operator flipped) found unguarded, chosen where a lost check would let a
// peer, a proposer or a forged record through; each costs a second or two of unit tests.
//
// Session 27: the two bugs the chaos soak found.
// Session 28: a recipient's disk filling during payload fetches (ARCHITECTURE decision 60), and
// the votes re-sent every interval of a stall.
//
// `from` must occur exactly once in `file`; when the code around it changes, update it here.

export interface Mutation {
  /** Short name, printed in the report. */
  readonly name: string;
  /** What the mutation takes away, in a few words. */
  readonly disables: string;
  readonly file: string;
  readonly from: string;
  readonly to: string;
  /** Test files that must fail with the mutation applied (run with mocha). */
  readonly tests: readonly string[];
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'peer-writer-retry',
    disables: 'the send retry after a stream fails to open while connected',
    file: 'src/node/net/peer-writer.ts',
    from: '  #retryLater(): void {\n',
    to: '  #retryLater(): void {\n    return;\n',
    tests: ['test/e2e/net.test.ts'],
  },
  {
    name: 'peer-reconnect',
    disables: 'redialling a peer after it disconnects',
    file: 'src/node/net/network.ts',
    from: '  #scheduleReconnect(entry: PeerEntry): void {\n',
    to: "  #scheduleReconnect(entry: PeerEntry): void {\n    if (entry.orgId !== '') return;\n",
    tests: ['test/e2e/net.test.ts'],
  },
  {
    name: 'fetch-retry',
    disables: "the payload fetcher's next attempt after an interrupted one",
    file: 'src/node/transfer-service/payload-fetcher.ts',
    from: '      await sleep(retryDelayMs(attempt), undefined, { signal }).catch(() => undefined);',
    to: '      return;',
    tests: ['test/unit/transfer-service-payload.test.ts'],
  },
  {
    name: 'fetch-stop-on-revocation',
    disables: 'aborting running fetches under a consent just revoked',
    file: 'src/node/transfer-service/payload-fetcher.ts',
    from: '    for (const job of this.#running.values()) if (job.consentIdHex === hex) job.abort.abort();',
    to: '    void hex;',
    tests: ['test/unit/transfer-service-payload.test.ts'],
  },
  {
    name: 'resume-scan',
    disables: 'queueing the open transfers found at start',
    file: 'src/node/transfer-service/resume-scan.ts',
    from: '      fetcher.considerWritten(transfer);',
    to: '',
    tests: ['test/unit/transfer-service-payload.test.ts'],
  },
  {
    name: 'consensus-regossip',
    disables: "the driver's re-send of its own messages when a height stalls",
    file: 'src/node/consensus-driver.ts',
    from: '    this.#regossipIfStalled();\n    this.#wakeIfForgotten();',
    to: '    this.#wakeIfForgotten();',
    tests: ['test/unit/consensus-driver-gossip.test.ts'],
  },
  {
    name: 'consensus-wake',
    disables: 'waking a proposer that waits while the mempool holds transactions',
    file: 'src/node/consensus-driver.ts',
    from: '    this.#regossipIfStalled();\n    this.#wakeIfForgotten();',
    to: '    this.#regossipIfStalled();',
    tests: ['test/unit/consensus-driver-pacing.test.ts'],
  },
  {
    name: 'receipt-mempool-full',
    disables: 'waiting out MEMPOOL_FULL before submitting a receipt again',
    file: 'src/node/transfer-service/submit.ts',
    from: "      if (!isBayledgerError(error, 'MEMPOOL_FULL')) throw error;",
    to: '      throw error;',
    tests: ['test/unit/transfer-service-submit.test.ts'],
  },
  {
    name: 'receipt-conflict',
    disables: 'counting an already held receipt as submitted',
    file: 'src/node/transfer-service/submit.ts',
    from: "    if (!isBayledgerError(error, 'CONFLICT')) throw error;",
    to: '    throw error;',
    tests: ['test/unit/transfer-service-submit.test.ts'],
  },
  {
    name: 'receipt-resubmit',
    disables: 'submitting a receipt again after a wait that ran out',
    file: 'src/node/transfer-service/submit.ts',
    from: "      if (view.status === 'committed') return true;",
    to: "      return view.status === 'committed';",
    tests: ['test/unit/transfer-service-submit.test.ts'],
  },
  {
    name: 'sync-recheck',
    disables: "block sync's periodic check for a peer ahead",
    file: 'src/node/block-sync.ts',
    from: '    this.#timer = setInterval(() => this.kick(), SYNC_CHECK_INTERVAL_MS);',
    to: '    this.#timer = setInterval(() => undefined, SYNC_CHECK_INTERVAL_MS);',
    tests: ['test/unit/block-sync.test.ts'],
  },
  {
    name: 'sync-status-on-connect',
    disables: 'telling a newly connected peer our height',
    file: 'src/node/block-sync.ts',
    from: "      if (event.kind === 'connect') this.#net.send(event.orgId, PROTOCOL.status, this.#statusBytes());",
    to: '',
    tests: ['test/unit/block-sync.test.ts'],
  },
  {
    name: 'sync-penalty',
    disables: 'penalising a peer that serves an invalid block',
    file: 'src/node/block-sync.ts',
    from: '        this.#net.penalise(peer, code, ',
    to: '        void code;\n        void (',
    tests: ['test/unit/block-sync.test.ts'],
  },
  {
    name: 'api-declared-length',
    disables: 'refusing a body from its declared length',
    file: 'src/node/api/body.ts',
    from: '  if (declared !== undefined && declared > limitBytes) tooLarge(limitBytes);',
    to: '  void declared;',
    tests: ['test/unit/api.test.ts'],
  },
  {
    name: 'api-read-limit',
    disables: 'the limit on a body read whole',
    file: 'src/node/api/body.ts',
    from: '    receivedBytes += chunk.byteLength;\n    if (receivedBytes > limitBytes) tooLarge(limitBytes);\n    chunks.push(chunk);',
    to: '    receivedBytes += chunk.byteLength;\n    chunks.push(chunk);',
    tests: ['test/unit/api.test.ts'],
  },
  {
    name: 'api-stream-limit',
    disables: 'the limit on a body streamed to its handler',
    file: 'src/node/api/body.ts',
    from: '    receivedBytes += chunk.byteLength;\n    if (receivedBytes > limitBytes) tooLarge(limitBytes);\n    yield',
    to: '    receivedBytes += chunk.byteLength;\n    yield',
    tests: ['test/unit/api.test.ts'],
  },
  {
    name: 'api-token',
    disables: "the bearer token's comparison",
    file: 'src/node/api/auth.ts',
    from: '    if (!timingSafeEqual(digest(presented), this.#expectedDigest)) {',
    to: "    if (presented === '' && !timingSafeEqual(digest(presented), this.#expectedDigest)) {",
    tests: ['test/unit/api.test.ts'],
  },
  {
    name: 'certificate-repeat-signer',
    disables: 'refusing a certificate that lists one validator twice',
    file: 'src/core/ledger/certificate-verify.ts',
    from: '    if (position <= previousPosition) {',
    to: '    if (position < previousPosition) {',
    tests: ['test/unit/ledger.test.ts'],
  },
  {
    name: 'committed-block-header',
    disables: 'the header checks of a certified block (sync, chain verify)',
    file: 'src/core/ledger/verify-block.ts',
    from: '  if (headerFault) return headerFault;',
    to: '  void headerFault;',
    tests: ['test/unit/ledger.test.ts'],
  },
  {
    name: 'block-byte-limit',
    disables: "the genesis limit on a block's transaction bytes",
    file: 'src/core/ledger/verify-block.ts',
    from: '  if (txBytes > maxBytes)\n',
    to: '  if (txBytes > maxBytes + 1)\n',
    tests: ['test/unit/ledger.test.ts'],
  },
  {
    name: 'envelope-schema-failure',
    disables: 'stopping at an envelope that fails its schema',
    file: 'src/core/records/verify.ts',
    from: "  if ('ok' in tx) return tx as Extract<TxCheck, { ok: false }>;",
    to: '',
    tests: ['test/unit/ledger.test.ts'],
  },
  {
    name: 'policy-quorum-validators',
    disables: "counting only validators for a policy update's quorum",
    file: 'src/core/records/verify.ts',
    from: "org.role === 'validator').length",
    to: "org.role !== 'validator').length",
    tests: ['test/unit/records.test.ts'],
  },
  {
    name: 'proposal-block-hash',
    disables: "checking a proposal's block against the hash it signs",
    file: 'src/core/consensus/receive.ts',
    from: '  if (!bytesEqual(setup.hashBlock(proposal.block), proposal.blockHash)) return false;',
    to: '',
    tests: ['test/unit/consensus-messages.test.ts'],
  },
  {
    name: 'proposal-previous-hash',
    disables: 'refusing a proposed block that does not follow our last block',
    file: 'src/core/consensus/validity.ts',
    from: "  if (!bytesEqual(header.previousHash, state.lastBlock.hash)) return 'previousHash is not our last block';",
    to: '',
    tests: ['test/unit/consensus-messages.test.ts'],
  },
  {
    name: 'lock-line-29',
    disables: 'line 29 prevoting a value whose vr equals lockedRound',
    file: 'src/core/consensus/rules.ts',
    from: '  return lockedRound <= validRound || lockedValue?.key === key; // line 29',
    to: '  return lockedRound < validRound || lockedValue?.key === key; // line 29',
    tests: ['test/unit/consensus-algorithm.test.ts'],
  },
  {
    name: 'lock-line-36-step',
    disables: 'line 36 waiting for step >= prevote',
    file: 'src/core/consensus/rules.ts',
    from: "  if (state.step === 'propose') return false;\n  const roundState = roundOf(state, state.round);\n  if (roundState.lockOrValidUpdated)",
    to: '  const roundState = roundOf(state, state.round);\n  if (roundState.lockOrValidUpdated)',
    tests: ['test/unit/consensus-algorithm.test.ts'],
  },
  {
    name: 'rules-settle',
    disables: 're-checking the rules after lines 36-43 fired',
    file: 'src/core/consensus/rules.ts',
    from: '    update(ctx, { validValue: value, validRound: state.round }); // lines 42-43\n    return true;',
    to: '    update(ctx, { validValue: value, validRound: state.round }); // lines 42-43\n    return false;',
    tests: ['test/sim/sim.test.ts'],
  },
  {
    name: 'sync-block-fit',
    disables: 'refusing a synced certified block that does not follow our last block',
    file: 'src/core/consensus/machine.ts',
    from: '  if (input.block.header.height !== state.height || structuralFault(state, input.block) !== null) return;',
    to: '',
    tests: ['test/unit/consensus-machine-edges.test.ts'],
  },
  {
    name: 'verdict-once',
    disables: "keeping the shell's first verdict on a block",
    file: 'src/core/consensus/machine.ts',
    from: "  if (ctx.state.validity.get(key) !== 'pending') return;",
    to: '',
    tests: ['test/unit/consensus-machine-edges.test.ts'],
  },
  {
    name: 'faulty-max',
    disables: 'f = floor((n - 1) / 3)',
    file: 'src/core/consensus/machine.ts',
    from: 'Math.floor((validators.length - 1) / 3)',
    to: 'Math.floor(validators.length / 3)',
    tests: ['test/unit/consensus-machine-edges.test.ts'],
  },
  {
    name: 'evidence-slot',
    disables: 'a vote slot of its own per vote type in evidence',
    file: 'src/core/consensus/evidence.ts',
    from: "evidence.kind === 'vote' ? evidence.type : 'proposal'",
    to: "'proposal'",
    tests: ['test/unit/consensus-messages.test.ts'],
  },
  // Session 27: what the chaos soak (test/chaos) found, each now guarded by a unit test.
  {
    name: 'read-between-commits',
    disables: 'reading the store between commits, not after awaiting drain()',
    file: 'src/node/node-chain.ts',
    from: '    const run = this.#commitQueue.then(read);\n    this.#commitQueue = run.catch(() => undefined);\n    return run;\n',
    to: '    return this.drain().then(read);\n',
    tests: ['test/unit/node-chain.test.ts'],
  },
  {
    name: 'out-of-turn-wake',
    disables: 'waking the proposer after an out-of-turn relay admission',
    file: 'src/node/mempool/relay-admission.ts',
    from: '    if (this.#options.admit(relayed)) this.#options.afterAdmitted();\n',
    to: '    this.#options.admit(relayed);\n',
    tests: ['test/unit/relay-admission.test.ts'],
  },
  // Session 28: a recipient's inbox disk filling during fetches.
  {
    name: 'fetch-waits-on-full-disk',
    disables: 'a write the disk refused for want of space becoming a wait for room',
    file: 'src/node/transfer-service/payload-fetcher.ts',
    from: "      if (errno !== 'ENOSPC' && errno !== 'EDQUOT') throw error;\n",
    to: '      throw error;\n',
    tests: ['test/e2e/inbox-full.test.ts'],
  },
  {
    name: 'partial-cuts-tail',
    disables: 'cutting item bytes past the durable prefix when a partial reopens',
    file: 'src/node/transfer/container-sink.ts',
    from: '      if ((await handle.stat()).size > keepBytes) await handle.truncate(keepBytes);\n',
    to: '',
    tests: ['test/unit/payload.test.ts'],
  },
  {
    name: 'room-claims-count',
    disables: 'counting the room claimed by fetches under way',
    file: 'src/node/transfer-service/disk-room.ts',
    from: '    this.#claimedBytes += bytes;\n',
    to: '',
    tests: ['test/unit/transfer-disk-room.test.ts', 'test/e2e/inbox-full.test.ts'],
  },
  {
    name: 'worker-keeps-errno',
    disables: "the item worker's errno reaching the main thread (a full disk read as a bare error)",
    file: 'src/node/transfer/item-write-pool.ts',
    from: '      if (reply.errno !== undefined) error.code = reply.errno;\n',
    to: '',
    tests: ['test/unit/payload-receive-worker.test.ts'],
  },
  {
    name: 'votes-every-stalled-interval',
    disables: 'the votes re-sent every interval of a stall, between the doubling full re-sends',
    file: 'src/node/consensus-driver.ts',
    from: "    else if (this.#stallWatch.votesDue()) this.input({ type: 'regossip', votesOnly: true });\n",
    to: '',
    tests: ['test/unit/consensus-driver-gossip.test.ts'],
  },
];
