import {
  CLUSTER,
  CLUSTER_CONNECTOR,
  dashboard,
  row,
  stat,
  table,
  timeseries,
  type Dashboard,
} from './grafana.js';
import { jmxLagRows } from './jmx.js';

/**
 * The condition of the KafkaConnectSinkStalled alert (without its `for`): RUNNING with no FAILED task, lag
 * > 0 and rising within 3 minutes (records keep arriving), no committed offset in 10 minutes. The windows
 * are fixed on purpose so the table agrees with the alert.
 */
const STALLED =
  `kafka_connect_sink_lag_records{${CLUSTER_CONNECTOR}} > 0\n` +
  `and on(job, instance, connect_cluster, connector, topic)\nincrease(kafka_connect_sink_committed_offsets_total{${CLUSTER_CONNECTOR}}[10m]) == 0\n` +
  `and on(job, instance, connect_cluster, connector, topic)\ndelta(kafka_connect_sink_lag_records{${CLUSTER_CONNECTOR}}[3m]) > 0\n` +
  `and on(job, instance, connect_cluster, connector)\nkafka_connect_connector_state{${CLUSTER_CONNECTOR}, state="RUNNING"} == 1\n` +
  `unless on(job, connect_cluster, connector)\nkafka_connect_task_state{${CLUSTER_CONNECTOR}, state="FAILED"} == 1`;

export function lagDashboard(): Dashboard {
  return dashboard({
    uid: 'connect-sentinel-lag',
    title: 'connect-sentinel / Sink lag',
    description:
      "Consumer lag of Kafka Connect sink connectors (end offsets − the connector's committed offsets) and sinks that are RUNNING but stalled.",
    panels: [
      row('Summary'),
      stat({
        title: 'Total sink lag (records)',
        w: 6,
        h: 4,
        targets: [{ refId: 'A', expr: `sum(kafka_connect_sink_lag_records{${CLUSTER_CONNECTOR}})` }],
        thresholds: ['green', [1000, 'orange']],
        noValue: '0',
      }),
      stat({
        title: 'Consumption (committed records/s)',
        w: 6,
        h: 4,
        targets: [
          {
            refId: 'A',
            expr: `sum(rate(kafka_connect_sink_committed_offsets_total{${CLUSTER_CONNECTOR}}[$__rate_interval]))`,
          },
        ],
        thresholds: ['blue'],
        noValue: '0',
      }),
      stat({
        title: 'Stalled sink topics',
        description:
          'RUNNING connector without a FAILED task, records arriving, no offset committed in 10 minutes.',
        w: 6,
        h: 4,
        targets: [{ refId: 'A', expr: `count(${STALLED})` }],
        thresholds: ['green', [1, 'red']],
        noValue: '0',
      }),
      stat({
        title: 'Kafka offsets readable',
        description: 'kafka_connect_kafka_up: lag is only fresh while this is UP.',
        w: 6,
        h: 4,
        targets: [
          { refId: 'A', expr: `kafka_connect_kafka_up{${CLUSTER}}`, legendFormat: '{{connect_cluster}}' },
        ],
        mappings: { '1': { text: 'UP', color: 'green' }, '0': { text: 'DOWN', color: 'red' } },
        thresholds: ['red', [1, 'green']],
      }),

      row('Lag'),
      timeseries({
        title: 'Lag per connector',
        w: 12,
        h: 9,
        min: 0,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster, connector) (kafka_connect_sink_lag_records{${CLUSTER_CONNECTOR}})`,
            legendFormat: '{{connect_cluster}} / {{connector}}',
          },
        ],
      }),
      timeseries({
        title: 'Lag per connector and topic',
        w: 12,
        h: 9,
        min: 0,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster, connector, topic) (kafka_connect_sink_lag_records{${CLUSTER_CONNECTOR}})`,
            legendFormat: '{{connect_cluster}} / {{connector}} / {{topic}}',
          },
        ],
      }),
      timeseries({
        title: 'Committed records/s per connector',
        description: 'rate() of the sum of committed offsets: what the sink actually finished.',
        w: 12,
        h: 8,
        min: 0,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster, connector) (rate(kafka_connect_sink_committed_offsets_total{${CLUSTER_CONNECTOR}}[$__rate_interval]))`,
            legendFormat: '{{connect_cluster}} / {{connector}}',
          },
        ],
      }),
      timeseries({
        title: 'Lag trend (records/s over 15m)',
        description:
          'deriv() of the lag over 15 minutes, as KafkaConnectSinkLagGrowing uses it: above 0 the sink falls behind.',
        w: 12,
        h: 8,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster, connector, topic) (deriv(kafka_connect_sink_lag_records{${CLUSTER_CONNECTOR}}[15m]))`,
            legendFormat: '{{connect_cluster}} / {{connector}} / {{topic}}',
          },
        ],
      }),

      row('Stalled'),
      table({
        title: 'Stalled sink connectors',
        description:
          'RUNNING without a FAILED task, lag rising (records keep arriving) and no committed offset in the last 10 minutes: see the KafkaConnectSinkStalled runbook. Lag that stays flat is not a stall (docs/lag.md).',
        w: 24,
        h: 8,
        targets: [{ refId: 'A', expr: STALLED }],
        columns: { connect_cluster: 'Cluster', connector: 'Connector', topic: 'Topic' },
        values: { Value: { header: 'Lag (records)', unit: 'short' } },
        sortBy: 'Lag (records)',
      }),

      ...jmxLagRows(),
    ],
  });
}
