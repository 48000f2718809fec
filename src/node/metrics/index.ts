export {
  Counter,
  DURATION_BUCKETS_SECONDS,
  Gauge,
  type GaugeOptions,
  Histogram,
  type HistogramOptions,
  type MetricOptions,
  MetricsRegistry,
} from './registry.js';
export { addMetricsRoute, metricsHandler } from './route.js';
export { type Labels, PROMETHEUS_CONTENT_TYPE } from './text-format.js';
