import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { MetricsRegistry } from '../../src/node/metrics/index.js';
import { formatSampleValue } from '../../src/node/metrics/text-format.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of Prometheus text format 0.0.4: every line is a HELP or TYPE comment or a
 * sample; label values are unescaped; anything else fails the test.
 */
function parsePrometheusText(text: string): { samples: Sample[]; types: Map<string, string> } {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const samplePattern = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
  const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      assert.ok(['counter', 'gauge', 'histogram'].includes(type!), line);
      types.set(name!, type!);
      continue;
    }
    const match = samplePattern.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (match[3] !== undefined && match[3] !== '') {
      labelPattern.lastIndex = 0;
      let consumed = 0;
      for (let label = labelPattern.exec(match[3]); label; label = labelPattern.exec(match[3])) {
        labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        consumed = labelPattern.lastIndex;
      }
      assert.equal(consumed, match[3].length, `bad labels in ${line}`);
    }
    const raw = match[4]!;
    const value =
      raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw);
    assert.ok(raw === 'NaN' || !Number.isNaN(value), `bad value in ${line}`);
    samples.push({ name: match[1]!, labels, value });
  }
  return { samples, types };
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
}

describe('Prometheus metrics registry', () => {
  it("writes sample values as Go's ParseFloat reads them", () => {
    assert.deepEqual(
      [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.25, -3, 1e21].map(formatSampleValue),
      ['NaN', '+Inf', '-Inf', '0.25', '-3', '1e+21'],
    );
  });

  it('renders counters, gauges and histograms in text format that parses back', () => {
    const registry = new MetricsRegistry();
    const committed = registry.counter({
      name: 'bayledger_blocks_committed_total',
      help: 'Blocks committed.',
    });
    const dropped = registry.counter({
      name: 'bayledger_net_messages_dropped_total',
      help: 'Messages dropped "oldest first"\\ when a queue is full.\nPer peer.',
      labelNames: ['peer', 'protocol'],
    });
    let peers = 3;
    registry.gauge({ name: 'bayledger_peers', help: 'Connected peers.', collect: () => peers });
    const height = registry.gauge({ name: 'bayledger_height', help: 'Committed height.' });
    const latency = registry.histogram({
      name: 'bayledger_commit_latency_seconds',
      help: 'Commit latency.',
      buckets: [0.1, 0.5, 1],
    });
    committed.inc();
    committed.inc(2);
    dropped.inc(5, { peer: 'sz-"cac"\\\n', protocol: '/bayledger/consensus/1' });
    height.set(42);
    peers = 4;
    // 0.5 is exactly a bucket bound: `le` counts it in that bucket (Prometheus: less or equal).
    for (const seconds of [0.05, 0.2, 0.5, 0.7, 3]) latency.observe(seconds);

    const { samples, types } = parsePrometheusText(registry.render());
    assert.equal(types.get('bayledger_commit_latency_seconds'), 'histogram');
    assert.equal(types.get('bayledger_peers'), 'gauge');
    assert.equal(find(samples, 'bayledger_blocks_committed_total'), 3);
    assert.equal(
      find(samples, 'bayledger_net_messages_dropped_total', {
        peer: 'sz-"cac"\\\n',
        protocol: '/bayledger/consensus/1',
      }),
      5,
    );
    assert.equal(find(samples, 'bayledger_peers'), 4);
    assert.equal(find(samples, 'bayledger_height'), 42);
    assert.equal(find(samples, 'bayledger_commit_latency_seconds_bucket', { le: '0.1' }), 1);
    assert.equal(find(samples, 'bayledger_commit_latency_seconds_bucket', { le: '0.5' }), 3);
    assert.equal(find(samples, 'bayledger_commit_latency_seconds_bucket', { le: '1' }), 4);
    assert.equal(find(samples, 'bayledger_commit_latency_seconds_bucket', { le: '+Inf' }), 5);
    assert.equal(find(samples, 'bayledger_commit_latency_seconds_count'), 5);
    assert.ok(Math.abs(find(samples, 'bayledger_commit_latency_seconds_sum')! - 4.45) < 1e-9);
    assert.equal(
      samples.filter((sample) => sample.name === 'bayledger_commit_latency_seconds_bucket').length,
      4,
      'one line per bucket and +Inf',
    );
    assert.ok(
      samples.every((sample) => Number.isFinite(sample.value)),
      'no NaN',
    );
  });

  it('bounds the series of one metric and counts the samples it drops', () => {
    const registry = new MetricsRegistry();
    const perPeer = registry.counter({ name: 'per_peer_total', help: 'x', labelNames: ['peer'] });
    for (let i = 0; i < 1_500; i++) perPeer.inc(1, { peer: `p${i}` });
    // A histogram past its series bound drops the sample too (no throw).
    const perPeerSeconds = registry.histogram({
      name: 'per_peer_seconds',
      help: 'x',
      labelNames: ['peer'],
      buckets: [1],
    });
    for (let i = 0; i < 1_001; i++) perPeerSeconds.observe(0.5, { peer: `p${i}` });
    assert.equal(perPeerSeconds.count({ peer: 'p1000' }), 0);
    const { samples } = parsePrometheusText(registry.render());
    assert.equal(samples.filter((s) => s.name === 'per_peer_total').length, 1_000);
    assert.equal(find(samples, 'bayledger_metric_series_dropped_total'), 501);
  });

  it('a read of a series never written creates none and counts no drop', () => {
    const registry = new MetricsRegistry();
    const perPeer = registry.counter({ name: 'read_total', help: 'x', labelNames: ['peer'] });
    const seconds = registry.histogram({
      name: 'read_seconds',
      help: 'x',
      labelNames: ['peer'],
      buckets: [1],
    });
    assert.equal(perPeer.value({ peer: 'never' }), 0);
    assert.equal(seconds.count({ peer: 'never' }), 0);
    const { samples } = parsePrometheusText(registry.render());
    assert.deepEqual(
      samples.filter((sample) => sample.name.startsWith('read_')),
      [],
    );
    assert.equal(find(samples, 'bayledger_metric_series_dropped_total') ?? 0, 0);
  });

  it("reads a collected gauge's value from its collect function", () => {
    const registry = new MetricsRegistry();
    let peers = 2;
    const gauge = registry.gauge({ name: 'collected_peers', help: 'x', collect: () => peers });
    assert.equal(gauge.value(), 2);
    peers = 5;
    assert.equal(gauge.value(), 5);
  });

  it('refuses invalid names, duplicate registration, wrong labels and a decreasing counter', () => {
    const registry = new MetricsRegistry();
    assert.throws(() => registry.counter({ name: 'bad-name', help: 'x' }), /invalid metric name/);
    const counter = registry.counter({ name: 'ok_total', help: 'x', labelNames: ['a'] });
    assert.throws(() => registry.gauge({ name: 'ok_total', help: 'x' }), /registered twice/);
    assert.throws(() => counter.inc(1), /label a is missing/);
    assert.throws(() => counter.inc(1, { a: '1', b: '2' }), /unexpected labels/);
    assert.throws(() => counter.inc(-1, { a: '1' }), /only goes up/);
    assert.throws(() => registry.histogram({ name: 'h', help: 'x', buckets: [1, 1] }), /ascend/);
  });

  it('times with a histogram', () => {
    const registry = new MetricsRegistry();
    const timer = registry
      .histogram({ name: 'wal_fsync_seconds', help: 'x', buckets: [0.001, 1] })
      .startTimer();
    const seconds = timer();
    assert.ok(seconds >= 0);
    const { samples } = parsePrometheusText(registry.render());
    assert.equal(find(samples, 'wal_fsync_seconds_count'), 1);
  });
});
