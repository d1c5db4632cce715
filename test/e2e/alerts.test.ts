/**
 * End to end: a real Prometheus (Debian package) scrapes two real connect-sentinels watching the real
 * Connect stack, one in the default exposition and one with --exposition.state-sets, with the shipped
 * rules loaded (short `for`). In both, a FAILED task fires KafkaConnectTaskFailed (with its worker) and a
 * healthy connector fires nothing.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { buildRules } from '../../alerts/rules.js';
import '../stack/context.js';
import {
  allRunning,
  failingTask,
  healthySink,
  someTaskState,
  waitForConnectorState,
} from '../stack/scenarios.js';
import {
  startPrometheus,
  type PromAlert,
  type PromSample,
  type TestPrometheus,
} from '../helpers/prometheus.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';

const stack = inject('stack');
const worker = stack.workers[0]!;
const prefix = `e2e-${Date.now().toString(36)}`;

/** The sidecars, by the connect_cluster they publish: the same Connect cluster, one per exposition mode. */
const MODES = [
  ['e2e', []],
  ['e2e-state-sets', ['--exposition.state-sets']],
] as const;
const sentinels: TestSentinel[] = [];
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
  for (const [cluster, flags] of MODES)
    sentinels.push(
      await startSentinel([
        '--connect.url',
        worker.url,
        '--connect.name',
        cluster,
        '--poll.interval',
        '1s',
        ...flags,
      ]),
    );

  prometheus = await startPrometheus({
    scrapeConfigs: [
      {
        job_name: 'connect-sentinel',
        static_configs: [{ targets: sentinels.map((x) => new URL(x.url).host) }],
      },
    ],
    ruleGroups: buildRules({ jobSelector: 'job="connect-sentinel"', forOverride: '2s' }),
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all(sentinels.map((x) => x.stop()));
});

const alerts = (): Promise<PromAlert[]> => prometheus.alerts();
const query = (expr: string): Promise<PromSample[]> => prometheus.query(expr);

test.each(MODES)(
  'a FAILED task fires KafkaConnectTaskFailed, read back from Prometheus (connect_cluster %s)',
  async (cluster) => {
    const deadline = Date.now() + 60_000;
    let firing: PromAlert | undefined;
    let seen: PromAlert[] = [];
    while (!firing && Date.now() < deadline) {
      seen = await alerts();
      firing = seen.find(
        (a) =>
          a.labels.alertname === 'KafkaConnectTaskFailed' &&
          a.labels.connector === failingName &&
          a.labels.connect_cluster === cluster &&
          a.state === 'firing',
      );
      if (!firing) await new Promise((r) => setTimeout(r, 500));
    }
    expect(
      firing,
      `alerts seen: ${JSON.stringify(seen).slice(0, 2000)}\nprometheus log:\n${prometheus.log().slice(-2000)}`,
    ).toBeDefined();
    expect(firing!.labels).toMatchObject({
      connect_cluster: cluster,
      task: '0',
      state: 'FAILED',
      severity: 'critical',
      job: 'connect-sentinel',
    });
    expect(firing!.annotations.description).toContain(failingName);
    // Where to look in the logs: the task's worker, which both modes publish in kafka_connect_task_info.
    const info = await query(
      `kafka_connect_task_info{connect_cluster="${cluster}", connector="${failingName}", task="0"}`,
    );
    expect(info.map((x) => x.metric.worker_id)).toEqual([expect.stringMatching(/:\d+$/)]);
    expect(firing!.annotations.runbook_url).toMatch(/docs\/runbook\.md#kafkaconnecttaskfailed$/);
  },
);

test('the two sidecars really publish differently: 1 state series per task by default, 5 with StateSets', async () => {
  const perTask = async (cluster: string): Promise<number> => {
    const ours = `connect_cluster="${cluster}", connector=~"${failingName}|${healthyName}"`;
    const [states] = await query(`count(kafka_connect_task_state{${ours}})`);
    const [tasks] = await query(`count(kafka_connect_task_info{${ours}})`);
    return Number(states?.value[1]) / Number(tasks?.value[1]);
  };
  expect(await perTask('e2e')).toBe(1);
  expect(await perTask('e2e-state-sets')).toBe(5);
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
