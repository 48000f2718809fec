// Reading one sample out of a node's /metrics text (Prometheus exposition format).
import { createNodeMetrics, type NodeMetrics } from '../../src/node/node-metrics.js';

/** The value of the sample `name{labels}`, or undefined when the node does not export it. */
export function findMetric(metricsText: string, name: string, labels = ''): number | undefined {
  const line = metricsText.split('\n').find((candidate) => candidate.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/**
 * A node's metrics for a test without a running node: every live gauge reads as idle (no peers,
 * an empty mempool, the committed-id filter not answering) unless `live` says otherwise.
 */
export function idleNodeMetrics(live: Partial<Parameters<typeof createNodeMetrics>[0]> = {}): NodeMetrics {
  return createNodeMetrics({
    peers: () => 0,
    mempoolTxs: () => 0,
    mempoolBytes: () => 0,
    txIdFilterAnswering: () => false,
    ...live,
  });
}
