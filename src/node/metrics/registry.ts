// A dependency-free Prometheus registry: counters, gauges and histograms with fixed buckets,
// rendered in text format 0.0.4 for the API's /metrics route (design section 10). Series are keyed
// by their label values; the number of series per metric is bounded so a label fed from peer
// input can never grow memory without limit.
import { assert } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import {
  escapeHelp,
  formatSample,
  LABEL_NAME_PATTERN,
  type Labels,
  METRIC_NAME_PATTERN,
} from './text-format.js';

export interface MetricOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

interface Metric {
  readonly name: string;
  render(lines: string[]): void;
}

/** Series storage shared by the three kinds: label values joined with a separator as the map key. */
class SeriesTable<T> {
  readonly #labelNames: readonly string[];
  readonly #series = new Map<string, { values: string[]; state: T }>();
  readonly #create: () => T;
  readonly #onDropped: () => void;

  constructor(labelNames: readonly string[], create: () => T, onDropped: () => void) {
    this.#labelNames = labelNames;
    this.#create = create;
    this.#onDropped = onDropped;
  }

  /** The state of one series, or undefined when the series limit is reached (the sample is dropped). */
  get(labels: Labels | undefined): T | undefined {
    const values = this.#valuesOf(labels);
    const key = values.join('\u0000');
    const found = this.#series.get(key);
    if (found !== undefined) return found.state;
    if (this.#series.size >= LIMITS.maxMetricSeries) {
      this.#onDropped();
      return undefined;
    }
    const state = this.#create();
    this.#series.set(key, { values, state });
    return state;
  }

  /** The state of one series if it exists: a read neither creates a series nor counts a drop. */
  peek(labels: Labels | undefined): T | undefined {
    return this.#series.get(this.#valuesOf(labels).join('\u0000'))?.state;
  }

  #valuesOf(labels: Labels | undefined): string[] {
    const values = this.#labelNames.map((name) => {
      const value = labels?.[name];
      assert(typeof value === 'string', `metric label ${name} is missing`);
      return value;
    });
    assert(Object.keys(labels ?? {}).length === this.#labelNames.length, 'metric has unexpected labels');
    return values;
  }

  entries(): Iterable<{ values: string[]; state: T }> {
    return this.#series.values();
  }
}

function checkOptions(options: MetricOptions): readonly string[] {
  assert(METRIC_NAME_PATTERN.test(options.name), `invalid metric name ${options.name}`);
  const labelNames = options.labelNames ?? [];
  for (const label of labelNames) {
    assert(LABEL_NAME_PATTERN.test(label) && !label.startsWith('__'), `invalid label name ${label}`);
    assert(label !== 'le', 'the label name le is reserved for histogram buckets');
  }
  return labelNames;
}

export class Counter implements Metric {
  readonly name: string;
  readonly #help: string;
  readonly #labelNames: readonly string[];
  readonly #table: SeriesTable<{ value: number }>;

  constructor(options: MetricOptions, onDropped: () => void) {
    this.#labelNames = checkOptions(options);
    this.name = options.name;
    this.#help = options.help;
    this.#table = new SeriesTable(this.#labelNames, () => ({ value: 0 }), onDropped);
  }

  inc(amount = 1, labels?: Labels): void {
    assert(amount >= 0 && Number.isFinite(amount), 'a counter only goes up');
    const series = this.#table.get(labels);
    if (series) series.value += amount;
  }

  value(labels?: Labels): number {
    return this.#table.peek(labels)?.value ?? 0;
  }

  render(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${escapeHelp(this.#help)}`, `# TYPE ${this.name} counter`);
    for (const { values, state } of this.#table.entries()) {
      lines.push(formatSample(this.name, this.#labelNames, values, state.value));
    }
  }
}

export interface GaugeOptions extends MetricOptions {
  /** Read the value when rendering (for numbers owned elsewhere: peers, mempool size). Unlabelled only. */
  readonly collect?: () => number;
}

export class Gauge implements Metric {
  readonly name: string;
  readonly #help: string;
  readonly #labelNames: readonly string[];
  readonly #table: SeriesTable<{ value: number }>;
  readonly #collect: (() => number) | undefined;

  constructor(options: GaugeOptions, onDropped: () => void) {
    this.#labelNames = checkOptions(options);
    assert(options.collect === undefined || this.#labelNames.length === 0, 'a collected gauge has no labels');
    this.name = options.name;
    this.#help = options.help;
    this.#collect = options.collect;
    this.#table = new SeriesTable(this.#labelNames, () => ({ value: 0 }), onDropped);
  }

  set(value: number, labels?: Labels): void {
    const series = this.#table.get(labels);
    if (series) series.value = value;
  }

  inc(amount = 1, labels?: Labels): void {
    const series = this.#table.get(labels);
    if (series) series.value += amount;
  }

  dec(amount = 1, labels?: Labels): void {
    this.inc(-amount, labels);
  }

  value(labels?: Labels): number {
    if (this.#collect) return this.#collect();
    return this.#table.peek(labels)?.value ?? 0;
  }

  render(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${escapeHelp(this.#help)}`, `# TYPE ${this.name} gauge`);
    if (this.#collect) {
      lines.push(formatSample(this.name, [], [], this.#collect()));
      return;
    }
    for (const { values, state } of this.#table.entries()) {
      lines.push(formatSample(this.name, this.#labelNames, values, state.value));
    }
  }
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds of the buckets, ascending and finite; +Inf is added. */
  readonly buckets: readonly number[];
}

/** Default buckets for durations in seconds, 1 ms to 10 s. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

interface HistogramState {
  readonly bucketCounts: number[];
  sum: number;
  count: number;
}

export class Histogram implements Metric {
  readonly name: string;
  readonly #help: string;
  readonly #labelNames: readonly string[];
  readonly #buckets: readonly number[];
  readonly #table: SeriesTable<HistogramState>;

  constructor(options: HistogramOptions, onDropped: () => void) {
    this.#labelNames = checkOptions(options);
    const buckets = options.buckets;
    assert(buckets.length > 0, 'a histogram needs at least one bucket');
    for (let i = 0; i < buckets.length; i++) {
      assert(Number.isFinite(buckets[i]), 'histogram buckets are finite (+Inf is implied)');
      assert(i === 0 || buckets[i]! > buckets[i - 1]!, 'histogram buckets ascend strictly');
    }
    this.name = options.name;
    this.#help = options.help;
    this.#buckets = [...buckets];
    this.#table = new SeriesTable(
      this.#labelNames,
      () => ({ bucketCounts: new Array<number>(buckets.length).fill(0), sum: 0, count: 0 }),
      onDropped,
    );
  }

  observe(value: number, labels?: Labels): void {
    const series = this.#table.get(labels);
    if (!series) return;
    // Buckets are cumulative in the output; store per-bucket counts and sum them when rendering.
    const index = this.#buckets.findIndex((bound) => value <= bound);
    if (index >= 0) series.bucketCounts[index]! += 1;
    series.sum += value;
    series.count += 1;
  }

  /** Starts a timer; calling the result observes the elapsed seconds. */
  startTimer(labels?: Labels): () => number {
    const startedMs = performance.now();
    return () => {
      const seconds = (performance.now() - startedMs) / 1000;
      this.observe(seconds, labels);
      return seconds;
    };
  }

  count(labels?: Labels): number {
    return this.#table.peek(labels)?.count ?? 0;
  }

  render(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${escapeHelp(this.#help)}`, `# TYPE ${this.name} histogram`);
    const bucketLabelNames = [...this.#labelNames, 'le'];
    for (const { values, state } of this.#table.entries()) {
      let cumulative = 0;
      for (let i = 0; i < this.#buckets.length; i++) {
        cumulative += state.bucketCounts[i]!;
        lines.push(
          formatSample(
            `${this.name}_bucket`,
            bucketLabelNames,
            [...values, String(this.#buckets[i])],
            cumulative,
          ),
        );
      }
      lines.push(formatSample(`${this.name}_bucket`, bucketLabelNames, [...values, '+Inf'], state.count));
      lines.push(formatSample(`${this.name}_sum`, this.#labelNames, values, state.sum));
      lines.push(formatSample(`${this.name}_count`, this.#labelNames, values, state.count));
    }
  }
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();
  readonly #droppedSeries: Counter;

  constructor() {
    this.#droppedSeries = this.counter({
      name: 'bayledger_metric_series_dropped_total',
      help: 'Samples dropped because a metric reached its series limit (a label with too many values).',
    });
  }

  #add<M extends Metric>(metric: M): M {
    assert(!this.#metrics.has(metric.name), `metric ${metric.name} is registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  #onDropped = (): void => {
    this.#droppedSeries.inc();
  };

  counter(options: MetricOptions): Counter {
    return this.#add(new Counter(options, this.#onDropped));
  }

  gauge(options: GaugeOptions): Gauge {
    return this.#add(new Gauge(options, this.#onDropped));
  }

  histogram(options: HistogramOptions): Histogram {
    return this.#add(new Histogram(options, this.#onDropped));
  }

  /** The whole registry in text format 0.0.4, ending with a newline. */
  render(): string {
    const lines: string[] = [];
    for (const metric of this.#metrics.values()) metric.render(lines);
    return `${lines.join('\n')}\n`;
  }
}
