// Every bound in bayledger, in one place (TigerBeetle style). A number here is a promise the
// code keeps: anything larger is refused with a typed error, never silently truncated.

export const LIMITS = {
  // --- codec ---
  /** Largest CBOR item any decoder accepts (a full block message is the biggest). */
  maxCborBytes: 16 * 1024 * 1024,
  /** Deepest nesting of arrays and maps accepted in decoded CBOR. */
  maxCborDepth: 16,

  // --- records ---
  /** Largest canonical signed envelope of one transaction. */
  maxTxBytes: 64 * 1024,
  /** Signatures on one envelope (policy.update carries one per regulator). */
  maxSignaturesPerTx: 32,
  /** Items in one transfer declaration. */
  maxItemsPerTransfer: 64,
  /** Categories named in one consent. */
  maxCategoriesPerConsent: 32,
  /** Senders one consent may authorise. */
  maxSendersPerConsent: 16,
  /** Length of an identifier string (organisation, category, route, purpose, reason code). */
  maxIdentifierChars: 64,
  /** Length of a filing reference. */
  maxReferenceChars: 128,
  /** Largest payload one transfer may declare: 4 GiB. */
  maxPayloadBytes: 4 * 1024 * 1024 * 1024,

  // --- policy ---
  /** Categories in one policy's catalogue, and entries on its negative list. */
  maxPolicyCategories: 256,
  /** Purposes one policy allows. */
  maxPolicyPurposes: 64,
  /** Legal routes one policy defines (and threshold routes it names). */
  maxPolicyRoutes: 32,
  /** Jurisdictions on either side of one route. */
  maxJurisdictionsPerRoute: 16,
  /** Regulators one negative-list entry may require to assess a transfer. */
  maxAssessorsPerCategory: 16,

  // --- network config ---
  maxOrganisations: 256,
  maxValidators: 100,
  maxConfigBytes: 1024 * 1024,

  // --- ledger ---
  /** Transactions in one block. */
  maxTxsPerBlock: 5000,
  /** Sum of transaction bytes in one block. */
  maxBlockTxBytes: 8 * 1024 * 1024,
  /** Encoded block: its transaction bytes plus header and CBOR heads (at most 5 bytes a transaction). */
  maxEncodedBlockBytes: 8 * 1024 * 1024 + 64 * 1024,
  /** Encoded block header (about 330 bytes with 64-character identifiers). */
  maxHeaderBytes: 1024,
  /** Encoded commit certificate: up to maxValidators signatures of about 140 bytes each. */
  maxCertificateBytes: 32 * 1024,
  /** Largest offline proof bundle: one transaction, a proof path, a header and a certificate. */
  maxProofBundleBytes: 128 * 1024,

  // --- store ---
  /** State entries the store's synchronous reader keeps cached for block application. */
  maxStateCacheEntries: 100_000,
  /** Lower-level tree nodes the store keeps cached (recently used: block application's frontier). */
  maxMerkleCacheEntries: 8192,
  /** Upper levels of the tree the store caches densely, 32 bytes a node (dense-node-cache.ts). */
  maxMerkleDenseCacheBytes: 16 * 1024 * 1024,
  /** LevelDB block cache (decompressed blocks), bytes. */
  storeBlockCacheBytes: 8 * 1024 * 1024,
  /**
   * LevelDB open files: bounds the table files mapped into the node's memory (open-db.ts). At a
   * million transactions (about 750 tables of 2 MB): 128 kept VmRSS at 192 MB after 1,000 reads but
   * put the inclusion-proof median at 1.1 ms under load; 192 gives 0.56 ms and 246 to 255 MB.
   */
  storeMaxOpenFiles: 192,
  /** LevelDB uncompressed block size, bytes (what a point read decompresses). */
  storeBlockBytes: 4096,
  /**
   * LevelDB memtable, bytes (the smallest; each node adds its share of the spread below): written
   * out as a level-0 table when full, and LevelDB may hold a second one while it writes the first,
   * so up to twice a node's size is heap outside V8. Four times
   * LevelDB's 4 MiB default because compaction is most of a committing node's CPU outside its main
   * thread. CPU per committed transaction on threads other than the main one, blocks of 200,
   * alternating runs on a loaded machine: over 30,000 transactions 88-97 us with 16 MiB against
   * 136-138 with 4 MiB; over 60,000, 151 (16 MiB), 157-158 (8 MiB), 180 (4 MiB); over 100,000,
   * 126 and 164 against 163 and 202.
   */
  storeWriteBufferBytes: 16 * 1024 * 1024,
  /**
   * Nodes' memtables are spread over [storeWriteBufferBytes, that + this) by their organisation's
   * place in the genesis (store/memtable-spread.ts), so nodes that commit the same blocks do not
   * flush and compact at the same moment.
   */
  storeWriteBufferSpreadBytes: 8 * 1024 * 1024,
  /**
   * Committed-id filter (tx-id-filter.ts): ids its first segment is sized for at least, at 10 bits
   * an id (65,536 ids: 128 KiB), and its memory bound, past which it switches itself off and every
   * replay check reads LevelDB again until the next open sizes it for the whole log. Measured with
   * the class: it switches off after 20.8 million ids when opened on an empty log, 35.8 million
   * when opened at 10 million, 53.7 million at 40 million.
   */
  txIdFilterMinimumIds: 65_536,
  txIdFilterMaxBytes: 64 * 1024 * 1024,
  /** Bucket scans chain verify runs at once when it compares the stored state (thread-pool work). */
  maxConcurrentVerifyScans: 3,
  /** Young generation of chain verify's own thread, MB (three semi-spaces: 64 MB each). */
  verifyYoungGenerationMb: 192,
  /**
   * Chain verify starts a process of its own (verify-sources.ts) only for a chain of more
   * transactions than this: the process's settings save time on big chains, and its start (0.6-1
   * s) costs more than they save on small ones (measured: 30,000 0.7 s slower, 60,000 even).
   */
  verifyInProcessMaxTxs: 50_000,
  /**
   * Chain verify checks the signatures of a chain of at most this many transactions on its own
   * thread: starting the signature worker threads (0.1-0.3 s) costs more than they save.
   */
  verifyWithoutWorkersMaxTxs: 2_000,
  /** One consensus WAL record (a proposal carries a whole block). */
  maxWalRecordBytes: 8 * 1024 * 1024 + 128 * 1024,
  /** Records in the consensus WAL of one height (messages a validator signs and receives). */
  maxWalRecords: 100_000,

  // --- consensus ---
  /** Rounds a height may reach before the node stops advancing and reports it. */
  maxRoundsPerHeight: 1000,
  /** Messages buffered per (height, round) from all validators together. */
  maxMessagesPerRound: 4096,
  /** Heights ahead of ours whose messages we buffer. */
  maxFutureHeights: 2,
  /** Timeouts grow linearly per round and are capped here. */
  maxTimeoutMs: 30_000,
  /** Different proposals kept per round; more only come from an equivocating proposer. */
  maxProposalsPerRound: 4,
  /** Own votes re-sent per regossip tick (most recent rounds first), so lost votes get through. */
  maxRegossipVotes: 32,
  /**
   * Connections of one peer per height that get the re-send on connect and a new count of answers
   * to its proposal requests (missed-messages.ts): a restarted process needs one, a peer that
   * reconnects in a loop gets no more than this many copies of a proposal that way.
   */
  maxConnectRepairsPerHeight: 3,
  /** Signature verdicts of received proposals and votes a node remembers (checked once, on receipt). */
  maxCachedConsensusSignatures: 8192,
  /**
   * Equivocation evidence records a node keeps (node-local, about 400 bytes each); beyond this the
   * record of the lowest height is dropped and counted.
   */
  maxStoredEvidence: 10_000,
  /** Evidence records per GET /evidence page. */
  maxEvidencePage: 100,

  // --- mempool ---
  maxMempoolTxs: 100_000,
  maxMempoolBytes: 256 * 1024 * 1024,
  /** Relayed transactions waiting for admission behind consensus traffic (src/node/mempool/relay-admission.ts). */
  maxQueuedRelayedTxs: 20_000,
  maxQueuedRelayedBytes: 32 * 1024 * 1024,
  /** Longest run of relayed-transaction admissions before the event loop serves other I/O. */
  relayAdmissionSliceMs: 5,
  /**
   * Re-relay of transactions submitted to a node that still wait in its mempool
   * (src/node/mempool/rerelay.ts): their first relay may have been lost (decision 9). Ticks every
   * second, the beat regossip uses: a lost relay then costs about minAge + 1 s, and an idle tick
   * is a check of the oldest pending local transaction.
   */
  mempoolRerelayIntervalMs: 1_000,
  /**
   * Time since its first send before a transaction is sent again; later re-sends wait until that
   * time has doubled. Above the measured p99 commit latency of a loaded network (up to 2.5-2.9 s at
   * 350-480 tx/s, ARCHITECTURE.md decision 42), so it re-sends only its slow tail, not everything.
   */
  mempoolRerelayAgeMs: 3_000,
  /** Longest gap between two re-sends of one transaction: bounds the wait after a long outage. */
  maxMempoolRerelayIntervalMs: 30_000,
  /**
   * Transactions re-sent per tick (to each validator), oldest first: a seventh to a fifth of the
   * measured saturation throughput (600-890 tx/s), so re-sending a backlog cannot crowd out new
   * transactions.
   */
  maxRerelayedTxsPerTick: 128,
  /** Bytes re-sent per tick (to each validator): one batch frame (maxBatchBytes). */
  maxRerelayedBytesPerTick: 256 * 1024,
  /**
   * What a validator that connects is sent of the transactions waiting in a node's mempool, oldest
   * first (src/node/mempool/tx-relay.ts, decision 64): the re-relay tick's bounds, since it is one
   * more re-send, at most once per minConnectSendGapMs to one validator.
   */
  maxTxsSentOnConnect: 128,
  maxBytesSentOnConnect: 256 * 1024,
  minConnectSendGapMs: 10_000,
  /**
   * How often the API client asks again when a node answers that it is still starting (503
   * NOT_READY, src/node/api/client.ts), and the longest Retry-After it honours: a node attaches its
   * last routes well within a second of answering, so five waits of a second cover a slow start.
   */
  maxApiNotReadyRetries: 5,
  maxApiRetryAfterMs: 5_000,
  /** Longest wait between two re-sends of our consensus messages while a height stays stalled. */
  maxRegossipIntervalMs: 8_000,
  /**
   * Untimely proposals (block time beyond maxClockDriftMs ahead of our clock) are counted each
   * and logged at most once per this gap for one proposer, with the count since the last warning
   * (src/node/proposal-clock-watch.ts): a skewed clock is a lasting condition, not an event per height.
   */
  minClockSkewWarningGapMs: 60_000,

  // --- network ---
  /** Largest length-prefixed message on any stream. */
  maxMessageBytes: 16 * 1024 * 1024,
  /** Blocks per block-sync response. */
  maxBlocksPerSyncResponse: 64,
  /** Sync requests in one catch-up run before the node waits for the next announcement. */
  maxSyncAttempts: 10_000,
  /** Reconnect backoff cap. */
  maxReconnectBackoffMs: 5_000,
  /** First reconnect delay; it doubles per failed attempt up to maxReconnectBackoffMs. */
  minReconnectBackoffMs: 100,
  /** Longest a peer that sent garbage stays disconnected and refused. */
  maxPeerBanMs: 60_000,
  /** Messages waiting in one (peer, protocol) send queue; beyond this the oldest is dropped. */
  maxSendQueueMessages: 10_000,
  /** Bytes waiting in one (peer, protocol) send queue; beyond this the oldest is dropped. */
  maxSendQueueBytes: 16 * 1024 * 1024,
  /** Small messages coalesced into one frame. */
  maxBatchMessages: 1024,
  /** Bytes of small messages coalesced into one frame (a larger single message goes alone). */
  maxBatchBytes: 256 * 1024,
  /** Longest a request on the network may wait for its response. */
  maxRequestTimeoutMs: 60_000,
  /** Requests one peer may have in flight to us at once. */
  maxInboundRequestsPerPeer: 16,
  /** Streams one peer may have open to us per protocol (a long-lived message stream, payload channels). */
  maxInboundStreamsPerPeer: 4,
  /** Frames a raw stream reader holds before it pauses the sender (back-pressure). */
  maxBufferedFramesPerStream: 16,
  /** Yamux receive window per stream: the most a peer can send ahead of what we read. */
  maxStreamWindowBytes: 4 * 1024 * 1024,
  /** Bytes a stream may hold unsent before its writer waits (on top of the frame being written). */
  maxStreamWriteBufferBytes: 256 * 1024,
  /**
   * Released large frame buffers a stream's decoder keeps for the next frames (src/node/net/
   * framing.ts): for payload streams, up to this many chunk frames of memory per stream.
   */
  maxRecycledFramesPerStream: 4,

  // --- API ---
  maxApiBodyBytes: 1024 * 1024,
  /** Transactions in one `POST /txs` (each checked, admitted and answered on its own). */
  maxTxsPerSubmission: 2_000,
  /** Body of one `POST /txs`: room for maxTxsPerSubmission transactions of about 2 KiB. */
  maxTxBatchBodyBytes: 4 * 1024 * 1024,
  /** Largest payload file accepted by a declaration (hospital node API). */
  maxPayloadUploadBytes: 4 * 1024 * 1024 * 1024,
  /** Connections the local API server holds open at once. */
  maxApiConnections: 64,
  /** Time a client has to send a request's headers. */
  apiHeadersTimeoutMs: 10_000,
  /** Bytes of a refused (413) body the server reads and discards so the client can read the answer. */
  maxApiDiscardBytes: 4 * 1024 * 1024,
  /** Longest `node start` waits for a clean shutdown after SIGINT/SIGTERM before it exits anyway. */
  nodeShutdownTimeoutMs: 15_000,
  /**
   * Longest a stopping node's API waits for the requests it was handling to finish (their
   * connections already closed) before the node closes its store: their waits end at once then.
   */
  apiCloseDrainMs: 5_000,
  /** Default time the API client waits for an answer. */
  apiClientTimeoutMs: 30_000,
  /**
   * Largest answer body the API client reads (the CLI's --api mode): a wrong URL can point at
   * anything. The node's largest answer is a patient audit of maxAuditPatientEntries index
   * entries; the largest entry is a transfer of 64 items whose categories are 64-character ids,
   * 4,865 bytes of JSON (a consent with 32 categories and 16 senders: 3,882), so at most 48.7 MB.
   */
  maxApiAnswerBytes: 64 * 1024 * 1024,
  /** Largest error answer body the API client reads; the node's are a code and a short message. */
  maxApiErrorAnswerBytes: 64 * 1024,
  /** Label combinations one metric may hold. */
  maxMetricSeries: 1_000,

  // --- payload channel ---
  /** Plaintext bytes per payload chunk a sender makes, and the most a receiver accepts. */
  payloadChunkBytes: 1024 * 1024,
  /** Chunks in one payload (4 GiB in 1 MiB chunks is 4096); bounds the chunk tree in memory. */
  maxPayloadChunks: 65_536,
  /** The canonical-CBOR manifest of item boundaries at the head of a payload container. */
  maxPayloadManifestBytes: 16 * 1024,
  /** A receiver starts a checkpoint (fsyncs its resume record) once this many chunks are not in one. */
  payloadCheckpointChunks: 16,
  /**
   * Chunks a receiver may hold written but not yet durable while a checkpoint runs before the
   * stream waits for it: what a crash can make it fetch again when its disk syncs slowly.
   */
  payloadMaxUndurableChunks: 64,
  /**
   * A sealer starts a background fdatasync of its output every this many bytes written, so the
   * fsync before publishing flushes only the rest (src/node/transfer/background-sync.ts).
   */
  payloadSyncBytes: 32 * 1024 * 1024,
  /**
   * Sealed chunks a sealer hands its worker thread at most at once, to hash and write
   * (src/node/transfer/seal-pool.ts): that many chunks of memory in flight.
   */
  payloadSealChunksInFlight: 4,
  /**
   * Opened chunks a receiver hands its item-writing worker at most at once (shared slots of one
   * chunk each, src/node/transfer/item-write-pool.ts): that many chunks of memory in flight.
   */
  payloadReceiveChunksInFlight: 4,
  /**
   * Bytes a recipient stages per item file before writing them with O_DIRECT (src/node/transfer/
   * direct-appender.ts): one such buffer for each item being written (at most two at once, a
   * chunk spanning two items) and at most two more kept for reuse: 8 MiB per receiving worker.
   */
  directWriteStageBytes: 2 * 1024 * 1024,

  // --- transfer service (src/node/transfer-service) ---
  /**
   * Free disk a node keeps for its ledger (blocks, WAL, compaction): a payload upload or seal
   * that would leave less is refused, and a fetch waits for room (disk-room.ts), so that a
   * payload never fills the disk under the chain and stops the node (store/write-fault.ts).
   * node.json's `diskReserveBytes` sets another. A node stores about 2 KB per transaction
   * (docs/PERFORMANCE.md, session 16), so at 1,000 tx/s this is about half a minute of ledger,
   * less with LevelDB's log and compactions (a few 2 MiB table files at a time) on top: time for
   * the node to stop cleanly, not to run on.
   */
  diskReserveBytes: 64 * 1024 * 1024,
  /** The largest `diskReserveBytes` node.json may set (1 TiB). */
  maxDiskReserveBytes: 1024 * 1024 * 1024 * 1024,
  /** A streamed upload of unannounced size checks the disk's room again after each of these. */
  diskRoomCheckBytes: 64 * 1024 * 1024,
  /** Plaintext uploads a hospital node holds staged for declarations not yet made. */
  maxStagedUploads: 256,
  /**
   * An upload no declaration claimed this long after its last byte is removed (a client that died
   * between its upload and its declaration, or whose declaration was refused before naming it):
   * staged plaintext does not wait on the node, nor count toward maxStagedUploads, until a restart.
   */
  maxIdleUploadMs: 60 * 60 * 1000,
  /** How often a hospital node looks for such uploads. */
  idleUploadSweepMs: 5 * 60 * 1000,
  /** Payloads a recipient node fetches at once; further approved transfers wait their turn. */
  maxConcurrentPayloadFetches: 2,
  /** Approved transfers a recipient holds queued for fetching; the start-up scan waits for room. */
  maxQueuedPayloadFetches: 1_000,
  /** Attempts to fetch one approved payload before the node gives up until its next start. */
  maxPayloadFetchAttempts: 30,
  /** First wait between two fetch attempts; it doubles per failure up to maxPayloadRetryDelayMs. */
  minPayloadRetryDelayMs: 250,
  maxPayloadRetryDelayMs: 5_000,
  /**
   * A fetch whose disk lacks room (disk-room.ts) asks again after this wait, without spending its
   * attempts; the wait doubles per poll up to diskRoomPollMs. An operator who frees space at once
   * sees the fetch resume within a second or two; one who takes minutes costs a statfs per poll.
   */
  firstDiskRoomPollMs: 500,
  /** The longest wait between two polls for room. */
  diskRoomPollMs: 10_000,
  /** Polls for room one fetch makes before its waits count as attempts again: about 24 hours. */
  maxDiskRoomPolls: 8_640,
  /** Longest a payload stream may stay silent (no frame either way) before it is cut. */
  payloadStreamIdleMs: 30_000,
  /** Attempts to get a receipt into the mempool (it refuses while full). */
  maxReceiptSubmitAttempts: 20,
  /**
   * Longest an API request waits for a commit: a write for its transaction (then it answers
   * "pending"), a block read with `waitMs` for its height (then it answers 404).
   */
  maxApiCommitWaitMs: 30_000,
  /** Entries `audit patient` lists for one patient (consents, transfers and what followed). */
  maxAuditPatientEntries: 10_000,

  // --- signature verification pool (src/node/verify-pool) ---
  /** Worker threads one verify pool may start (the default is one per core). */
  maxVerifyPoolWorkers: 64,
  /** Signature checks in one batch sent to a worker; larger inputs are split by `verifyMany`. */
  maxVerifyBatchItems: 8192,
  /** Bytes of one packed batch (keys, signatures, messages and the offset table). */
  maxVerifyBatchBytes: 16 * 1024 * 1024,
  /** Batches one worker holds at once: one verifying and one waiting, so it never idles between them. */
  maxVerifyInFlightPerWorker: 2,
  /** Batches waiting for a free worker; beyond this `verifyBatch` refuses with OVERLOADED. */
  maxVerifyQueuedBatches: 1024,
} as const;
