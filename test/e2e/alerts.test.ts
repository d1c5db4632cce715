/**
 * End to end: a real Prometheus (Debian package) scrapes a real connect-sentinel watching the real
 * Connect stack, with the shipped rules loaded (short `for`). A FAILED task fires KafkaConnectTaskFailed;
 * a healthy connector fires nothing.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { buildRules } from '../../alerts/rules.js';
import { startPrometheus, type PromAlert, type TestPrometheus } from '../helpers/prometheus.js';
import '../stack/context.js';
import {
  allRunning,
  failingTask,
  healthySink,
  someTaskState,
  waitForConnectorState,
} from '../stack/scenarios.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';

const stack = inject('stack');
const worker = stack.workers[0]!;
const prefix = `e2e-${Date.now().toString(36)}`;

let sentinel: TestSentinel;
let prometheus: TestPrometheus;
let failingName: string;
let healthyName: string;

beforeAll(async () => {
  const ctx = { target: worker.url, bootstrap: stack.bootstrap, prefix };
  const [failing, healthy] = await Promise.all([failingTask(ctx, 300), healthySink(ctx)]);
  failingName = failing.name;
  healthyName = healthy.name;
  await Promise.all([
    waitForConnectorState(worker.url, failing.name, someTaskState('FAILED')),
    waitForConnectorState(worker.url, healthy.name, allRunning(1)),
  ]);
  sentinel = await startSentinel([
    '--connect.url',
    worker.url,
    '--connect.name',
    'e2e',
    '--poll.interval',
    '1s',
  ]);

  prometheus = await startPrometheus({
    scrapeConfigs: [
      { job_name: 'connect-sentinel', static_configs: [{ targets: [new URL(sentinel.url).host] }] },
    ],
    ruleGroups: buildRules({ jobSelector: 'job="connect-sentinel"', forOverride: '2s' }),
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await sentinel?.stop();
});

const alerts = (): Promise<PromAlert[]> => prometheus.alerts();

test('a FAILED task fires KafkaConnectTaskFailed, read back from Prometheus', async () => {
  const deadline = Date.now() + 60_000;
  let firing: PromAlert | undefined;
  let seen: PromAlert[] = [];
  while (!firing && Date.now() < deadline) {
    seen = await alerts();
    firing = seen.find(
      (a) =>
        a.labels.alertname === 'KafkaConnectTaskFailed' &&
        a.labels.connector === failingName &&
        a.state === 'firing',
    );
    if (!firing) await new Promise((r) => setTimeout(r, 500));
  }
  expect(
    firing,
    `alerts seen: ${JSON.stringify(seen).slice(0, 2000)}\nprometheus log:\n${prometheus.log().slice(-2000)}`,
  ).toBeDefined();
  expect(firing!.labels).toMatchObject({
    connect_cluster: 'e2e',
    task: '0',
    severity: 'critical',
    job: 'connect-sentinel',
  });
  expect(firing!.annotations.description).toContain(failingName);
  expect(firing!.annotations.runbook_url).toMatch(/docs\/runbook\.md#kafkaconnecttaskfailed$/);
});

test('a healthy connector fires no alert', async () => {
  const all = await alerts();
  expect(all.filter((a) => a.labels.connector === healthyName)).toEqual([]);
  // The sidecar and the REST API are up: no availability alert either.
  expect(
    all.filter((a) =>
      ['ConnectSentinelDown', 'KafkaConnectRestUnreachable'].includes(a.labels.alertname ?? ''),
    ),
  ).toEqual([]);
});
