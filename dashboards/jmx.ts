/**
 * Rows for the series of workers scraped through the JMX exporter with deploy/jmx/kafka-connect.yml
 * (docs/jmx.md), one set per dashboard. Without those series every panel says how to get them rather
 * than Grafana's bare "No data".
 */
import { TASK_RECORD_ERRORS_RECORD } from '../alerts/jmx-rules.js';
import { CLUSTER, CLUSTER_CONNECTOR, row, stat, table, timeseries, type PanelBody } from './grafana.js';

export const NO_JMX_DATA =
  'No JMX data: run the workers with the JMX exporter agent and deploy/jmx/kafka-connect.yml, and give its scrape the connect_cluster label (docs/jmx.md).';

const BY_CONNECTOR = 'sum by (connect_cluster, connector)';
const LEGEND_CONNECTOR = '{{connect_cluster}} / {{connector}}';

function perConnectorRate(metric: string): string {
  return `${BY_CONNECTOR} (rate(${metric}{${CLUSTER_CONNECTOR}}[$__rate_interval]))`;
}

export function jmxOverviewRows(): PanelBody[] {
  return [
    row('Record errors and rebalances (JMX)'),
    timeseries({
      title: 'Record errors /s by task, with state (JMX)',
      description:
        'task-error-metrics total-record-errors per second (5m), joined with the task state connect-sentinel reports. ' +
        'Recorded by the JMX rule group, so it stays after the worker removes the MBeans of a FAILED task.',
      w: 12,
      h: 8,
      min: 0,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          expr: `${TASK_RECORD_ERRORS_RECORD}{${CLUSTER_CONNECTOR}}`,
          legendFormat: '{{connect_cluster}} / {{connector}} / {{task}} ({{state}})',
        },
      ],
    }),
    table({
      title: 'Peak record errors /s by task and state (JMX)',
      description: 'The highest recorded error rate of each task in the time range, with its state then.',
      w: 12,
      h: 8,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          expr: `sort_desc(max_over_time(${TASK_RECORD_ERRORS_RECORD}{${CLUSTER_CONNECTOR}}[$__range]))`,
        },
      ],
      columns: { connect_cluster: 'Cluster', connector: 'Connector', task: 'Task', state: 'State' },
      values: { Value: { header: 'Peak errors/s', unit: 'short' } },
      sortBy: 'Peak errors/s',
    }),
    timeseries({
      title: 'Worker rebalances (JMX)',
      description:
        'Rebalances completed (connect-worker-rebalance-metrics), the most any worker of the cluster counted. See KafkaConnectRebalanceStorm.',
      w: 12,
      h: 7,
      bars: true,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          expr: `max by (connect_cluster) (increase(kafka_connect_jmx_worker_rebalances_completed_total{${CLUSTER}}[$__rate_interval]))`,
          legendFormat: '{{connect_cluster}}',
        },
      ],
    }),
    timeseries({
      title: 'Tasks per worker (JMX)',
      w: 12,
      h: 7,
      min: 0,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          expr: `kafka_connect_jmx_worker_tasks{${CLUSTER}}`,
          legendFormat: '{{connect_cluster}} / {{instance}}',
        },
      ],
    }),
  ];
}

export function jmxDlqRows(): PanelBody[] {
  const skipped = `kafka_connect_jmx_task_records_skipped_total{${CLUSTER_CONNECTOR}}`;
  return [
    row('Record-level errors (JMX)'),
    stat({
      title: 'Skipped without a DLQ in the time range (JMX)',
      description:
        'Records skipped (errors.tolerance=all) by connectors with no dead letter queue: lost. See KafkaConnectRecordsSkippedWithoutDlq.',
      w: 6,
      h: 8,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          // The `or` gives 0 rather than "no data" when JMX series exist but no connector lost records.
          expr:
            `sum(increase(${skipped}[$__range])\n` +
            `  and on(connect_cluster, connector)\n` +
            `  kafka_connect_connector_error_handling_info{${CLUSTER_CONNECTOR}, dlq_topic=""})\n` +
            `or sum(0 * ${skipped})`,
        },
      ],
      thresholds: ['green', [1, 'red']],
    }),
    timeseries({
      title: 'Records skipped /s (JMX)',
      description: 'task-error-metrics total-records-skipped, whether the records went to a DLQ or nowhere.',
      w: 9,
      h: 8,
      min: 0,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          expr: perConnectorRate('kafka_connect_jmx_task_records_skipped_total'),
          legendFormat: LEGEND_CONNECTOR,
        },
      ],
    }),
    timeseries({
      title: 'Record errors, failed attempts and retries /s (JMX)',
      description:
        'Errors: records that failed after all retries. Failed attempts: every failed try, retries included.',
      w: 9,
      h: 8,
      min: 0,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          expr: perConnectorRate('kafka_connect_jmx_task_record_errors_total'),
          legendFormat: `${LEGEND_CONNECTOR} errors`,
        },
        {
          refId: 'B',
          expr: perConnectorRate('kafka_connect_jmx_task_record_failures_total'),
          legendFormat: `${LEGEND_CONNECTOR} failed attempts`,
        },
        {
          refId: 'C',
          expr: perConnectorRate('kafka_connect_jmx_task_retries_total'),
          legendFormat: `${LEGEND_CONNECTOR} retries`,
        },
      ],
    }),
    timeseries({
      title: 'DLQ writes and failed DLQ writes /s (JMX)',
      description: 'A failed DLQ write loses the record. See KafkaConnectDlqProduceFailing.',
      w: 12,
      h: 8,
      min: 0,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          expr: perConnectorRate('kafka_connect_jmx_task_dlq_produce_requests_total'),
          legendFormat: `${LEGEND_CONNECTOR} written`,
        },
        {
          refId: 'B',
          expr: perConnectorRate('kafka_connect_jmx_task_dlq_produce_failures_total'),
          legendFormat: `${LEGEND_CONNECTOR} failed`,
        },
      ],
    }),
    timeseries({
      title: 'Errors written to the worker log /s (JMX)',
      description: 'errors.log.enable=true: each failed record is logged by the worker running the task.',
      w: 12,
      h: 8,
      min: 0,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          expr: perConnectorRate('kafka_connect_jmx_task_errors_logged_total'),
          legendFormat: LEGEND_CONNECTOR,
        },
      ],
    }),
  ];
}

export function jmxLagRows(): PanelBody[] {
  return [
    row('Sink throughput (JMX)'),
    timeseries({
      title: 'Records read and put /s (JMX)',
      description:
        'Read: records the sink tasks consumed. Put: records handed to the connector after transformations.',
      w: 12,
      h: 8,
      min: 0,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          expr: perConnectorRate('kafka_connect_jmx_sink_task_records_read_total'),
          legendFormat: `${LEGEND_CONNECTOR} read`,
        },
        {
          refId: 'B',
          expr: perConnectorRate('kafka_connect_jmx_sink_task_records_sent_total'),
          legendFormat: `${LEGEND_CONNECTOR} put`,
        },
      ],
    }),
    timeseries({
      title: 'Records not yet committed (JMX)',
      description: 'sink-record-active-count: read by the tasks, offsets not yet committed.',
      w: 12,
      h: 8,
      min: 0,
      noValue: NO_JMX_DATA,
      targets: [
        {
          refId: 'A',
          expr: `${BY_CONNECTOR} (kafka_connect_jmx_sink_task_records_active{${CLUSTER_CONNECTOR}})`,
          legendFormat: LEGEND_CONNECTOR,
        },
      ],
    }),
  ];
}
