/**
 * The optional rule group for Connect workers scraped through the JMX exporter with
 * deploy/jmx/kafka-connect.yml (docs/jmx.md). `alerts/build.ts` renders it to its own files, so
 * users without the JMX exporter load only the sidecar's rules.
 *
 * JMX series come from the workers' scrape job, the sidecar's from its own: joins between the two
 * match on (connect_cluster, connector[, task]) only, which is why the JMX scrape must carry the
 * sidecar's connect_cluster label. Each side is aggregated to exactly those labels first, so a task
 * that moved between workers, or two sidecars watching one cluster, never make a join ambiguous.
 */
import {
  DEFAULT_RULE_OPTIONS,
  runbookUrl,
  selectorBuilder,
  type AlertingRule,
  type RuleOptions,
  type Severity,
} from './rules.js';

export const JMX_ALERT_NAMES = [
  'KafkaConnectRecordErrorRateHigh',
  'KafkaConnectRecordsSkippedWithoutDlq',
  'KafkaConnectDlqProduceFailing',
  'KafkaConnectRebalanceStorm',
] as const;

export type JmxAlertName = (typeof JMX_ALERT_NAMES)[number];

/** JMX task record errors per second (5m), per task, with the task's state from the sidecar. */
export const TASK_RECORD_ERRORS_RECORD = 'kafka_connect_task:jmx_record_errors:rate5m';

export interface JmxRuleOptions extends Pick<
  RuleOptions,
  'jobSelector' | 'runbookBaseUrl' | 'forOverride' | 'rateWindow'
> {
  /** Label matchers selecting the workers' JMX exporter scrape job; "" for none. */
  jmxJobSelector: string;
  for: Partial<Record<JmxAlertName, string>>;
  severity: Partial<Record<JmxAlertName, Severity>>;
  /** KafkaConnectRecordErrorRateHigh fires above this many record errors per second for one connector. */
  recordErrorsPerSecond: number;
  /** KafkaConnectRebalanceStorm fires when a worker completed at least this many rebalances in 15 minutes. */
  rebalancesPer15m: number;
}

export const DEFAULT_JMX_RULE_OPTIONS: JmxRuleOptions = {
  jobSelector: DEFAULT_RULE_OPTIONS.jobSelector,
  runbookBaseUrl: DEFAULT_RULE_OPTIONS.runbookBaseUrl,
  forOverride: undefined,
  rateWindow: DEFAULT_RULE_OPTIONS.rateWindow,
  jmxJobSelector: 'job="kafka-connect"',
  for: {},
  severity: {},
  recordErrorsPerSecond: 1,
  rebalancesPer15m: 4,
};

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface JmxRuleGroup {
  name: string;
  rules: (RecordingRule | AlertingRule<JmxAlertName>)[];
}

export interface JmxRuleGroups {
  groups: JmxRuleGroup[];
}

export const JMX_GROUP_NAME = 'kafka-connect.jmx';

const BY_CONNECTOR = 'connect_cluster, connector';
const BY_TASK = 'connect_cluster, connector, task';

export function buildJmxRules(options: Partial<JmxRuleOptions> = {}): JmxRuleGroups {
  const o: JmxRuleOptions = { ...DEFAULT_JMX_RULE_OPTIONS, ...options };
  const jmx = selectorBuilder(o.jmxJobSelector);
  const sidecar = selectorBuilder(o.jobSelector);
  const w = o.rateWindow;
  const forOf = (alert: JmxAlertName, dflt: string): string => o.forOverride ?? o.for[alert] ?? dflt;
  const alert = (
    name: JmxAlertName,
    spec: { for: string; severity: Severity; expr: string; summary: string; description: string },
  ): AlertingRule<JmxAlertName> => ({
    alert: name,
    expr: spec.expr,
    for: forOf(name, spec.for),
    labels: { severity: o.severity[name] ?? spec.severity },
    annotations: {
      summary: spec.summary,
      description: spec.description,
      runbook_url: runbookUrl(o.runbookBaseUrl, name),
    },
  });
  const connector = 'connector {{ $labels.connector }} on Connect cluster {{ $labels.connect_cluster }}';

  return {
    groups: [
      {
        name: JMX_GROUP_NAME,
        rules: [
          {
            record: TASK_RECORD_ERRORS_RECORD,
            // The recorded series keep the rate a task had, under the state the sidecar reported,
            // after the worker removed the task's MBeans (a FAILED task that was restarted or moved).
            expr:
              `sum by (${BY_TASK}) (\n  rate(${jmx('kafka_connect_jmx_task_record_errors_total')}[5m])\n)\n` +
              `* on(${BY_TASK}) group_left(state)\n` +
              `topk by (${BY_TASK}) (1, ${sidecar('kafka_connect_task_state')} == 1)`,
          },
          alert('KafkaConnectRecordErrorRateHigh', {
            for: '5m',
            severity: 'warning',
            expr: `sum by (${BY_CONNECTOR}) (\n  rate(${jmx('kafka_connect_jmx_task_record_errors_total')}[${w}])\n) > ${o.recordErrorsPerSecond}`,
            summary: 'A Kafka Connect connector fails to process many records.',
            description:
              `The tasks of ${connector} fail {{ printf "%.2f" $value }} records/s after all retries ` +
              `(threshold ${o.recordErrorsPerSecond}/s, JMX task-error-metrics total-record-errors). ` +
              'With errors.tolerance=all they are skipped, to the DLQ if one is configured; with none, the task fails.',
          }),
          alert('KafkaConnectRecordsSkippedWithoutDlq', {
            for: '1m',
            severity: 'critical',
            expr:
              `sum by (${BY_CONNECTOR}) (\n  rate(${jmx('kafka_connect_jmx_task_records_skipped_total')}[${w}])\n) > 0\n` +
              `and on(${BY_CONNECTOR})\n` +
              `max by (${BY_CONNECTOR}) (\n  ${sidecar('kafka_connect_connector_error_handling_info', 'dlq_topic=""')}\n)`,
            summary:
              'A Kafka Connect connector is losing records: it skips them and has no dead letter queue.',
            description:
              `The tasks of ${connector} skip {{ printf "%.2f" $value }} records/s (errors.tolerance=all) and the connector has no dead letter queue: ` +
              'those records are not written anywhere' +
              `{{ with printf "kafka_connect_connector_error_handling_info{connect_cluster=%q, connector=%q, errors_log_enable=\\"true\\"}" $labels.connect_cluster $labels.connector | query }}` +
              ' but the worker log (errors.log.enable=true){{ end }}.',
          }),
          alert('KafkaConnectDlqProduceFailing', {
            for: '1m',
            severity: 'critical',
            expr: `sum by (${BY_CONNECTOR}) (\n  increase(${jmx('kafka_connect_jmx_task_dlq_produce_failures_total')}[${w}])\n) > 0`,
            summary: 'A Kafka Connect connector cannot write to its dead letter queue.',
            description:
              `{{ $value | humanize }} writes of ${connector} to its dead letter queue failed in the last ${w}: ` +
              'those records were skipped and are lost. The worker log has the producer error.',
          }),
          alert('KafkaConnectRebalanceStorm', {
            for: '15m',
            severity: 'warning',
            expr: `max by (connect_cluster) (\n  increase(${jmx('kafka_connect_jmx_worker_rebalances_completed_total')}[15m])\n) >= ${o.rebalancesPer15m}`,
            summary: 'A Kafka Connect cluster keeps rebalancing.',
            description:
              'Workers of Connect cluster {{ $labels.connect_cluster }} completed {{ $value | humanize }} rebalances in the last 15 minutes, ' +
              `for more than ${forOf('KafkaConnectRebalanceStorm', '15m')}: tasks stop and restart with each one.`,
          }),
        ],
      },
    ],
  };
}
