/**
 * Integration: connect-sentinel against the real Kafka + Connect stack (Maven Central jars on 127.0.0.1).
 * States, traces, deletion, a killed and restarted worker, REST basic auth, two clusters at once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import '../stack/context.js';
import { startExtraWorker, stopAll, type ConnectWorker } from '../stack/control.js';
import {
  allRunning,
  deleteConnector,
  failingConnector,
  healthySink,
  pausedSink,
  poisonPillSink,
  stoppedSink,
  waitForConnectorState,
  waitForScenarios,
  type Scenario,
} from '../stack/scenarios.js';
import { parseExposition, samples, value } from '../helpers/exposition.js';
import { promtoolCheckMetrics } from '../helpers/promtool.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';

const stack = inject('stack');
const worker = stack.workers[0]!;
const prefix = `core-${Date.now().toString(36)}`;

describe('one cluster: states, traces, deletion', () => {
  let sentinel: TestSentinel;
  let sc: Record<'healthy' | 'failingConnector' | 'poison' | 'paused' | 'stopped', Scenario>;

  beforeAll(async () => {
    const ctx = { target: worker.url, bootstrap: stack.bootstrap, prefix };
    const [healthy, fc, poison, paused, stopped] = await Promise.all([
      healthySink(ctx),
      failingConnector(ctx),
      poisonPillSink(ctx),
      pausedSink(ctx),
      stoppedSink(ctx),
    ]);
    sc = { healthy, failingConnector: fc, poison, paused, stopped };
    await waitForScenarios(worker.url, sc);
    sentinel = await startSentinel(['--connect.url', worker.url, '--connect.name', 'it']);
  });
  afterAll(async () => {
    await sentinel?.stop();
  });

  const state = (all: ReturnType<typeof parseExposition>, connector: string): string | undefined =>
    samples(all, 'kafka_connect_connector_state', { connect_cluster: 'it', connector }).find(
      (s) => s.value === 1,
    )?.labels.state;

  test('each connector and task shows its real state', async () => {
    const all = await sentinel.waitForMetrics(
      (m) => state(m, sc.failingConnector.name) === 'FAILED' && state(m, sc.stopped.name) === 'STOPPED',
      30_000,
      'scenario states',
    );
    expect(value(all, 'kafka_connect_up', { connect_cluster: 'it' })).toBe(1);
    expect(state(all, sc.healthy.name)).toBe('RUNNING');
    expect(state(all, sc.paused.name)).toBe('PAUSED');
    expect(state(all, sc.poison.name)).toBe('RUNNING');
    expect(
      value(all, 'kafka_connect_task_state', { connector: sc.poison.name, task: '0', state: 'FAILED' }),
    ).toBe(1);
    expect(
      value(all, 'kafka_connect_task_state', { connector: sc.paused.name, task: '0', state: 'PAUSED' }),
    ).toBe(1);
    expect(value(all, 'kafka_connect_connector_tasks', { connector: sc.stopped.name })).toBe(0);
    expect(samples(all, 'kafka_connect_task_state', { connector: sc.stopped.name })).toHaveLength(0);
    expect(
      value(all, 'kafka_connect_connector_failures_total', { connector: sc.failingConnector.name }),
    ).toBe(1);
    expect(value(all, 'kafka_connect_task_failures_total', { connector: sc.poison.name, task: '0' })).toBe(1);
    expect(
      value(all, 'kafka_connect_connector_info', {
        connector: sc.healthy.name,
        connector_type: 'sink',
        connector_class: 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      }),
    ).toBe(1);
    const info = samples(all, 'kafka_connect_info', { connect_cluster: 'it' });
    expect(info[0]?.labels.version).toBe(stack.kafkaVersion);
    const workerIds = new Set(stack.workers.map((w) => w.workerId));
    for (const t of samples(all, 'kafka_connect_task_info', { connect_cluster: 'it' })) {
      expect(workerIds.has(t.labels.worker_id!), t.labels.worker_id).toBe(true);
    }
  });

  test('the status API shows the FAILED task with its Java trace and the failed connector with its trace', async () => {
    const status = await sentinel.status();
    const cluster = status.clusters[0]!;
    const poison = cluster.connectors.find((c) => c.name === sc.poison.name)!;
    expect(poison.tasks[0]!.state).toBe('FAILED');
    expect(poison.tasks[0]!.trace).toMatch(
      /^org\.apache\.kafka\.connect\.errors\.ConnectException: Tolerance exceeded in error handler/,
    );
    const fc = cluster.connectors.find((c) => c.name === sc.failingConnector.name)!;
    expect(fc.state).toBe('FAILED');
    expect(fc.trace).toMatch(/^java\.lang\.RuntimeException/);
  });

  test('one REST request per poll against a real worker', async () => {
    // Other test files create connectors on the same cluster meanwhile; a poll may then meet a 409 retry
    // or a just-created connector that needs its own calls. Typical polls still cost exactly one request.
    const perPoll: number[] = [];
    for (let i = 0; i < 6; i++) {
      const status = await sentinel.status();
      expect(status.clusters[0]!.connect.expanded).toBe(true);
      perPoll.push(status.clusters[0]!.connect.requests);
      await new Promise((r) => setTimeout(r, 550));
    }
    expect(
      perPoll.filter((n) => n === 1).length,
      `requests per poll: ${perPoll.join(', ')}`,
    ).toBeGreaterThanOrEqual(3);
    expect(Math.max(...perPoll), `requests per poll: ${perPoll.join(', ')}`).toBeLessThanOrEqual(3);
  });

  test('promtool check metrics finds nothing wrong with the real output', async () => {
    const r = promtoolCheckMetrics(await sentinel.metricsText());
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test("a deleted connector's series are gone on the next poll", async () => {
    const doomed = await healthySink({
      target: worker.url,
      bootstrap: stack.bootstrap,
      prefix: `${prefix}-doomed`,
    });
    await waitForConnectorState(worker.url, doomed.name, allRunning(1));
    await sentinel.waitForMetrics(
      (m) => samples(m, 'kafka_connect_connector_state', { connector: doomed.name }).length === 1,
      20_000,
      'new connector',
    );
    await deleteConnector(worker.url, doomed.name);
    const all = await sentinel.waitForMetrics(
      (m) => samples(m, 'kafka_connect_connector_info', { connector: doomed.name }).length === 0,
      20_000,
      'deleted connector gone',
    );
    for (const fam of [
      'kafka_connect_connector_state',
      'kafka_connect_task_state',
      'kafka_connect_task_info',
      'kafka_connect_connector_failures_total',
      'kafka_connect_task_failures_total',
    ]) {
      expect(samples(all, fam, { connector: doomed.name }), fam).toHaveLength(0);
    }
    expect(state(all, sc.healthy.name)).toBe('RUNNING');
  });
});

describe('a private worker with REST basic auth: wrong password, kill, restart, two clusters', () => {
  let w: ConnectWorker;
  const auth = { username: 'sentinel', password: 'pa"ss w0rd' };
  let pwFile: string;

  beforeAll(async () => {
    w = await startExtraWorker(stack, { basicAuth: auth });
    const dir = mkdtempSync(join(tmpdir(), 'cs-core-'));
    pwFile = join(dir, 'password');
    writeFileSync(pwFile, `${auth.password}\n`);
    const target = { url: w.url, basicAuth: auth };
    const s = await healthySink({ target, bootstrap: stack.bootstrap, prefix: `${prefix}-auth` });
    await waitForConnectorState(target, s.name, allRunning(1));
  });
  afterAll(async () => {
    await stopAll();
  });

  test('the wrong password gives up 0 and says why; the right one gives the connectors', async () => {
    const wrong = await startSentinel(
      ['--connect.url', w.url, '--connect.username', auth.username],
      {},
      { CONNECT_PASSWORD: 'nope' },
    );
    try {
      const m = await wrong.metrics();
      expect(value(m, 'kafka_connect_up')).toBe(0);
      expect((await wrong.status()).clusters[0]!.connect.error).toMatch(
        /answered 401: User cannot access the resource/,
      );
    } finally {
      await wrong.stop();
    }
    const right = await startSentinel([
      '--connect.url',
      w.url,
      '--connect.username',
      auth.username,
      '--connect.password-file',
      pwFile,
    ]);
    try {
      const m = await right.metrics();
      expect(value(m, 'kafka_connect_up')).toBe(1);
      expect(
        value(m, 'kafka_connect_connector_state', {
          connector: `${prefix}-auth-healthy-sink`,
          state: 'RUNNING',
        }),
      ).toBe(1);
    } finally {
      await right.stop();
    }
  });

  test('worker killed: up 0 at once, series kept for stale-after then gone; worker back: recovers by itself', async () => {
    const s = await startSentinel([
      '--connect.url',
      w.url,
      '--connect.username',
      auth.username,
      '--connect.password-file',
      pwFile,
      '--stale-after',
      '3s',
      '--poll.timeout',
      '400ms',
    ]);
    const name = `${prefix}-auth-healthy-sink`;
    try {
      expect(value(await s.metrics(), 'kafka_connect_up')).toBe(1);
      await w.kill();
      const down = await s.waitForMetrics((m) => value(m, 'kafka_connect_up') === 0, 10_000, 'up 0');
      // Within stale-after the last good series are still there.
      expect(value(down, 'kafka_connect_connector_state', { connector: name, state: 'RUNNING' })).toBe(1);
      const gone = await s.waitForMetrics(
        (m) => samples(m, 'kafka_connect_connector_state', { connector: name }).length === 0,
        15_000,
        'series gone after stale-after',
      );
      expect(value(gone, 'kafka_connect_up')).toBe(0);
      expect(value(gone, 'connect_sentinel_poll_errors_total', { source: 'connect' })).toBeGreaterThan(0);
      await w.start();
      const back = await s.waitForMetrics(
        (m) =>
          value(m, 'kafka_connect_up') === 1 &&
          value(m, 'kafka_connect_connector_state', { connector: name, state: 'RUNNING' }) === 1,
        120_000,
        'recovery after worker restart',
      );
      expect(value(back, 'kafka_connect_connector_tasks', { connector: name })).toBe(1);
    } finally {
      await s.stop();
    }
  });

  test('two clusters at once from a YAML file, through the real CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-cli-'));
    const configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      [
        'poll:',
        '  interval: 500ms',
        'web:',
        '  listenAddress: 127.0.0.1:0',
        'clusters:',
        '  - name: shared',
        `    url: ${worker.url}`,
        '  - name: private',
        `    url: ${w.url}`,
        `    username: ${auth.username}`,
        `    passwordFile: ${pwFile}`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config.file', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline) {
        url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1];
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(url, out).toBeDefined();
      let m = parseExposition('');
      for (let i = 0; i < 100; i++) {
        m = parseExposition(await (await fetch(`${url}/metrics`)).text());
        if (
          value(m, 'kafka_connect_up', { connect_cluster: 'private' }) === 1 &&
          value(m, 'kafka_connect_up', { connect_cluster: 'shared' }) === 1
        )
          break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(value(m, 'kafka_connect_up', { connect_cluster: 'shared' })).toBe(1);
      expect(value(m, 'kafka_connect_up', { connect_cluster: 'private' })).toBe(1);
      expect(
        value(m, 'kafka_connect_connector_state', {
          connect_cluster: 'private',
          connector: `${prefix}-auth-healthy-sink`,
          state: 'RUNNING',
        }),
      ).toBe(1);
      expect(
        samples(m, 'kafka_connect_connector_state', {
          connect_cluster: 'shared',
          connector: `${prefix}-auth-healthy-sink`,
        }),
      ).toHaveLength(0);
      expect(out).not.toContain(auth.password);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, out).toBe(0);
  });
});

test('bad configuration exits 2 with one line per problem and starts nothing', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', '--connect.url', 'ftp://x', '--poll.interval', 'often'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  expect(code).toBe(2);
  expect(err.trim().split('\n')).toEqual([
    'connect-sentinel: config: --poll.interval: "often" is not a duration (e.g. 500ms, 15s, 2m, 1h)',
    'connect-sentinel: config: --connect.url: "ftp://x" must be an http:// or https:// URL',
  ]);
});
