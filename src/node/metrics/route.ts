// The /metrics route: the registry rendered in Prometheus text format, readable without a token
// (like every GET) so a local Prometheus can scrape it.
import type { ApiHandler, ApiServer } from '../api/index.js';
import type { MetricsRegistry } from './registry.js';
import { PROMETHEUS_CONTENT_TYPE } from './text-format.js';

export function metricsHandler(registry: MetricsRegistry): ApiHandler {
  return () => ({ contentType: PROMETHEUS_CONTENT_TYPE, body: registry.render() });
}

export function addMetricsRoute(
  server: Pick<ApiServer, 'route'>,
  registry: MetricsRegistry,
  path = '/metrics',
): void {
  server.route('GET', path, metricsHandler(registry));
}
