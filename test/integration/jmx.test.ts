/**
 * Integration (issue 18): a Connect worker started with the Prometheus JMX exporter agent (from Maven
 * Central) and deploy/jmx/kafka-connect.yml; a real Prometheus scrapes the agent (connect_cluster added
 * by relabelling, as docs/jmx.md says) and connect-sentinel, with the JMX rule group loaded (short
 * `for`s). A connector with errors.tolerance=all and no DLQ is fed poison records.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { buildJmxRules, TASK_RECORD_ERRORS_RECORD } from '../../alerts/jmx-rules.js';
import { buildDashboards, type Panel } from '../../dashboards/build.js';
import { parseExposition } from '../helpers/exposition.js';
import { JMX_CONFIG_FILE, jmxMetrics } from '../helpers/jmx-config.js';
import { startPrometheus, type PromAlert, type TestPrometheus } from '../helpers/prometheus.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';
import { metricNames, substituteGrafanaVariables } from '../unit/alerts/promql.js';
import '../stack/context.js';
import { startExtraWorker, type ConnectWorker } from '../stack/control.js';
import { jmxExporterAgent, type JmxExporterAgent } from '../stack/jmx-agent.js';
import {
  allRunning,
  dlqConverterSink,
  healthySource,
  poisonPillSink,
  produce,
  putConnector,
  someTaskState,
  waitForConnectorState,
} from '../stack/scenarios.js';

const stack = inject('stack');
const prefix = `jmx-${Date.now().toString(36)}`;
const CLUSTER = 'jmx-it';
const lossy = `${prefix}-lossy`;
const lossyTopic = `${prefix}-lossy-in`;
const jmxNames = new Set(jmxMetrics().keys());

let agent: JmxExporterAgent;
let worker: ConnectWorker;
let sentinel: TestSentinel;
let prometheus: TestPrometheus;
let dlqConnector: { name: string; topic: string };
let pillName: string;
let trickle: NodeJS.Timeout | undefined;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not seen within ${timeoutMs} ms\nprometheus log:\n${prometheus.log().slice(-2000)}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  agent = await jmxExporterAgent(JMX_CONFIG_FILE);
  worker = await startExtraWorker(stack, { jvmArgs: [agent.jvmArg] });
  const ctx = { target: worker.url, bootstrap: stack.bootstrap, prefix };
  await produce(stack.bootstrap, lossyTopic, ['{"ok":1}']);
  await putConnector(worker.url, lossy, {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
    'tasks.max': '1',
    topics: lossyTopic,
    file: '/dev/null',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    'errors.tolerance': 'all',
  });
  const [dlq, source, pill] = await Promise.all([
    dlqConverterSink(ctx),
    healthySource(ctx),
    poisonPillSink(ctx),
  ]);
  dlqConnector = { name: dlq.name, topic: dlq.topics[0]! };
  pillName = pill.name;
  await Promise.all([
    waitForConnectorState(worker.url, lossy, allRunning(1)),
    waitForConnectorState(worker.url, dlq.name, allRunning(1)),
    waitForConnectorState(worker.url, source.name, allRunning(1)),
    waitForConnectorState(worker.url, pill.name, someTaskState('FAILED')),
  ]);
  sentinel = await startSentinel([
    '--connect.url',
    worker.url,
    '--connect.name',
    CLUSTER,
    '--poll.interval',
    '1s',
  ]);
  prometheus = await startPrometheus({
    ruleGroups: buildJmxRules({ forOverride: '2s' }),
    scrapeConfigs: [
      { job_name: 'connect-sentinel', static_configs: [{ targets: [new URL(sentinel.url).host] }] },
      {
        job_name: 'kafka-connect',
        static_configs: [{ targets: [agent.target] }],
        relabel_configs: [{ target_label: 'connect_cluster', replacement: CLUSTER }],
      },
    ],
  });
  // Skips must happen while Prometheus watches: a counter that only ever shows one value has no rate.
  let i = 0;
  trickle = setInterval(() => {
    i++;
    void Promise.all([
      produce(stack.bootstrap, lossyTopic, [`poison ${i}`]),
      produce(stack.bootstrap, dlqConnector.topic, [{ key: `k${i}`, value: `poison ${i}` }]),
    ]).catch(() => undefined);
  }, 1000);
});

afterAll(async () => {
  clearInterval(trickle);
  await prometheus?.stop();
  await sentinel?.stop();
  await worker?.stop();
});

test('the worker exposes exactly the series of deploy/jmx/kafka-connect.yml, typed and labelled as configured; promtool check metrics passes', async () => {
  const text = await (await fetch(agent.metricsUrl)).text();
  const check = promtoolCheckMetrics(text);
  expect(check.ok, check.output).toBe(true);

  const rules = jmxMetrics();
  const samples = parseExposition(text).filter((s) => s.name.startsWith('kafka_connect_jmx_'));
  expect([...new Set(samples.map((s) => s.name))].sort()).toEqual([...rules.keys()].sort());
  for (const s of samples) {
    const rule = rules.get(s.name)!;
    expect(Object.keys(s.labels).sort(), s.name).toEqual(Object.keys(rule.labels).sort());
    const typeLine = new RegExp(`^# TYPE ${s.name} (\\w+)$`, 'm').exec(text);
    expect(typeLine?.[1], s.name).toBe(rule.type.toLowerCase());
  }
  // connector/task labels hold the names the sidecar uses, e.g. the FAILED task of the poison-pill sink.
  expect(samples).toContainEqual({
    name: 'kafka_connect_jmx_task_status',
    labels: { connector: pillName, task: '0', status: 'failed' },
    value: 1,
  });
});

test('poison records raise the skipped-records series and fire KafkaConnectRecordsSkippedWithoutDlq for that connector only', async () => {
  const firing = await waitFor('KafkaConnectRecordsSkippedWithoutDlq firing', async () =>
    (await prometheus.alerts()).find(
      (a) =>
        a.labels.alertname === 'KafkaConnectRecordsSkippedWithoutDlq' &&
        a.labels.connector === lossy &&
        a.state === 'firing',
    ),
  );
  expect(firing.labels).toEqual({
    alertname: 'KafkaConnectRecordsSkippedWithoutDlq',
    severity: 'critical',
    connect_cluster: CLUSTER,
    connector: lossy,
  });
  expect(firing.annotations.description).toContain(`connector ${lossy} on Connect cluster ${CLUSTER}`);

  const skipped = await prometheus.query(
    `kafka_connect_jmx_task_records_skipped_total{connect_cluster="${CLUSTER}", connector="${lossy}", task="0"}`,
  );
  expect(Number(skipped[0]?.value[1])).toBeGreaterThan(0);
  // The DLQ connector skips records too, into its DLQ: that is no loss.
  const dlqRate = await prometheus.query(
    `rate(kafka_connect_jmx_task_records_skipped_total{connector="${dlqConnector.name}"}[1m])`,
  );
  expect(Number(dlqRate[0]?.value[1])).toBeGreaterThan(0);
  const others = (await prometheus.alerts()).filter(
    (a: PromAlert) =>
      a.labels.alertname === 'KafkaConnectRecordsSkippedWithoutDlq' && a.labels.connector !== lossy,
  );
  expect(others).toEqual([]);
});

test('the recording rule shows the FAILED task next to its error rate', async () => {
  const recorded = await waitFor('the recorded FAILED task', async () => {
    const r = await prometheus.query(`${TASK_RECORD_ERRORS_RECORD}{connector="${pillName}"}`);
    return r.length > 0 ? r : undefined;
  });
  expect(recorded.map((s) => s.metric)).toEqual([
    {
      __name__: TASK_RECORD_ERRORS_RECORD,
      connect_cluster: CLUSTER,
      connector: pillName,
      task: '0',
      state: 'FAILED',
    },
  ]);
});

function panelsOf(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...panelsOf((p['panels'] as Panel[] | undefined) ?? [])]);
}

test('every dashboard expression reading JMX series returns data', async () => {
  const jmxOrRecorded = new Set([...jmxNames, TASK_RECORD_ERRORS_RECORD]);
  const exprs = [...buildDashboards()].flatMap(([file, d]) =>
    panelsOf(d.panels).flatMap((p) =>
      (p.targets ?? [])
        .map((t) => substituteGrafanaVariables(String(t['expr'])))
        .filter((expr) => [...metricNames(expr)].some((m) => jmxOrRecorded.has(m)))
        .map((expr) => ({ source: `${file} "${p.title}"`, expr })),
    ),
  );
  expect(exprs.length).toBeGreaterThanOrEqual(10);
  let empty: string[] = [];
  await waitFor('data for every JMX panel', async () => {
    const results = await Promise.all(
      exprs.map(async (e) => ({ e, n: (await prometheus.query(e.expr)).length })),
    );
    empty = results.filter((r) => r.n === 0).map((r) => `${r.e.source}: ${r.e.expr}`);
    return empty.length === 0 ? true : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}\nno data for:\n${empty.join('\n')}`);
  });
});
