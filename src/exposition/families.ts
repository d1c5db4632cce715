import { formatValue } from './text.js';

/**
 * Every metric family connect-sentinel exposes, in exposition order. docs/metrics.md is checked against
 * this list by a test, so a family added here without docs fails the build.
 */
export interface FamilyDef {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  /** Labels besides connect_cluster. */
  readonly labels: readonly string[];
  /** False only for build info, which describes the process, not a cluster. */
  readonly perCluster: boolean;
}

const f = <const N extends string, const L extends readonly string[]>(
  name: N,
  type: FamilyDef['type'],
  labels: L,
  help: string,
  perCluster = true,
) => ({ name, type, labels, help, perCluster }) satisfies FamilyDef;

export const FAMILIES = [
  f('kafka_connect_up', 'gauge', [], '1 if the latest poll of the Connect REST API succeeded.'),
  f(
    'kafka_connect_info',
    'gauge',
    ['version', 'commit', 'kafka_cluster_id'],
    'Connect worker version, from GET /.',
  ),
  f(
    'kafka_connect_connector_info',
    'gauge',
    ['connector', 'connector_type', 'connector_class', 'worker_id'],
    'Static facts of a connector; always 1.',
  ),
  f(
    'kafka_connect_connector_state',
    'gauge',
    ['connector', 'state'],
    'Connector state: 1 for the state it is in (with --exposition.state-sets, also 0 for each other state).',
  ),
  f('kafka_connect_connector_tasks', 'gauge', ['connector'], 'Number of tasks the connector reports.'),
  f(
    'kafka_connect_connector_failures_total',
    'counter',
    ['connector'],
    'Observed transitions of the connector into FAILED.',
  ),
  f(
    'kafka_connect_task_state',
    'gauge',
    ['connector', 'task', 'state'],
    'Task state: 1 for the state it is in (with --exposition.state-sets, also 0 for each other state).',
  ),
  f(
    'kafka_connect_task_info',
    'gauge',
    ['connector', 'task', 'worker_id'],
    'Worker running the task; always 1.',
  ),
  f(
    'kafka_connect_task_failures_total',
    'counter',
    ['connector', 'task'],
    'Observed transitions of the task into FAILED.',
  ),
  f(
    'kafka_connect_connector_error_handling_info',
    'gauge',
    ['connector', 'errors_tolerance', 'errors_log_enable', 'dlq_topic', 'dlq_context_headers'],
    'Error-handling configuration of the connector with Connect defaults applied; always 1.',
  ),
  f('kafka_connect_kafka_up', 'gauge', [], '1 if the latest read of offsets from Kafka succeeded.'),
  f(
    'kafka_connect_dlq_records',
    'gauge',
    ['connector', 'topic'],
    'Records retained in the dead letter queue topic (sum over partitions of end - start offset).',
  ),
  f(
    'kafka_connect_dlq_records_written_total',
    'counter',
    ['connector', 'topic'],
    'Records ever written to the dead letter queue topic (sum over partitions of the end offset).',
  ),
  f(
    'kafka_connect_dlq_errors_total',
    'counter',
    ['connector', 'topic', 'stage', 'exception_class'],
    'Dead letter queue records read since start, by error stage and exception class.',
  ),
  f(
    'kafka_connect_dlq_last_record_timestamp_seconds',
    'gauge',
    ['connector', 'topic'],
    'Timestamp of the newest dead letter queue record read.',
  ),
  f(
    'kafka_connect_sink_lag_records',
    'gauge',
    ['connector', 'topic'],
    "Sum over partitions of end offset - committed offset of the sink connector's consumer group.",
  ),
  f(
    'kafka_connect_sink_committed_offsets_total',
    'counter',
    ['connector', 'topic'],
    "Sum over partitions of the sink connector's committed offsets; flat while the lag rises means stalled, flat lag alone does not.",
  ),
  f(
    'connect_sentinel_build_info',
    'gauge',
    ['version', 'revision', 'nodejs_version'],
    'connect-sentinel build; always 1.',
    false,
  ),
  f(
    'connect_sentinel_poll_duration_seconds',
    'gauge',
    ['source'],
    'Duration of the latest poll of the source.',
  ),
  f('connect_sentinel_poll_errors_total', 'counter', ['source'], 'Failed polls of the source.'),
  f(
    'connect_sentinel_last_successful_poll_timestamp_seconds',
    'gauge',
    ['source'],
    'Time of the latest successful poll of the source.',
  ),
  f(
    'connect_sentinel_status_follower_up',
    'gauge',
    [],
    "1 while Connect's status topic is read to its end and followed; 0 when the sidecar runs on the REST poll alone.",
  ),
  f('connect_sentinel_status_topic_info', 'gauge', ['topic'], 'The status topic followed; always 1.'),
  f(
    'connect_sentinel_status_events_total',
    'counter',
    [],
    'Connector and task status records read from the status topic (tombstones included).',
  ),
  f(
    'connect_sentinel_status_records_skipped_total',
    'counter',
    [],
    'Records of the status topic skipped as unparsable.',
  ),
  f(
    'connect_sentinel_status_last_event_timestamp_seconds',
    'gauge',
    [],
    'Timestamp the worker gave the newest status record read.',
  ),
  f(
    'connect_sentinel_status_lag_records',
    'gauge',
    [],
    'Records of the status topic not read yet, summed over partitions.',
  ),
  f(
    'connect_sentinel_restart_attempts_total',
    'counter',
    ['connector'],
    'Restarts connect-sentinel asked Connect for.',
  ),
  f(
    'connect_sentinel_restart_failures_total',
    'counter',
    ['connector'],
    'Restart requests Connect refused or that failed.',
  ),
  f(
    'connect_sentinel_restart_conflicts_total',
    'counter',
    ['connector'],
    'Restart requests Connect answered 409 (rebalance or stale config); retried after the backoff.',
  ),
  f(
    'connect_sentinel_restart_budget_exhausted',
    'gauge',
    ['connector'],
    '1 while the restart budget is spent and the connector is still failing.',
  ),
  f(
    'connect_sentinel_notifications_total',
    'counter',
    ['outcome'],
    "Webhook notifications of the cluster's events by outcome (delivered, failed, dropped), summed over receivers.",
  ),
] as const satisfies readonly FamilyDef[];

export type FamilyName = (typeof FAMILIES)[number]['name'];

type Family<F extends FamilyName> = Extract<(typeof FAMILIES)[number], { name: F }>;

/** One escaped value per label of the family, in the family's order (connect_cluster apart). */
export type LabelValues<F extends FamilyName> = StringsFor<Family<F>['labels']>;
type StringsFor<L extends readonly string[]> = { readonly [K in keyof L]: string };

/**
 * The one way a sample line is written: the label names come from the family's definition above, so a
 * renderer cannot add, drop or misspell a label (the value tuple must match the definition's length).
 * Values must already be escaped (escapeLabelValue); escaping once per connector is cheaper than per line.
 */
export function sampleFormat<F extends FamilyName>(
  family: F,
): (escapedCluster: string, escapedValues: LabelValues<F>, value: number) => string {
  const def = FAMILIES.find((d) => d.name === family) as Family<F>;
  const names: readonly string[] = def.labels;
  const head = def.perCluster ? `${family}{connect_cluster="` : `${family}{`;
  const mids = names.map((n, i) => (i === 0 && !def.perCluster ? `${n}="` : `",${n}="`));
  const close = names.length === 0 && !def.perCluster ? '} ' : '"} ';
  return (cluster, values, value) => {
    let line = def.perCluster ? head + cluster : head;
    for (let i = 0; i < mids.length; i++) line += (mids[i] as string) + (values[i] as string);
    return `${line}${close}${formatValue(value)}\n`;
  };
}
