// The mutation audit of session 18 (docs/ARCHITECTURE.md, "Tests"): paths that run on a timer,
// after a failure or on bad input, each disabled by a one-line change that the listed tests must
// notice. Something else usually repairs what such a path would in an end-to-end run, so a test
// that fails without it is easy to lose; `npm run test:mutations` checks that none was lost.
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
];
