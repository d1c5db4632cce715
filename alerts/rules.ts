/**
 * The connect-sentinel alert rules, as data. `alerts/build.ts` renders them to the committed rule
 * files; tests and the end-to-end suite call `buildRules()` directly (e.g. with `forOverride: '0s'`).
 *
 * Joins match `on()` the scrape target (job, instance) and the identity of what is joined
 * (connect_cluster, connector, topic) rather than `ignoring()` the labels that differ: a label added
 * to one metric later cannot silently break a join, and two sidecars watching the same Connect
 * cluster never match each other's series.
 */
import { DEFAULT_RUNBOOK_BASE_URL, runbookUrl } from '../src/lib/runbook.js';

const ON_CLUSTER = 'on(job, instance, connect_cluster)';
const ON_CONNECTOR = 'on(job, instance, connect_cluster, connector)';
const ON_TOPIC = 'on(job, instance, connect_cluster, connector, topic)';
/**
 * "Any task of this connector": without instance, because in worker scope a connector's tasks are published by
 * the sidecars of the workers they run on, while its lag comes from the sidecar of its connector instance.
 */
const ON_CONNECTOR_ANY_SIDECAR = 'on(job, connect_cluster, connector)';

export const ALERT_NAMES = [
  'ConnectSentinelDown',
  'ConnectSentinelPollStale',
  'KafkaConnectRestUnreachable',
  'KafkaConnectKafkaUnreachable',
  'KafkaConnectConnectorFailed',
  'KafkaConnectTaskFailed',
  'KafkaConnectConnectorUnassigned',
  'KafkaConnectTaskUnassigned',
  'KafkaConnectTaskFlapping',
  'KafkaConnectDlqGrowing',
  'KafkaConnectDlqErrorRateHigh',
  'KafkaConnectRecordsSilentlyDropped',
  'KafkaConnectSinkLagGrowing',
  'KafkaConnectSinkStalled',
  'ConnectSentinelRestartBudgetExhausted',
  'ConnectSentinelRestartFailures',
  'ConnectSentinelNotificationsFailing',
] as const;

export type AlertName = (typeof ALERT_NAMES)[number];
export type Severity = 'critical' | 'warning' | 'info';

export interface RuleOptions {
  /** Label matchers added to every selector: `job="connect-sentinel"`, `job=~".*connect-sentinel.*"`, or "" for none. */
  jobSelector: string;
  /** Where docs/runbook.md is served from; each alert links to `<base>/docs/runbook.md#<alertname lowercased>`. */
  runbookBaseUrl: string;
  /** When set, replaces every alert's `for` (the end-to-end test loads the rules with a short one). */
  forOverride: string | undefined;
  /** Per-alert `for`, overriding the defaults below. */
  for: Partial<Record<AlertName, string>>;
  /** Per-alert severity, overriding the defaults below. */
  severity: Partial<Record<AlertName, Severity>>;
  /** Window of the rate() and increase() expressions that look at recent activity. */
  rateWindow: string;
  /** A source whose last successful poll is older than this (seconds) while it is not reported down is stale. */
  pollStaleSeconds: number;
  /** KafkaConnectDlqGrowing fires above this many DLQ records per second. */
  dlqGrowthRecordsPerSecond: number;
  /** KafkaConnectDlqErrorRateHigh fires above this many DLQ errors per second for one connector. */
  dlqErrorsPerSecond: number;
  /** KafkaConnectTaskFlapping fires when a task failed at least this often in the last hour. */
  taskFailuresPerHour: number;
  /** ConnectSentinelRestartFailures fires when this many restart requests failed in the last hour. */
  restartFailuresPerHour: number;
  /** KafkaConnectSinkLagGrowing ignores lag at or below this many records. */
  sinkLagMinRecords: number;
  /** KafkaConnectSinkStalled: no offset committed on the topic for this long... */
  stallWindow: string;
  /**
   * ...while its lag rose within this window at every evaluation of the alert's `for`: records keep arriving.
   * Shorter than that `for`, so one batch that stays as lag (its records parked in the DLQ) is not a stall.
   */
  stallArrivalWindow: string;
}

export const DEFAULT_RULE_OPTIONS: RuleOptions = {
  jobSelector: 'job="connect-sentinel"',
  runbookBaseUrl: DEFAULT_RUNBOOK_BASE_URL,
  forOverride: undefined,
  for: {},
  severity: {},
  rateWindow: '5m',
  pollStaleSeconds: 180,
  dlqGrowthRecordsPerSecond: 0,
  dlqErrorsPerSecond: 1,
  taskFailuresPerHour: 3,
  restartFailuresPerHour: 3,
  sinkLagMinRecords: 0,
  stallWindow: '10m',
  stallArrivalWindow: '3m',
};

export interface AlertingRule<Name extends string = AlertName> {
  alert: Name;
  expr: string;
  for: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertingRule[];
}

export interface RuleGroups {
  groups: RuleGroup[];
}

interface AlertSpec {
  alert: AlertName;
  for: string;
  severity: Severity;
  expr: string;
  summary: string;
  description: string;
}

interface GroupSpec {
  name: string;
  alerts: AlertSpec[];
}

export function buildRules(options: Partial<RuleOptions> = {}): RuleGroups {
  const o: RuleOptions = { ...DEFAULT_RULE_OPTIONS, ...options };
  return {
    groups: groupSpecs(o).map((g) => ({
      name: g.name,
      rules: g.alerts.map((a) => ({
        alert: a.alert,
        expr: a.expr,
        for: o.forOverride ?? o.for[a.alert] ?? a.for,
        labels: { severity: o.severity[a.alert] ?? a.severity },
        annotations: {
          summary: a.summary,
          description: a.description,
          runbook_url: runbookUrl(o.runbookBaseUrl, a.alert),
        },
      })),
    })),
  };
}

export { runbookUrl };

/** Go template that names where a series comes from; used in every description. */
const WHERE = {
  cluster: 'Connect cluster {{ $labels.connect_cluster }}',
  connector: 'connector {{ $labels.connector }} on Connect cluster {{ $labels.connect_cluster }}',
};

function groupSpecs(o: RuleOptions): GroupSpec[] {
  const sel = selectorBuilder(o.jobSelector);
  const w = o.rateWindow;
  // Each alert's default `for`, referenced in descriptions so the text states the real duration.
  const f = (alert: AlertName, dflt: string): string => o.forOverride ?? o.for[alert] ?? dflt;

  return [
    {
      name: 'connect-sentinel.sidecar',
      alerts: [
        {
          alert: 'ConnectSentinelDown',
          for: '5m',
          severity: 'critical',
          expr: `${sel('up')} == 0\nor\nabsent(${sel('up')})`,
          summary: 'connect-sentinel is not being scraped: Kafka Connect is unmonitored.',
          description:
            '{{ if $labels.instance }}The connect-sentinel target {{ $labels.instance }} (job {{ $labels.job }}) is down' +
            '{{ else }}Prometheus has no connect-sentinel target matching ' +
            escapeTemplate(o.jobSelector || 'the configured selector') +
            '{{ end }}. Every Kafka Connect alert is blind until it is back.',
        },
        {
          alert: 'ConnectSentinelPollStale',
          for: '2m',
          severity: 'warning',
          expr:
            `(\n  time() - ${sel('connect_sentinel_last_successful_poll_timestamp_seconds', 'source="connect"')} > ${o.pollStaleSeconds}\n` +
            `  unless ${ON_CLUSTER}\n  ${sel('kafka_connect_up')} == 0\n)\nor\n` +
            `(\n  time() - ${sel('connect_sentinel_last_successful_poll_timestamp_seconds', 'source="kafka"')} > ${o.pollStaleSeconds}\n` +
            `  unless ${ON_CLUSTER}\n  ${sel('kafka_connect_kafka_up')} == 0\n)`,
          summary: 'connect-sentinel has not finished a poll for too long.',
          description:
            `The last successful {{ $labels.source }} poll of ${WHERE.cluster} finished {{ $value | humanizeDuration }} ago, ` +
            'although the source is not reported down: the poller is stuck, so the kafka_connect_* series are old.',
        },
        {
          alert: 'ConnectSentinelRestartBudgetExhausted',
          for: '1m',
          severity: 'critical',
          expr: `${sel('connect_sentinel_restart_budget_exhausted')} == 1`,
          summary: 'connect-sentinel gave up restarting a connector that is still failing.',
          description:
            `connect-sentinel has spent its restart budget for ${WHERE.connector} and the connector is still failing. ` +
            'It will not restart it again until the budget resets; a human has to look.',
        },
        {
          alert: 'ConnectSentinelRestartFailures',
          for: '1m',
          severity: 'warning',
          expr: `increase(${sel('connect_sentinel_restart_failures_total')}[1h]) >= ${o.restartFailuresPerHour}`,
          summary: 'Kafka Connect keeps refusing the restarts connect-sentinel asks for.',
          description:
            `{{ $value | humanize }} restart requests for ${WHERE.connector} failed or were refused in the last hour ` +
            '(409 during rebalances, 404 for a deleted connector, 401/403 for bad credentials).',
        },
        {
          alert: 'ConnectSentinelNotificationsFailing',
          for: '5m',
          severity: 'warning',
          expr: `increase(${sel('connect_sentinel_notifications_total', 'outcome=~"failed|dropped"')}[1h]) > 0`,
          summary: 'Webhook notifications from connect-sentinel are not getting through.',
          description:
            `{{ $value | humanize }} webhook notifications of ${WHERE.cluster} ended {{ $labels.outcome }} in the last hour ` +
            '(failed: refused with a 4xx or every retry failed; dropped: pushed out of a full queue). ' +
            'Receivers are missing failure, recovery and restart events.',
        },
      ],
    },
    {
      name: 'kafka-connect.availability',
      alerts: [
        {
          alert: 'KafkaConnectRestUnreachable',
          for: '2m',
          severity: 'critical',
          expr: `${sel('kafka_connect_up')} == 0`,
          summary: 'The Kafka Connect REST API cannot be reached.',
          description:
            `connect-sentinel has failed to read the REST API of ${WHERE.cluster} for more than ${f('KafkaConnectRestUnreachable', '2m')}. ` +
            'Connector and task states are unknown; their series disappear after stale-after.',
        },
        {
          alert: 'KafkaConnectKafkaUnreachable',
          for: '5m',
          severity: 'warning',
          expr: `${sel('kafka_connect_kafka_up')} == 0`,
          summary: 'connect-sentinel cannot read offsets from the Kafka cluster behind Kafka Connect.',
          description:
            `connect-sentinel has failed to read topic and consumer group offsets for ${WHERE.cluster} for more than ${f('KafkaConnectKafkaUnreachable', '5m')}. ` +
            'DLQ and sink lag metrics (and their alerts) are blind.',
        },
      ],
    },
    {
      name: 'kafka-connect.connectors',
      alerts: [
        {
          alert: 'KafkaConnectConnectorFailed',
          for: '2m',
          severity: 'critical',
          expr: `${sel('kafka_connect_connector_state', 'state="FAILED"')} == 1`,
          summary: 'A Kafka Connect connector is FAILED.',
          description:
            `The ${WHERE.connector} has been FAILED for more than ${f('KafkaConnectConnectorFailed', '2m')}. ` +
            'Connect does not restart it by itself; the cause is the trace in GET /connectors/{{ $labels.connector }}/status.',
        },
        {
          alert: 'KafkaConnectTaskFailed',
          for: '2m',
          severity: 'critical',
          expr: `${sel('kafka_connect_task_state', 'state="FAILED"')} == 1`,
          summary: 'A Kafka Connect task is FAILED.',
          description:
            `Task {{ $labels.task }} of ${WHERE.connector} has been FAILED for more than ${f('KafkaConnectTaskFailed', '2m')}` +
            '{{ with printf "kafka_connect_task_info{job=%q, connect_cluster=%q, connector=%q, task=%q}" $labels.job $labels.connect_cluster $labels.connector $labels.task | query }}' +
            ' (worker {{ . | first | label "worker_id" }}){{ end }}. ' +
            'Connect never restarts a failed task by itself; the cause is the trace in GET /connectors/{{ $labels.connector }}/status.',
        },
        {
          alert: 'KafkaConnectConnectorUnassigned',
          for: '10m',
          severity: 'warning',
          expr:
            `${sel('kafka_connect_connector_state', 'state="UNASSIGNED"')} == 1\nor\n` +
            `(\n  ${sel('kafka_connect_connector_state', 'state="RUNNING"')} == 1\n` +
            `  and ${ON_CONNECTOR}\n  ${sel('kafka_connect_connector_tasks')} == 0\n)`,
          summary: 'A Kafka Connect connector is not doing any work: UNASSIGNED, or RUNNING without tasks.',
          description:
            `The ${WHERE.connector} ` +
            '{{ if eq $labels.state "UNASSIGNED" }}has been UNASSIGNED (no worker runs it){{ else }}has been RUNNING with 0 tasks{{ end }}' +
            ` for more than ${f('KafkaConnectConnectorUnassigned', '10m')}, longer than a rebalance should take.`,
        },
        {
          alert: 'KafkaConnectTaskUnassigned',
          for: '10m',
          severity: 'warning',
          expr: `${sel('kafka_connect_task_state', 'state="UNASSIGNED"')} == 1`,
          summary: 'A Kafka Connect task has no worker.',
          description:
            `Task {{ $labels.task }} of ${WHERE.connector} has been UNASSIGNED for more than ${f('KafkaConnectTaskUnassigned', '10m')}, ` +
            'longer than a rebalance (and scheduled.rebalance.max.delay.ms) should take.',
        },
        {
          alert: 'KafkaConnectTaskFlapping',
          for: '1m',
          severity: 'warning',
          expr: `increase(${sel('kafka_connect_task_failures_total')}[1h]) >= ${o.taskFailuresPerHour}`,
          summary: 'A Kafka Connect task keeps failing.',
          description:
            `Task {{ $labels.task }} of ${WHERE.connector} went FAILED {{ $value | humanize }} times in the last hour: ` +
            'restarts do not fix its cause.',
        },
      ],
    },
    {
      name: 'kafka-connect.dlq',
      alerts: [
        {
          alert: 'KafkaConnectDlqGrowing',
          for: '10m',
          severity: 'warning',
          expr: `rate(${sel('kafka_connect_dlq_records_written_total')}[${w}]) > ${o.dlqGrowthRecordsPerSecond}`,
          summary: 'A Kafka Connect connector keeps writing records to its dead letter queue.',
          description:
            `The ${WHERE.connector} has been writing {{ printf "%.2f" $value }} records/s to its dead letter queue {{ $labels.topic }} ` +
            `for more than ${f('KafkaConnectDlqGrowing', '10m')}: those records are not reaching their destination.`,
        },
        {
          alert: 'KafkaConnectDlqErrorRateHigh',
          for: '5m',
          severity: 'critical',
          expr: `sum without (stage, exception_class) (\n  rate(${sel('kafka_connect_dlq_errors_total')}[${w}])\n) > ${o.dlqErrorsPerSecond}`,
          summary: 'A Kafka Connect connector is sending many records to its dead letter queue.',
          description:
            `The ${WHERE.connector} sends {{ printf "%.2f" $value }} errant records/s to its dead letter queue {{ $labels.topic }}` +
            ` (threshold ${o.dlqErrorsPerSecond}/s).` +
            `{{ with printf "topk(1, sum by (stage, exception_class) (rate(kafka_connect_dlq_errors_total{job=%q, connect_cluster=%q, connector=%q}[${w}])))" $labels.job $labels.connect_cluster $labels.connector | query }}` +
            ' Most fail in stage {{ . | first | label "stage" }} with {{ . | first | label "exception_class" }}.{{ end }}',
        },
        {
          alert: 'KafkaConnectRecordsSilentlyDropped',
          for: '5m',
          severity: 'warning',
          expr: `${sel('kafka_connect_connector_error_handling_info', 'errors_tolerance="all", dlq_topic="", errors_log_enable="false"')} == 1`,
          summary: 'A Kafka Connect connector drops bad records without a trace.',
          description:
            `The ${WHERE.connector} has errors.tolerance=all, no dead letter queue and errors.log.enable=false: ` +
            'records that fail conversion or transformation are skipped and recorded nowhere.',
        },
      ],
    },
    {
      name: 'kafka-connect.sink-lag',
      alerts: [
        {
          alert: 'KafkaConnectSinkLagGrowing',
          for: '15m',
          severity: 'warning',
          expr:
            `deriv(${sel('kafka_connect_sink_lag_records')}[15m]) > 0\n` +
            `and ${ON_TOPIC}\n${sel('kafka_connect_sink_lag_records')} > ${o.sinkLagMinRecords}\n` +
            `unless ${ON_CONNECTOR}\n${sel('kafka_connect_connector_state', 'state=~"PAUSED|STOPPED|FAILED"')} == 1\n` +
            `unless ${ON_CONNECTOR_ANY_SIDECAR}\n${sel('kafka_connect_task_state', 'state="FAILED"')} == 1`,
          summary: 'A Kafka Connect sink connector is falling behind.',
          description:
            `The lag of ${WHERE.connector} on topic {{ $labels.topic }} has been growing ` +
            `for more than ${f('KafkaConnectSinkLagGrowing', '15m')} (by {{ printf "%.2f" $value }} records/s): it consumes slower than producers write.`,
        },
        {
          alert: 'KafkaConnectSinkStalled',
          for: '5m',
          severity: 'critical',
          expr:
            `${sel('kafka_connect_sink_lag_records')} > 0\n` +
            `and ${ON_TOPIC}\nincrease(${sel('kafka_connect_sink_committed_offsets_total')}[${o.stallWindow}]) == 0\n` +
            `and ${ON_TOPIC}\ndelta(${sel('kafka_connect_sink_lag_records')}[${o.stallArrivalWindow}]) > 0\n` +
            `and ${ON_CONNECTOR}\n${sel('kafka_connect_connector_state', 'state="RUNNING"')} == 1\n` +
            `unless ${ON_CONNECTOR_ANY_SIDECAR}\n${sel('kafka_connect_task_state', 'state="FAILED"')} == 1`,
          summary: 'A RUNNING Kafka Connect sink connector does not consume the records that keep arriving.',
          description:
            `The ${WHERE.connector} is RUNNING with {{ $value | humanize }} records of lag on topic {{ $labels.topic }}: ` +
            `records kept arriving (the lag rose within every ${o.stallArrivalWindow} for ${f('KafkaConnectSinkStalled', '5m')}), ` +
            `but its consumer group has committed no offset on that topic for more than ${o.stallWindow}.`,
        },
      ],
    },
  ];
}

/** Returns `sel(metric, extra)` = `metric{<jobSelector>, <extra>}`, or the bare name when both are empty. */
export function selectorBuilder(jobSelector: string): (metric: string, extra?: string) => string {
  return (metric, extra) => {
    const matchers = [jobSelector, extra ?? ''].filter((m) => m.trim() !== '').join(', ');
    return matchers === '' ? metric : `${metric}{${matchers}}`;
  };
}

/** Prints text verbatim from a Go template (a raw string literal, so quotes and backslashes need no escaping). */
function escapeTemplate(text: string): string {
  return `{{ \`${text.replace(/`/g, '')}\` }}`;
}
