import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

// /metrics of a worker set: every worker's registry added up, metric by metric, as each metric's `aggregator`
// says (obs/metrics.ts): requests and connections sum, shared tables and the protection mode do not.

export function aggregateMetrics(perWorker: MetricObjectWithValues<MetricValue<string>>[][]): Promise<string> {
  return AggregatorRegistry.aggregate(perWorker).metrics();
}
