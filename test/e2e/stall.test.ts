/**
 * End to end, on the real stack: what KafkaConnectSinkStalled calls a stall (docs/lag.md "Residual lag is
 * not a stall"). A real Prometheus scrapes a real connect-sentinel and evaluates the shipped rules with
 * short windows (arrivals 10s, commits 30s, `for` 15s), next to a control rule with the earlier meaning of
 * a stall (lag > 0 and nothing committed, RUNNING).
 *
 * - A sink whose last records went to the DLQ, and which commits only past what it wrote, keeps a lag of 3
 *   while nothing more arrives: the control fires for it, KafkaConnectSinkStalled never does.
 * - A RUNNING sink that does not keep up (the test connector's put() delay) while records keep arriving is
 *   stalled: KafkaConnectSinkStalled fires.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { buildRules } from '../../alerts/rules.js';
import { value, type Sample } from '../helpers/exposition.js';
import { startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';
import '../stack/context.js';
import { TEST_PLUGINS } from '../stack/launcher.js';
import {
  allRunning,
  createTopic,
  deleteConnector,
  kafkaClient,
  produce,
  putConnector,
  waitForConnectorState,
} from '../stack/scenarios.js';

const stack = inject('stack');
const worker = stack.workers[0]!;
const prefix = `stall-${Date.now().toString(36)}`;
const STRING = 'org.apache.kafka.connect.storage.StringConverter';

const tail = { name: `${prefix}-dlq-tail`, topic: `${prefix}-dlq-tail-in`, dlq: `${prefix}-dlq-tail-dlq` };
const slow = { name: `${prefix}-slow`, topic: `${prefix}-slow-in` };

const CONTROL = 'StalledByLagAndNoCommitOnly';
const ON_TOPIC = 'on(job, instance, connect_cluster, connector, topic)';

let sentinel: TestSentinel;
let prometheus: TestPrometheus;
let stopTrickle: (() => void) | undefined;

const lagOf = (m: Sample[], connector: string, topic: string): number | undefined =>
  value(m, 'kafka_connect_sink_lag_records', { connector, topic });
const committedOf = (m: Sample[], connector: string, topic: string): number | undefined =>
  value(m, 'kafka_connect_sink_committed_offsets_total', { connector, topic });

beforeAll(async () => {
  await Promise.all([createTopic(stack.bootstrap, tail.topic), createTopic(stack.bootstrap, slow.topic)]);
  await putConnector(worker.url, tail.name, {
    'connector.class': TEST_PLUGINS.writtenOnlySink,
    'tasks.max': '1',
    topics: tail.topic,
    'key.converter': STRING,
    'value.converter': STRING,
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': tail.dlq,
    'errors.deadletterqueue.topic.replication.factor': '1',
    'errors.deadletterqueue.context.headers.enable': 'true',
  });
  await putConnector(worker.url, slow.name, {
    'connector.class': TEST_PLUGINS.failingSink,
    'tasks.max': '1',
    topics: slow.topic,
    'key.converter': STRING,
    'value.converter': STRING,
    mock_mode: 'slow',
    // Longer than the test: every put() outlasts it, so nothing is ever committed.
    delay_ms: '300000',
  });
  await Promise.all([
    waitForConnectorState(worker.url, tail.name, allRunning(1)),
    waitForConnectorState(worker.url, slow.name, allRunning(1)),
  ]);
  sentinel = await startSentinel([
    '--connect.url',
    worker.url,
    '--connect.name',
    'stall',
    '--kafka.brokers',
    stack.bootstrap,
    '--poll.interval',
    '1s',
  ]);
  const shipped = buildRules({
    forOverride: '15s',
    stallWindow: '30s',
    stallArrivalWindow: '10s',
  });
  const control = {
    name: 'control',
    rules: [
      {
        alert: CONTROL,
        expr:
          `kafka_connect_sink_lag_records > 0\nand ${ON_TOPIC}\nincrease(kafka_connect_sink_committed_offsets_total[30s]) == 0\n` +
          `and on(job, instance, connect_cluster, connector)\nkafka_connect_connector_state{state="RUNNING"} == 1`,
        for: '15s',
      },
    ],
  };
  prometheus = await startPrometheus({
    scrapeConfigs: [
      { job_name: 'connect-sentinel', static_configs: [{ targets: [new URL(sentinel.url).host] }] },
    ],
    ruleGroups: { groups: [...shipped.groups, control] },
  });
});

afterAll(async () => {
  stopTrickle?.();
  await prometheus?.stop();
  await sentinel?.stop();
  await Promise.all([deleteConnector(worker.url, tail.name), deleteConnector(worker.url, slow.name)]);
});

test('residual lag after a DLQ tail is no stall; a RUNNING sink that does not keep up while records arrive is', async () => {
  // Five good records, then three poison ones that end up in the DLQ; the sink commits only past the good.
  await produce(stack.bootstrap, tail.topic, ['good-1', 'good-2', 'good-3', 'good-4', 'good-5']);
  await produce(stack.bootstrap, tail.topic, ['poison-1', 'poison-2', 'poison-3']);
  await sentinel.waitForMetrics(
    (m) =>
      lagOf(m, tail.name, tail.topic) === 3 &&
      committedOf(m, tail.name, tail.topic) === 5 &&
      value(m, 'kafka_connect_dlq_records', { connector: tail.name, topic: tail.dlq }) === 3,
    90_000,
    'lag 3 after the DLQ tail, 5 committed, 3 records in the DLQ',
  );

  // Records keep arriving for the slow sink, two a second.
  const producer = kafkaClient(stack.bootstrap).producer();
  await producer.connect();
  let i = 0;
  const timer = setInterval(() => {
    void producer.send({ topic: slow.topic, messages: [{ value: `tick-${++i}` }] }).catch(() => undefined);
  }, 500);
  stopTrickle = () => {
    clearInterval(timer);
    void producer.disconnect();
  };

  // Wait until the slow sink's stall fired, the control fired for the DLQ tail, and the tail's lag has sat
  // at 3 for longer than the stall alert's windows and `for` together (30s + 15s): time enough to fire.
  const flatTail =
    `min_over_time(kafka_connect_sink_lag_records{connector="${tail.name}"}[50s]) == 3\n` +
    `and count_over_time(kafka_connect_sink_lag_records{connector="${tail.name}"}[50s]) > 45`;
  const deadline = Date.now() + 180_000;
  let alerts = await prometheus.alerts();
  const firing = (alertname: string, connector: string): boolean =>
    alerts.some(
      (a) => a.labels.alertname === alertname && a.labels.connector === connector && a.state === 'firing',
    );
  while (!(
    firing(CONTROL, tail.name) &&
    firing('KafkaConnectSinkStalled', slow.name) &&
    (await prometheus.query(flatTail)).length === 1
  )) {
    if (Date.now() > deadline)
      throw new Error(
        `after 180 s: ${JSON.stringify(alerts.map((a) => [a.labels.alertname, a.labels.connector, a.state]))}\n` +
          `prometheus log:\n${prometheus.log().slice(-2000)}`,
      );
    await new Promise((r) => setTimeout(r, 500));
    alerts = await prometheus.alerts();
  }

  const stalled = alerts.find(
    (a) => a.labels.alertname === 'KafkaConnectSinkStalled' && a.labels.connector === slow.name,
  );
  expect(stalled?.labels).toMatchObject({
    connect_cluster: 'stall',
    topic: slow.topic,
    severity: 'critical',
  });
  // The DLQ tail's sink never fired the stall alert, at any evaluation since the start.
  expect(
    await prometheus.query(
      `max_over_time(ALERTS{alertname="KafkaConnectSinkStalled", connector="${tail.name}", alertstate="firing"}[10m])`,
    ),
  ).toEqual([]);
  const m = await sentinel.metrics();
  expect(lagOf(m, tail.name, tail.topic)).toBe(3);
  expect(committedOf(m, tail.name, tail.topic)).toBe(5);
  expect(value(m, 'kafka_connect_task_state', { connector: slow.name, task: '0', state: 'RUNNING' })).toBe(1);

  // The residual lag goes away with the next good record.
  await produce(stack.bootstrap, tail.topic, ['good-6']);
  await sentinel.waitForMetrics(
    (x) => lagOf(x, tail.name, tail.topic) === 0 && committedOf(x, tail.name, tail.topic) === 9,
    60_000,
    'lag 0 once a good record follows',
  );
});
