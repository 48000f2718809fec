// Reading one sample out of a node's /metrics text (Prometheus exposition format).

/** The value of the sample `name{labels}`, or undefined when the node does not export it. */
export function findMetric(metricsText: string, name: string, labels = ''): number | undefined {
  const line = metricsText.split('\n').find((candidate) => candidate.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}
