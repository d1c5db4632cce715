import { CLUSTER_CONNECTOR, dashboard, row, stat, table, timeseries, type Dashboard } from './grafana.js';
import { jmxDlqRows } from './jmx.js';

const SILENT_DROP = 'errors_tolerance="all", dlq_topic="", errors_log_enable="false"';

export function dlqDashboard(): Dashboard {
  return dashboard({
    uid: 'connect-sentinel-dlq',
    title: 'connect-sentinel / Dead letter queues',
    description:
      'Records Kafka Connect sinks shunted to their dead letter queues: how many, how fast, and why (stage and exception class from the __connect.errors.* headers).',
    panels: [
      row('Summary'),
      stat({
        title: 'Records retained in DLQs',
        w: 6,
        h: 4,
        targets: [{ refId: 'A', expr: `sum(kafka_connect_dlq_records{${CLUSTER_CONNECTOR}})` }],
        thresholds: ['green', [1, 'orange']],
        noValue: '0',
      }),
      stat({
        title: 'Written to DLQs in the time range',
        w: 6,
        h: 4,
        targets: [
          {
            refId: 'A',
            expr: `sum(increase(kafka_connect_dlq_records_written_total{${CLUSTER_CONNECTOR}}[$__range]))`,
          },
        ],
        thresholds: ['green', [1, 'orange']],
        noValue: '0',
      }),
      stat({
        title: 'Connectors writing to a DLQ now',
        w: 6,
        h: 4,
        targets: [
          {
            refId: 'A',
            expr: `count(sum by (connect_cluster, connector) (rate(kafka_connect_dlq_records_written_total{${CLUSTER_CONNECTOR}}[$__rate_interval])) > 0)`,
          },
        ],
        thresholds: ['green', [1, 'orange']],
        noValue: '0',
      }),
      stat({
        title: 'Connectors dropping errors silently',
        description: 'errors.tolerance=all with no DLQ and errors.log.enable=false.',
        w: 6,
        h: 4,
        targets: [
          {
            refId: 'A',
            expr: `count(kafka_connect_connector_error_handling_info{${CLUSTER_CONNECTOR}, ${SILENT_DROP}})`,
          },
        ],
        thresholds: ['green', [1, 'red']],
        noValue: '0',
      }),

      row('Depth and growth'),
      timeseries({
        title: 'DLQ depth (records retained)',
        description: 'Sum over partitions of end − start offset of each DLQ topic.',
        w: 12,
        h: 8,
        min: 0,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster, connector, topic) (kafka_connect_dlq_records{${CLUSTER_CONNECTOR}})`,
            legendFormat: '{{connect_cluster}} / {{connector}} → {{topic}}',
          },
        ],
      }),
      timeseries({
        title: 'DLQ growth (records/s)',
        description: 'rate() of the DLQ topic end offsets: records written per second.',
        w: 12,
        h: 8,
        min: 0,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster, connector, topic) (rate(kafka_connect_dlq_records_written_total{${CLUSTER_CONNECTOR}}[$__rate_interval]))`,
            legendFormat: '{{connect_cluster}} / {{connector}} → {{topic}}',
          },
        ],
      }),

      row('Why'),
      timeseries({
        title: 'DLQ errors by stage (/s)',
        description:
          'From __connect.errors.stage; "unknown" means the connector has errors.deadletterqueue.context.headers.enable=false.',
        w: 12,
        h: 8,
        stack: true,
        targets: [
          {
            refId: 'A',
            expr: `sum by (stage) (rate(kafka_connect_dlq_errors_total{${CLUSTER_CONNECTOR}}[$__rate_interval]))`,
            legendFormat: '{{stage}}',
          },
        ],
      }),
      timeseries({
        title: 'DLQ errors by exception class (/s)',
        description: 'From __connect.errors.exception.class.name; rare classes are folded into "other".',
        w: 12,
        h: 8,
        stack: true,
        targets: [
          {
            refId: 'A',
            expr: `sum by (exception_class) (rate(kafka_connect_dlq_errors_total{${CLUSTER_CONNECTOR}}[$__rate_interval]))`,
            legendFormat: '{{exception_class}}',
          },
        ],
      }),
      table({
        title: 'DLQ errors in the time range',
        w: 14,
        h: 8,
        targets: [
          {
            refId: 'A',
            expr: `sort_desc(sum by (connect_cluster, connector, topic, stage, exception_class) (increase(kafka_connect_dlq_errors_total{${CLUSTER_CONNECTOR}}[$__range])) > 0)`,
          },
        ],
        columns: {
          connect_cluster: 'Cluster',
          connector: 'Connector',
          topic: 'DLQ topic',
          stage: 'Stage',
          exception_class: 'Exception class',
        },
        values: { Value: { header: 'Records', unit: 'short' } },
        sortBy: 'Records',
      }),
      table({
        title: 'Last DLQ record',
        w: 10,
        h: 8,
        targets: [
          {
            refId: 'A',
            expr: `max by (connect_cluster, connector, topic) (kafka_connect_dlq_last_record_timestamp_seconds{${CLUSTER_CONNECTOR}}) * 1000`,
          },
          {
            refId: 'B',
            expr: `time() - max by (connect_cluster, connector, topic) (kafka_connect_dlq_last_record_timestamp_seconds{${CLUSTER_CONNECTOR}})`,
          },
        ],
        columns: { connect_cluster: 'Cluster', connector: 'Connector', topic: 'DLQ topic' },
        values: {
          'Value #A': { header: 'Last record at', unit: 'dateTimeAsIso' },
          'Value #B': { header: 'Age', unit: 's' },
        },
      }),

      ...jmxDlqRows(),

      row('Error handling configuration'),
      table({
        title: 'Error handling per connector',
        description:
          'From each connector config (defaults applied). tolerance=all with no DLQ topic and no error log drops records silently.',
        w: 24,
        h: 8,
        targets: [{ refId: 'A', expr: `kafka_connect_connector_error_handling_info{${CLUSTER_CONNECTOR}}` }],
        columns: {
          connect_cluster: 'Cluster',
          connector: 'Connector',
          errors_tolerance: 'errors.tolerance',
          errors_log_enable: 'errors.log.enable',
          dlq_topic: 'errors.deadletterqueue.topic.name',
          dlq_context_headers: 'context headers',
        },
      }),
    ],
  });
}
