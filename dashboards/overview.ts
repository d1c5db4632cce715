import {
  CLUSTER,
  CLUSTER_CONNECTOR,
  STATE_COLORS,
  dashboard,
  row,
  stat,
  table,
  timeseries,
  type Dashboard,
} from './grafana.js';
import { CONNECTOR_STATES, TASK_STATES } from '../src/connect/types.js';
import { jmxOverviewRows } from './jmx.js';

const UP_DOWN = { '1': { text: 'UP', color: 'green' }, '0': { text: 'DOWN', color: 'red' } };

/**
 * How many connectors (tasks) are in each state, the same whether the sidecar publishes only the current
 * state's series (the default) or full StateSets: only series with value 1 are counted, and every state
 * Connect knows is shown, 0 when nothing is in it (a state a newer worker reports shows up as it comes).
 */
export function countByState(selector: string, known: readonly string[]): string {
  return [
    `count by (state) (${selector} == 1)`,
    ...known.map((state) => `label_replace(vector(0), "state", "${state}", "", "")`),
  ].join('\nor ');
}

export function overviewDashboard(): Dashboard {
  return dashboard({
    uid: 'connect-sentinel-overview',
    title: 'connect-sentinel / Overview',
    description:
      'Kafka Connect clusters, connector and task states, failures and restarts, as seen by connect-sentinel.',
    panels: [
      row('Clusters'),
      stat({
        title: 'Connect REST API',
        description: 'kafka_connect_up: 1 if the latest poll of the REST API succeeded.',
        w: 5,
        h: 4,
        targets: [{ refId: 'A', expr: `kafka_connect_up{${CLUSTER}}`, legendFormat: '{{connect_cluster}}' }],
        mappings: UP_DOWN,
        thresholds: ['red', [1, 'green']],
      }),
      stat({
        title: 'Kafka (DLQ and lag offsets)',
        description: 'kafka_connect_kafka_up: 1 if the latest read of offsets from Kafka succeeded.',
        w: 5,
        h: 4,
        targets: [
          { refId: 'A', expr: `kafka_connect_kafka_up{${CLUSTER}}`, legendFormat: '{{connect_cluster}}' },
        ],
        mappings: UP_DOWN,
        thresholds: ['red', [1, 'green']],
      }),
      stat({
        title: 'Connectors',
        w: 3,
        h: 4,
        targets: [{ refId: 'A', expr: `count(kafka_connect_connector_info{${CLUSTER_CONNECTOR}})` }],
        thresholds: ['blue'],
        noValue: '0',
      }),
      stat({
        title: 'Tasks',
        w: 3,
        h: 4,
        targets: [{ refId: 'A', expr: `count(kafka_connect_task_info{${CLUSTER_CONNECTOR}})` }],
        thresholds: ['blue'],
        noValue: '0',
      }),
      table({
        title: 'Versions',
        description: 'Connect workers answering GET / (version, commit, Kafka cluster id).',
        w: 8,
        h: 4,
        targets: [{ refId: 'A', expr: `kafka_connect_info{${CLUSTER}}` }],
        columns: {
          connect_cluster: 'Cluster',
          version: 'Connect',
          commit: 'Commit',
          kafka_cluster_id: 'Kafka cluster id',
        },
      }),

      row('States'),
      stat({
        title: 'Connectors by state',
        w: 12,
        h: 5,
        targets: [
          {
            refId: 'A',
            expr: countByState(`kafka_connect_connector_state{${CLUSTER_CONNECTOR}}`, CONNECTOR_STATES),
            legendFormat: '{{state}}',
          },
        ],
        colors: STATE_COLORS,
      }),
      stat({
        title: 'Tasks by state',
        w: 12,
        h: 5,
        targets: [
          {
            refId: 'A',
            expr: countByState(`kafka_connect_task_state{${CLUSTER_CONNECTOR}}`, TASK_STATES),
            legendFormat: '{{state}}',
          },
        ],
        colors: STATE_COLORS,
      }),
      table({
        title: 'FAILED connectors',
        description:
          'The trace is in GET /connectors/<connector>/status. Fix, then POST /connectors/<connector>/restart?includeTasks=true&onlyFailed=true.',
        w: 12,
        h: 8,
        targets: [
          {
            refId: 'A',
            expr:
              `(kafka_connect_connector_state{${CLUSTER_CONNECTOR}, state="FAILED"} == 1)\n` +
              `  * on(job, instance, connect_cluster, connector) group_left(connector_type, connector_class, worker_id)\n` +
              `  kafka_connect_connector_info{${CLUSTER_CONNECTOR}}\n` +
              `or on(job, instance, connect_cluster, connector)\n` +
              `kafka_connect_connector_state{${CLUSTER_CONNECTOR}, state="FAILED"} == 1`,
          },
        ],
        columns: {
          connect_cluster: 'Cluster',
          connector: 'Connector',
          connector_type: 'Type',
          connector_class: 'Class',
          worker_id: 'Worker',
        },
      }),
      table({
        title: 'FAILED tasks',
        description:
          'worker_id is the worker whose log has the full error. Restart with POST /connectors/<connector>/tasks/<task>/restart.',
        w: 12,
        h: 8,
        targets: [
          {
            refId: 'A',
            expr:
              `(kafka_connect_task_state{${CLUSTER_CONNECTOR}, state="FAILED"} == 1)\n` +
              `  * on(job, instance, connect_cluster, connector, task) group_left(worker_id)\n` +
              `  kafka_connect_task_info{${CLUSTER_CONNECTOR}}\n` +
              `or on(job, instance, connect_cluster, connector, task)\n` +
              `kafka_connect_task_state{${CLUSTER_CONNECTOR}, state="FAILED"} == 1`,
          },
        ],
        columns: { connect_cluster: 'Cluster', connector: 'Connector', task: 'Task', worker_id: 'Worker' },
      }),

      row('Failures and restarts'),
      timeseries({
        title: 'Connector failures',
        description: 'Transitions of connectors into FAILED observed by connect-sentinel.',
        w: 12,
        h: 8,
        bars: true,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster, connector) (increase(kafka_connect_connector_failures_total{${CLUSTER_CONNECTOR}}[$__rate_interval]))`,
            legendFormat: '{{connect_cluster}} / {{connector}}',
          },
        ],
      }),
      timeseries({
        title: 'Task failures',
        description: 'Transitions of tasks into FAILED observed by connect-sentinel.',
        w: 12,
        h: 8,
        bars: true,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster, connector, task) (increase(kafka_connect_task_failures_total{${CLUSTER_CONNECTOR}}[$__rate_interval]))`,
            legendFormat: '{{connect_cluster}} / {{connector}} / {{task}}',
          },
        ],
      }),
      timeseries({
        title: 'Restarts requested by connect-sentinel',
        w: 12,
        h: 8,
        bars: true,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster, connector) (increase(connect_sentinel_restart_attempts_total{${CLUSTER_CONNECTOR}}[$__rate_interval]))`,
            legendFormat: '{{connect_cluster}} / {{connector}} requested',
          },
          {
            refId: 'B',
            expr: `sum by (connect_cluster, connector) (increase(connect_sentinel_restart_failures_total{${CLUSTER_CONNECTOR}}[$__rate_interval]))`,
            legendFormat: '{{connect_cluster}} / {{connector}} failed',
          },
          {
            refId: 'C',
            expr: `sum by (connect_cluster, connector) (increase(connect_sentinel_restart_conflicts_total{${CLUSTER_CONNECTOR}}[$__rate_interval]))`,
            legendFormat: '{{connect_cluster}} / {{connector}} refused during a rebalance (409)',
          },
        ],
      }),
      table({
        title: 'Restart budget exhausted',
        description: 'Connectors connect-sentinel has stopped restarting because they keep failing.',
        w: 12,
        h: 8,
        targets: [
          { refId: 'A', expr: `connect_sentinel_restart_budget_exhausted{${CLUSTER_CONNECTOR}} == 1` },
        ],
        columns: { connect_cluster: 'Cluster', connector: 'Connector' },
      }),

      ...jmxOverviewRows(),

      row('connect-sentinel'),
      timeseries({
        title: 'Poll duration',
        w: 8,
        h: 7,
        unit: 's',
        min: 0,
        targets: [
          {
            refId: 'A',
            expr: `connect_sentinel_poll_duration_seconds{${CLUSTER}}`,
            legendFormat: '{{connect_cluster}} {{source}}',
          },
        ],
      }),
      timeseries({
        title: 'Poll errors /s',
        w: 8,
        h: 7,
        min: 0,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster, source) (rate(connect_sentinel_poll_errors_total{${CLUSTER}}[$__rate_interval]))`,
            legendFormat: '{{connect_cluster}} {{source}}',
          },
        ],
      }),
      stat({
        title: 'Since last successful poll',
        w: 4,
        h: 7,
        unit: 's',
        targets: [
          {
            refId: 'A',
            expr: `time() - connect_sentinel_last_successful_poll_timestamp_seconds{${CLUSTER}}`,
            legendFormat: '{{connect_cluster}} {{source}}',
          },
        ],
        thresholds: ['green', [60, 'orange'], [180, 'red']],
      }),
      stat({
        title: 'Status topic followed',
        description:
          "1 while connect-sentinel follows Connect's status topic (state changes within a second); 0: REST poll only, see docs/sources.md.",
        w: 8,
        h: 7,
        targets: [
          {
            refId: 'A',
            expr: `connect_sentinel_status_follower_up{${CLUSTER}} * on (connect_cluster) group_left (topic) connect_sentinel_status_topic_info{${CLUSTER}} or connect_sentinel_status_follower_up{${CLUSTER}}`,
            legendFormat: '{{connect_cluster}} {{topic}}',
          },
        ],
        thresholds: ['red', [1, 'green']],
      }),
      timeseries({
        title: 'Status records read /s, and skipped',
        w: 8,
        h: 7,
        min: 0,
        targets: [
          {
            refId: 'A',
            expr: `sum by (connect_cluster) (rate(connect_sentinel_status_events_total{${CLUSTER}}[$__rate_interval]))`,
            legendFormat: '{{connect_cluster}} read',
          },
          {
            refId: 'B',
            expr: `sum by (connect_cluster) (increase(connect_sentinel_status_records_skipped_total{${CLUSTER}}[$__rate_interval]))`,
            legendFormat: '{{connect_cluster}} skipped (unparsable)',
          },
        ],
      }),
      stat({
        title: 'Status topic: behind, last record',
        w: 4,
        h: 7,
        targets: [
          {
            refId: 'A',
            expr: `connect_sentinel_status_lag_records{${CLUSTER}}`,
            legendFormat: '{{connect_cluster}} records behind',
          },
          {
            refId: 'B',
            expr: `time() - connect_sentinel_status_last_event_timestamp_seconds{${CLUSTER}}`,
            legendFormat: '{{connect_cluster}} s since the last record',
          },
        ],
      }),
      table({
        title: 'connect-sentinel build',
        w: 4,
        h: 7,
        targets: [
          { refId: 'A', expr: 'count by (version, revision, nodejs_version) (connect_sentinel_build_info)' },
        ],
        columns: { version: 'Version', revision: 'Revision', nodejs_version: 'Node.js' },
      }),
    ],
  });
}
