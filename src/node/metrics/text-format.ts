// Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format):
// `# HELP`, `# TYPE`, then one `name{label="value"} number` line per series.

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export const METRIC_NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Label names starting with "__" are reserved for Prometheus itself. */
export const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export type Labels = Readonly<Record<string, string>>;

/** HELP text escapes backslash and newline. */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Label values escape backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Go's ParseFloat spellings for the infinities; everything else, NaN included ('NaN' is Go's
 * spelling too), is JavaScript's shortest form.
 */
export function formatSampleValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

export function formatLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  const pairs = names.map((name, i) => `${name}="${escapeLabelValue(values[i]!)}"`);
  return `{${pairs.join(',')}}`;
}

export function formatSample(
  name: string,
  labelNames: readonly string[],
  labelValues: readonly string[],
  value: number,
): string {
  return `${name}${formatLabels(labelNames, labelValues)} ${formatSampleValue(value)}`;
}
