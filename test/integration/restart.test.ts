/**
 * Integration: healing on the real stack. An in-process connect-sentinel with the restarter and a webhook,
 * talking to a real Connect worker through a recording proxy (so the test knows every request the worker
 * got), restarting real FAILED tasks.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import '../stack/context.js';
import type { Notification } from '../../src/notify/events.js';
import { samples, value, type Sample } from '../helpers/exposition.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';
import {
  connectorState,
  createTopic,
  failingConnector,
  failingTask,
  getStatus,
  pauseConnector,
  produce,
  putConnector,
  stopConnector,
  stoppedNoTasks,
  waitForConnectorState,
  type ConnectorStatus,
} from '../stack/scenarios.js';

const stack = inject('stack');
const worker = stack.workers[0]!;
const run = Date.now().toString(36);

/** Forwards to the worker and records every request, so "never touched" is checked at the worker's door. */
interface RecordingProxy {
  readonly url: string;
  readonly posts: string[];
  /** Epoch ms of each entry of posts. */
  readonly times: number[];
  /** The worker's answer to each entry of posts (0 until it answered). */
  readonly statuses: number[];
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<RecordingProxy> {
  const posts: string[] = [];
  const times: number[] = [];
  const statuses: number[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    let index = -1;
    if (req.method !== 'GET') {
      index = posts.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`) - 1;
      times.push(Date.now());
      statuses.push(0);
    }
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        if (index >= 0) statuses[index] = up.statusCode ?? 502;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    times,
    statuses,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Receiver {
  readonly url: string;
  readonly events: Notification[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const events: Notification[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Notification);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A Sentinel as main.ts builds it (restarter and webhook from the same flags), with fast webhook retries. */
async function startHealingSentinel(argv: string[]): Promise<{ sentinel: TestSentinel }> {
  return { sentinel: await startSentinel(argv, { webhook: { retryBaseMs: 100 } }) };
}

/**
 * The restart requests the worker took (2xx). A shared worker rebalances while other tests create connectors:
 * a restart answered 409 then is sent again and counts as no attempt, so 409s are left out here (and checked
 * to be the only other answer).
 */
const restartPosts = (proxy: RecordingProxy, connector: string): string[] => {
  const sent = proxy.posts.flatMap((p, i) =>
    p.startsWith(`POST /connectors/${connector}/`) ? [{ p, status: proxy.statuses[i] ?? 0 }] : [],
  );
  expect(sent.filter((x) => x.status >= 300 && x.status !== 409)).toEqual([]);
  return sent.filter((x) => x.status >= 200 && x.status < 300).map((x) => x.p);
};

const gauge = (m: Sample[], name: string, connector: string): number | undefined =>
  value(m, name, { connect_cluster: 'heal', connector });

const mine = (
  events: readonly Notification[],
  connector: string,
): [string, number | null, string | null, string | null, number | undefined][] =>
  events
    .filter((e) => e.connector === connector)
    .map((e) => [e.event, e.task, e.from, e.to, e.restart?.attempt]);

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/**
 * Backoff base of the healing tests. A restarted task can take over a second to show RUNNING on a busy
 * 2-core machine; with a 1 s base the second attempt (after 2 s) sometimes came before the first one's
 * effect was visible, and the transient failure then took two restarts.
 */
const BASE_MS = 2_000;

describe('healing: restarts with backoff and a budget, on a real worker', () => {
  const prefix = `heal-${run}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const lateDir = path.join(dir, 'appears-later');
  const names = {
    transient: `${prefix}-transient`,
    permanent: '',
    paused: `${prefix}-paused-failing`,
    stopped: `${prefix}-stopped-failing`,
  };
  let proxy: RecordingProxy;
  let receiver: Receiver;
  let sentinel: TestSentinel;
  let before: Record<'paused' | 'stopped', ConnectorStatus | undefined>;

  beforeAll(async () => {
    const ctx = { target: worker.url, bootstrap: stack.bootstrap, prefix };
    const transientTopic = `${prefix}-transient-in`;
    await produce(stack.bootstrap, transientTopic, ['written after the heal']);
    // FileStreamSinkTask.start() opens its file: a directory that does not exist yet fails the task.
    await putConnector(worker.url, names.transient, {
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      'tasks.max': '1',
      topics: transientTopic,
      file: path.join(lateDir, 'out.txt'),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    });
    const permanent = await failingTask(ctx, 300);
    names.permanent = permanent.name;

    // A PAUSED connector whose task is FAILED, and a STOPPED connector that had FAILED: the user's call.
    const pausedTopic = `${prefix}-paused-in`;
    await createTopic(stack.bootstrap, pausedTopic);
    await putConnector(worker.url, names.paused, {
      'connector.class': 'sentinel.stack.FailingSinkConnector',
      'tasks.max': '1',
      topics: pausedTopic,
      mock_mode: 'task-failure',
      delay_ms: '300',
    });
    const stoppedScenario = await failingConnector({ ...ctx, prefix: `${prefix}-s` }, 300);
    names.stopped = stoppedScenario.name;

    const transient = await waitForConnectorState(
      worker.url,
      names.transient,
      (s) => s.tasks[0]?.state === 'FAILED',
    );
    expect(transient.tasks[0]?.trace).toMatch(/Couldn't find or create file/);
    await waitForConnectorState(worker.url, names.permanent, (s) => s.tasks[0]?.state === 'FAILED');
    await waitForConnectorState(worker.url, names.paused, (s) => s.tasks[0]?.state === 'FAILED');
    await pauseConnector(worker.url, names.paused);
    await waitForConnectorState(worker.url, names.stopped, connectorState('FAILED'));
    await stopConnector(worker.url, names.stopped);
    before = {
      paused: await waitForConnectorState(
        worker.url,
        names.paused,
        (s) => s.connector.state === 'PAUSED' && s.tasks[0]?.state === 'FAILED',
      ),
      stopped: await waitForConnectorState(worker.url, names.stopped, stoppedNoTasks),
    };

    // The operator fixes the cause of the transient failure (the directory appears), then healing starts.
    fs.mkdirSync(lateDir);
    proxy = await startProxy(worker.url);
    receiver = await startReceiver();
    ({ sentinel } = await startHealingSentinel([
      '--connect.url',
      proxy.url,
      '--connect.name',
      'heal',
      '--restart.enabled',
      '--restart.max-attempts',
      '3',
      '--restart.backoff-base',
      `${BASE_MS}ms`,
      '--restart.include',
      `${prefix}-.*`,
      '--notify.webhook-url',
      receiver.url,
    ]));
  });

  afterAll(async () => {
    await sentinel?.stop();
    await proxy?.close();
    await receiver?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a transient failure is healed with one restart (FileStreamSink, directory created later)', async () => {
    const m = await waitForMetrics(
      sentinel,
      (s) =>
        value(s, 'kafka_connect_task_state', { connector: names.transient, task: '0', state: 'RUNNING' }) ===
        1,
      30_000,
      'the transient task RUNNING',
    );
    expect(gauge(m, 'connect_sentinel_restart_attempts_total', names.transient)).toBe(1);
    expect(gauge(m, 'connect_sentinel_restart_failures_total', names.transient)).toBe(0);
    expect(gauge(m, 'connect_sentinel_restart_budget_exhausted', names.transient)).toBe(0);
    // One KIP-745 request: connector and failed tasks, only the failed ones.
    expect(restartPosts(proxy, names.transient)).toEqual([
      `POST /connectors/${names.transient}/restart?includeTasks=true&onlyFailed=true`,
    ]);
    // Healed for real: the record waiting in the topic reaches the file.
    await waitUntil(
      () =>
        fs.existsSync(path.join(lateDir, 'out.txt')) &&
        fs.readFileSync(path.join(lateDir, 'out.txt'), 'utf8').includes('written after the heal'),
      30_000,
    );
    // And it stays healed: no second restart.
    await sleep(3_000);
    expect(restartPosts(proxy, names.transient)).toHaveLength(1);
    expect((await getStatus(worker.url, names.transient))?.tasks[0]?.state).toBe('RUNNING');
  });

  test('a permanent failure is restarted until the budget is spent, then left alone with the gauge at 1', async () => {
    const m = await waitForMetrics(
      sentinel,
      (s) => gauge(s, 'connect_sentinel_restart_budget_exhausted', names.permanent) === 1,
      120_000,
      'budget exhausted for the permanently failing task',
    );
    expect(gauge(m, 'connect_sentinel_restart_attempts_total', names.permanent)).toBe(3);
    expect(gauge(m, 'connect_sentinel_restart_failures_total', names.permanent)).toBe(0);
    expect(restartPosts(proxy, names.permanent)).toHaveLength(3);
    // The backoff: attempt 2 waits (1²+1) × base, attempt 3 (2²+2) × base. Later than that only by
    // the time the restarted task takes to fail again (a poll sees RESTARTING/RUNNING meanwhile).
    const at = proxy.posts.flatMap((p, i) =>
      p.startsWith(`POST /connectors/${names.permanent}/`) &&
      proxy.statuses[i]! >= 200 &&
      proxy.statuses[i]! < 300
        ? [proxy.times[i]!]
        : [],
    );
    const gaps = [at[1]! - at[0]!, at[2]! - at[1]!];
    // The backoff runs from the decision; the proxy sees each request a few ms later, by a varying amount.
    const slack = 100;
    expect(gaps[0]).toBeGreaterThanOrEqual(2 * BASE_MS - slack);
    expect(gaps[0]).toBeLessThan(2 * BASE_MS + 6_000);
    expect(gaps[1]).toBeGreaterThanOrEqual(6 * BASE_MS - slack);
    expect(gaps[1]).toBeLessThan(6 * BASE_MS + 6_000);
    console.log(`restart gaps on the real worker: ${gaps.join(' ms, ')} ms`);
    // Left alone: a few more seconds of polls (10+), no request, still FAILED, gauge still 1.
    await sleep(5_000);
    expect(restartPosts(proxy, names.permanent)).toHaveLength(3);
    expect((await getStatus(worker.url, names.permanent))?.tasks[0]?.state).toBe('FAILED');
    const later = await waitForMetrics(sentinel, () => true, 5_000, 'a scrape');
    expect(gauge(later, 'connect_sentinel_restart_budget_exhausted', names.permanent)).toBe(1);
    expect(gauge(later, 'connect_sentinel_restart_attempts_total', names.permanent)).toBe(3);
  });

  test('PAUSED and STOPPED connectors are never touched', async () => {
    // By now the sentinel has polled for many seconds (the tests above ran).
    expect(restartPosts(proxy, names.paused)).toEqual([]);
    expect(restartPosts(proxy, names.stopped)).toEqual([]);
    expect(proxy.posts.filter((p) => !p.startsWith('POST /connectors/') || !p.includes('/restart'))).toEqual(
      [],
    );
    const paused = await getStatus(worker.url, names.paused);
    expect([paused?.connector.state, paused?.tasks[0]?.state]).toEqual(['PAUSED', 'FAILED']);
    expect(paused?.tasks[0]?.trace).toBe(before.paused?.tasks[0]?.trace);
    expect((await getStatus(worker.url, names.stopped))?.connector.state).toBe('STOPPED');
    const m = await waitForMetrics(sentinel, () => true, 5_000, 'a scrape');
    for (const n of [names.paused, names.stopped]) {
      expect(gauge(m, 'connect_sentinel_restart_attempts_total', n)).toBe(0);
      expect(gauge(m, 'connect_sentinel_restart_budget_exhausted', n)).toBe(0);
    }
    // Only the included connectors have restart series, not those of other tests on the same worker.
    const series = samples(m, 'connect_sentinel_restart_attempts_total', { connect_cluster: 'heal' });
    expect(series.every((s) => s.labels.connector?.startsWith(`${prefix}-`))).toBe(true);
  });

  test('the webhook receiver gets exactly the expected events', async () => {
    // What the sidecar says it delivered is what the receiver got (the counters follow one poll later).
    const notified = (s: Sample[], outcome: string): number | undefined =>
      value(s, 'connect_sentinel_notifications_total', { connect_cluster: 'heal', outcome });
    const m = await waitForMetrics(
      sentinel,
      (s) => notified(s, 'delivered') === receiver.events.length,
      15_000,
      'connect_sentinel_notifications_total{outcome="delivered"} equal to the events received',
    );
    expect([notified(m, 'failed'), notified(m, 'dropped')]).toEqual([0, 0]);
    // Stopping drains the restarts in flight and the webhook queue.
    await sentinel.stop();
    expect(mine(receiver.events, names.transient)).toEqual([
      ['failed', 0, null, 'FAILED', undefined],
      ['restarted', null, 'RUNNING', null, 1],
      ['recovered', 0, expect.stringMatching(/^(FAILED|RESTARTING|UNASSIGNED)$/), 'RUNNING', undefined],
    ]);
    expect(mine(receiver.events, names.paused)).toEqual([['failed', 0, null, 'FAILED', undefined]]);
    expect(mine(receiver.events, names.stopped)).toEqual([]);
    // The permanent one: restarted 1, 2, 3 and one budget_exhausted; between restarts the task may be seen
    // RUNNING for a moment (recovered, then failed again), but never two failures without a recovery between.
    const perm = mine(receiver.events, names.permanent);
    expect(perm.filter((e) => e[0] === 'restarted').map((e) => e[4])).toEqual([1, 2, 3]);
    expect(perm.filter((e) => e[0] === 'budget_exhausted')).toEqual([
      ['budget_exhausted', null, 'RUNNING', null, 3],
    ]);
    expect(perm[0]).toEqual(['failed', 0, null, 'FAILED', undefined]);
    const ups = perm.filter((e) => e[0] === 'failed' || e[0] === 'recovered').map((e) => e[0]);
    expect(ups.every((e, i) => e === (i % 2 === 0 ? 'failed' : 'recovered'))).toBe(true);
    const body = receiver.events.find(
      (e) => e.connector === names.permanent && e.event === 'budget_exhausted',
    );
    expect(body).toMatchObject({
      version: 1,
      cluster: 'heal',
      restart: { maxAttempts: 3, dryRun: false, nextAllowedAt: null },
    });
    // Connect's wrapper first, and the root cause from further down the trace.
    expect(body?.trace).toMatch(
      /^org\.apache\.kafka\.connect\.errors\.ConnectException: Exiting WorkerSinkTask/,
    );
    expect(body?.trace).toMatch(
      /\nCaused by: java\.lang\.RuntimeException: simulated task failure \(mock_mode=task-failure\)$/,
    );
    // No event twice.
    expect(new Set(receiver.events.map((e) => e.id)).size).toBe(receiver.events.length);
  });
});

describe('dry-run', () => {
  const prefix = `heal-dry-${run}`;
  let proxy: RecordingProxy;
  let receiver: Receiver;
  let sentinel: TestSentinel;
  let name = '';

  beforeAll(async () => {
    const sc = await failingTask({ target: worker.url, bootstrap: stack.bootstrap, prefix }, 300);
    name = sc.name;
    await waitForConnectorState(worker.url, name, (s) => s.tasks[0]?.state === 'FAILED');
    proxy = await startProxy(worker.url);
    receiver = await startReceiver();
    ({ sentinel } = await startHealingSentinel([
      '--connect.url',
      proxy.url,
      '--connect.name',
      'heal',
      '--restart.enabled',
      '--restart.dry-run',
      '--restart.max-attempts',
      '3',
      '--restart.backoff-base',
      '200ms',
      '--restart.include',
      `${prefix}-.*`,
      '--notify.webhook-url',
      receiver.url,
    ]));
  });

  afterAll(async () => {
    await sentinel?.stop();
    await proxy?.close();
    await receiver?.close();
  });

  test('decides, counts and notifies like a real run, and changes nothing on the worker', async () => {
    const before = await getStatus(worker.url, name);
    const m = await waitForMetrics(
      sentinel,
      (s) => gauge(s, 'connect_sentinel_restart_budget_exhausted', name) === 1,
      30_000,
      'dry-run budget exhausted',
    );
    expect(gauge(m, 'connect_sentinel_restart_attempts_total', name)).toBe(3);
    expect(proxy.posts).toEqual([]);
    const after = await getStatus(worker.url, name);
    expect(after?.tasks[0]?.state).toBe('FAILED');
    expect(after?.tasks[0]?.trace).toBe(before?.tasks[0]?.trace);
    // Stopping drains the restarts in flight and the webhook queue.
    await sentinel.stop();
    expect(mine(receiver.events, name)).toEqual([
      ['failed', 0, null, 'FAILED', undefined],
      ['restarted', null, 'RUNNING', null, 1],
      ['restarted', null, 'RUNNING', null, 2],
      ['restarted', null, 'RUNNING', null, 3],
      ['budget_exhausted', null, 'RUNNING', null, 3],
    ]);
    expect(
      receiver.events
        .filter((e) => e.connector === name && e.restart)
        .every((e) => e.restart?.dryRun === true),
    ).toBe(true);
  });
});

/**
 * sentinel.waitForMetrics, but tolerant of a scrape the strict test parser rejects: prom-client writes NaN as
 * "Nan" (nodejs_eventloop_lag_mean_seconds right after start), which Prometheus accepts and the parser does not.
 */
async function waitForMetrics(
  s: TestSentinel,
  check: (m: Sample[]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const m = await s.metrics();
      if (check(m)) return m;
      last = 'condition false';
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${last})`);
    await sleep(200);
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(200);
  }
}
