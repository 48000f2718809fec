// The node's Prometheus metrics (issue 5 item 4), registered once and shared by the parts that
// update them. Gauges that mirror live values read them at scrape time.
import {
  type Counter,
  DURATION_BUCKETS_SECONDS,
  type Gauge,
  type Histogram,
  MetricsRegistry,
} from './metrics/registry.js';

const FAST_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05,
];

export interface NodeMetrics {
  readonly registry: MetricsRegistry;
  readonly height: Gauge;
  readonly round: Gauge;
  readonly blocksCommitted: Counter;
  readonly txsCommitted: Counter;
  readonly txsSubmitted: Counter;
  readonly txsRejected: Counter;
  readonly commitLatencySeconds: Histogram;
  readonly signatureVerifySeconds: Histogram;
  readonly walFsyncSeconds: Histogram;
  readonly commitQueueWaitSeconds: Histogram;
  readonly evidence: Counter;
  readonly syncedBlocks: Counter;
  readonly relayedTxsDropped: Counter;
  readonly txsRerelayed: Counter;
  readonly txsSentOnConnect: Counter;
  readonly proposalsUntimely: Counter;
  readonly proposalTimeAheadSeconds: Gauge;
}

export function createNodeMetrics(live: {
  peers: () => number;
  mempoolTxs: () => number;
  mempoolBytes: () => number;
  txIdFilterAnswering: () => boolean;
}): NodeMetrics {
  const registry = new MetricsRegistry();
  registry.gauge({ name: 'bayledger_peers', help: 'Connected peers.', collect: live.peers });
  registry.gauge({
    name: 'bayledger_mempool_txs',
    help: 'Transactions in the mempool.',
    collect: live.mempoolTxs,
  });
  registry.gauge({
    name: 'bayledger_mempool_bytes',
    help: 'Bytes in the mempool.',
    collect: live.mempoolBytes,
  });
  registry.gauge({
    name: 'bayledger_tx_id_filter_answering',
    help: 'Whether the committed-id filter answers replay checks (1) or LevelDB does (0: not yet filled, or off).',
    collect: () => (live.txIdFilterAnswering() ? 1 : 0),
  });
  // Process figures, read at scrape time: the benchmarks divide CPU time by work done, a figure a
  // busy shared machine distorts far less than wall-clock rates.
  registry.gauge({
    name: 'bayledger_process_cpu_seconds',
    help: 'CPU time this node process has used, user plus system, in seconds.',
    collect: () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    },
  });
  registry.gauge({
    name: 'bayledger_process_resident_bytes',
    help: 'Resident set size of this node process, in bytes.',
    collect: () => process.memoryUsage.rss(),
  });
  return {
    registry,
    height: registry.gauge({ name: 'bayledger_height', help: 'Last committed block height.' }),
    round: registry.gauge({
      name: 'bayledger_consensus_round',
      help: 'Consensus round at the current height.',
    }),
    blocksCommitted: registry.counter({
      name: 'bayledger_blocks_committed_total',
      help: 'Blocks committed.',
    }),
    txsCommitted: registry.counter({
      name: 'bayledger_txs_committed_total',
      help: 'Transactions committed.',
    }),
    txsSubmitted: registry.counter({
      name: 'bayledger_txs_submitted_total',
      help: 'Transactions accepted into the mempool.',
    }),
    txsRejected: registry.counter({
      name: 'bayledger_txs_rejected_total',
      help: 'Transactions refused at admission.',
    }),
    commitLatencySeconds: registry.histogram({
      name: 'bayledger_commit_latency_seconds',
      help: "From a block's proposal (its header time) to its commit by consensus here.",
      buckets: DURATION_BUCKETS_SECONDS,
    }),
    signatureVerifySeconds: registry.histogram({
      name: 'bayledger_signature_verify_seconds',
      help: 'Time to check one transaction (decode, schema, signatures) at admission.',
      buckets: FAST_DURATION_BUCKETS_SECONDS,
    }),
    walFsyncSeconds: registry.histogram({
      name: 'bayledger_wal_fsync_seconds',
      help: 'Time to append and fsync one consensus WAL record.',
      buckets: FAST_DURATION_BUCKETS_SECONDS,
    }),
    commitQueueWaitSeconds: registry.histogram({
      name: 'bayledger_commit_queue_wait_seconds',
      help: 'Time a proposal check or build waited for the block commits queued before it.',
      buckets: DURATION_BUCKETS_SECONDS,
    }),
    evidence: registry.counter({
      name: 'bayledger_equivocation_evidence_total',
      help: 'Equivocations seen.',
    }),
    syncedBlocks: registry.counter({
      name: 'bayledger_synced_blocks_total',
      help: 'Blocks committed by block sync.',
    }),
    relayedTxsDropped: registry.counter({
      name: 'bayledger_relayed_txs_dropped_total',
      help: 'Relayed transactions dropped because the admission queue was full.',
    }),
    txsRerelayed: registry.counter({
      name: 'bayledger_txs_rerelayed_total',
      help: 'Transactions submitted here sent to the validators again because they still waited in the mempool.',
    }),
    txsSentOnConnect: registry.counter({
      name: 'bayledger_txs_sent_on_connect_total',
      help: 'Transactions waiting in the mempool sent to a validator as it connected (it may have restarted empty).',
    }),
    proposalsUntimely: registry.counter({
      name: 'bayledger_proposals_untimely_total',
      help: "Fresh proposals whose block time was more than maxClockDriftMs ahead of this node's clock (a validator prevotes nil on them).",
      labelNames: ['proposer'],
    }),
    proposalTimeAheadSeconds: registry.gauge({
      name: 'bayledger_proposal_time_ahead_seconds',
      help: "The latest proposal's block time minus this node's clock when it arrived, by proposer: clock skew less network and build delays.",
      labelNames: ['proposer'],
    }),
  };
}
