/**
 * End to end: a real Prometheus (Debian package) scrapes two real connect-sentinels watching the real
 * Connect stack, one in the default exposition and one with --exposition.state-sets, with the shipped
 * rules loaded (short `for`). In both, a FAILED task fires KafkaConnectTaskFailed (with its worker) and a
 * healthy connector fires nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { buildRules } from '../../alerts/rules.js';
import '../stack/context.js';
import { freePort } from '../stack/ports.js';
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

interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

/** The sidecars, by the connect_cluster they publish: the same Connect cluster, one per exposition mode. */
const MODES = [
  ['e2e', []],
  ['e2e-state-sets', ['--exposition.state-sets']],
] as const;
const sentinels: TestSentinel[] = [];
let prometheus: ChildProcess;
let promUrl: string;
let promLog = '';
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

  const dir = mkdtempSync(join(tmpdir(), 'cs-prom-'));
  writeFileSync(
    join(dir, 'rules.yml'),
    stringify(buildRules({ jobSelector: 'job="connect-sentinel"', forOverride: '2s' })),
  );
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'rules.yml')],
      scrape_configs: [
        {
          job_name: 'connect-sentinel',
          static_configs: [{ targets: sentinels.map((x) => new URL(x.url).host) }],
        },
      ],
    }),
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    process.env.PROMETHEUS ?? 'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout?.on('data', (d: Buffer) => (promLog += d.toString()));
  prometheus.stderr?.on('data', (d: Buffer) => (promLog += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${promUrl}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || prometheus.exitCode !== null)
      throw new Error(`prometheus did not start:\n${promLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    prometheus.kill('SIGTERM');
    await new Promise((r) => prometheus.once('exit', r));
  }
  await Promise.all(sentinels.map((x) => x.stop()));
});

async function alerts(): Promise<PromAlert[]> {
  const body = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } };
  return body.data.alerts;
}

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`query ${expr} failed`);
  return body.data.result;
}

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
      `alerts seen: ${JSON.stringify(seen).slice(0, 2000)}\nprometheus log:\n${promLog.slice(-2000)}`,
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
