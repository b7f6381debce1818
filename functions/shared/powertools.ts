import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { DrillState } from '#core/state.ts';

/**
 * The service name on every log line, metric and trace. template.yaml sets the same value in
 * `POWERTOOLS_SERVICE_NAME`, and its alarms read metrics by it, so it is fixed here rather than
 * left to a default.
 */
export const SERVICE_NAME = 'restore-drill';

/** The CloudWatch namespace of the drill's own metrics; template.yaml's alarms read it. */
export const METRICS_NAMESPACE = 'RestoreDrill';

/** Emitted once per finished drill (any verdict), with a `verdict` dimension. */
export const DRILL_COMPLETED_METRIC = 'DrillCompleted';

/** Structured JSON logs with the Lambda context on each line. */
export const logger = new Logger({ serviceName: SERVICE_NAME });

/** Embedded-metric-format metrics, flushed by the `logMetrics` middleware after each invocation. */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** X-Ray segments for each invocation and each AWS SDK call. */
export const tracer = new Tracer({ serviceName: SERVICE_NAME });

/**
 * Counts a finished drill under its verdict. It is a metric of its own (service and verdict
 * dimensions only) so that an alarm can sum it per hour and page when no drill finished at all:
 * the drill that silently stopped running.
 */
export function recordVerdict(state: DrillState): void {
  if (!state.verdict) throw new TypeError('PublishReport returned a drill state without a verdict');
  const metric = metrics.singleMetric();
  metric.addDimension('verdict', state.verdict);
  metric.addMetric(DRILL_COMPLETED_METRIC, MetricUnit.Count, 1);
}
