/**
 * Integration: following Connect's status topic on the real stack. A Connect worker of its own (its own
 * group and status topic on the shared broker), so no other test's connectors cause polls in between, and
 * a poll interval of a minute: whatever /metrics shows sooner came from the topic.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import '../stack/context.js';
import type { Notification } from '../../src/notify/events.js';
import type { ClusterSnapshot } from '../../src/state/snapshot.js';
import { samples, value, type Sample } from '../helpers/exposition.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';
import {
  startExtraWorker,
  startPrivateStack,
  stopAll,
  type ConnectWorker,
  type PrivateStack,
} from '../stack/control.js';
import { freePort } from '../stack/ports.js';
import {
  deleteConnector,
  failingTask,
  healthySink,
  kafkaClient,
  produce,
  putConnector,
  readTopic,
  waitForConnectorState,
} from '../stack/scenarios.js';

const stack = inject('stack');
const run = Date.now().toString(36);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Scrapes /metrics every 10 ms until `check` holds; returns the samples and when they were read. */
async function scrapeUntil(
  s: TestSentinel,
  check: (m: Sample[]) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<{ at: number; metrics: Sample[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metrics = await s.metrics();
    const at = Date.now();
    if (check(metrics)) return { at, metrics };
    if (at > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const taskState = (m: Sample[], connector: string): string | undefined =>
  samples(m, 'kafka_connect_task_state', { connector, task: '0' }).find((x) => x.value === 1)?.labels.state;
const lastPoll = (m: Sample[]): number | undefined =>
  value(m, 'connect_sentinel_last_successful_poll_timestamp_seconds', { source: 'connect' });

describe('following the status topic of a real worker', () => {
  let worker: ConnectWorker;
  let sentinel: TestSentinel;
  const prefix = `st-${run}`;
  const ctx = () => ({ target: worker.url, bootstrap: stack.bootstrap, prefix });

  beforeAll(async () => {
    worker = await startExtraWorker(stack);
    // One connector before the sidecar starts: the bootstrap must find it in the topic.
    const early = await failingTask({ ...ctx(), prefix: `${prefix}-early` }, 300);
    await waitForConnectorState(worker.url, early.name, (s) => s.tasks[0]?.state === 'FAILED');
    sentinel = await startSentinel([
      '--connect.url',
      worker.url,
      '--connect.name',
      'st',
      '--kafka.brokers',
      stack.bootstrap,
      '--connect.status-topic',
      worker.topics.status,
      '--poll.interval',
      '60s',
    ]);
  });
  afterAll(async () => {
    await sentinel?.stop();
    await stopAll();
  });

  test('the follower is up on the topic configured, having read it to its end', async () => {
    const m = await sentinel.metrics();
    expect(value(m, 'connect_sentinel_status_follower_up', { connect_cluster: 'st' })).toBe(1);
    expect(value(m, 'connect_sentinel_status_topic_info', { topic: worker.topics.status })).toBe(1);
    expect(value(m, 'connect_sentinel_status_events_total')).toBeGreaterThan(0);
    expect(value(m, 'connect_sentinel_status_records_skipped_total')).toBe(0);
    expect(value(m, 'connect_sentinel_status_lag_records')).toBe(0);
  });

  test('a task made to fail is on /metrics within 1 s of its status record', async () => {
    const sc = await failingTask({ ...ctx(), prefix: `${prefix}-latency` }, 3_000);
    // A record of a connector no poll has shown makes a poll at once: it is known long before a minute.
    const known = await scrapeUntil(
      sentinel,
      (m) => taskState(m, sc.name) === 'RUNNING',
      'the new connector',
    );
    const failed = await scrapeUntil(sentinel, (m) => taskState(m, sc.name) === 'FAILED', 'the failure');
    const record = (await readTopic(stack.bootstrap, worker.topics.status)).find(
      (r) => r.key === `status-task-${sc.name}-0` && r.value?.includes('"FAILED"') === true,
    );
    expect(record).toBeDefined();
    const latency = failed.at - record!.timestamp;
    console.log(`[status] FAILED on /metrics ${latency} ms after its status record`);
    expect(latency).toBeLessThan(1_000);
    // No poll in between: the last one is the one that made the connector known.
    expect(lastPoll(failed.metrics)).toBe(lastPoll(known.metrics));
    expect(
      value(failed.metrics, 'kafka_connect_task_failures_total', { connector: sc.name, task: '0' }),
    ).toBe(1);
  });

  test('a FAILED → RUNNING flap between two polls counts 1; a failure the poll sees too counts once', async () => {
    const sc = await failingTask({ ...ctx(), prefix: `${prefix}-flap` }, 1_500);
    await scrapeUntil(sentinel, (m) => taskState(m, sc.name) === 'RUNNING', 'the new connector');
    const failed = await scrapeUntil(sentinel, (m) => taskState(m, sc.name) === 'FAILED', 'the failure');
    // The fix is deployed at once: the task restarts healthy.
    await putConnector(worker.url, sc.name, {
      'connector.class': 'sentinel.stack.FailingSinkConnector',
      'tasks.max': '1',
      topics: sc.topics[0]!,
      mock_mode: 'healthy',
    });
    const recovered = await scrapeUntil(sentinel, (m) => taskState(m, sc.name) === 'RUNNING', 'the recovery');
    expect(lastPoll(recovered.metrics)).toBe(lastPoll(failed.metrics));
    const failures = (m: Sample[]) =>
      value(m, 'kafka_connect_task_failures_total', { connector: sc.name, task: '0' });
    expect(failures(recovered.metrics)).toBe(1);

    // The poll agrees (RUNNING): nothing more to count.
    await sentinel.sentinel.pollNow();
    expect(failures(await sentinel.metrics())).toBe(1);

    // It fails again and stays FAILED: seen by the topic, then by a poll, counted once.
    await putConnector(worker.url, sc.name, {
      'connector.class': 'sentinel.stack.FailingSinkConnector',
      'tasks.max': '1',
      topics: sc.topics[0]!,
      mock_mode: 'task-failure',
      delay_ms: '300',
    });
    await scrapeUntil(sentinel, (m) => taskState(m, sc.name) === 'FAILED', 'the second failure');
    await sentinel.sentinel.pollNow();
    const after = await sentinel.metrics();
    expect(taskState(after, sc.name)).toBe('FAILED');
    expect(failures(after)).toBe(2);
  });

  test('deleting a connector removes its series at once', async () => {
    const sc = await healthySink({ ...ctx(), prefix: `${prefix}-del` });
    const shown = await scrapeUntil(
      sentinel,
      (m) => taskState(m, sc.name) === 'RUNNING',
      'the new connector',
    );
    const t0 = Date.now();
    await deleteConnector(worker.url, sc.name);
    const gone = await scrapeUntil(
      sentinel,
      (m) => samples(m, 'kafka_connect_connector_state', { connector: sc.name }).length === 0,
      'the deletion',
    );
    console.log(`[status] deleted connector gone from /metrics ${gone.at - t0} ms after DELETE was sent`);
    expect(gone.at - t0).toBeLessThan(2_000);
    expect(samples(gone.metrics, 'kafka_connect_task_state', { connector: sc.name })).toEqual([]);
    expect(lastPoll(gone.metrics)).toBe(lastPoll(shown.metrics));
  });

  test('a restarted sidecar (topic discovered) publishes the state rebuilt from the topic with its first poll', async () => {
    const firsts: ClusterSnapshot[] = [];
    const again = await startSentinel(
      [
        '--connect.url',
        worker.url,
        '--connect.name',
        'again',
        '--kafka.brokers',
        stack.bootstrap,
        '--poll.interval',
        '60s',
      ],
      { onSnapshot: (s) => firsts.push(s) },
    );
    try {
      const first = firsts[0]!;
      expect(first.status).toMatchObject({ topic: worker.topics.status, up: true, lagRecords: 0 });
      expect(first.status!.eventsTotal).toBeGreaterThan(0);
      expect(
        first.connect.connectors.find((c) => c.name === `${prefix}-early-failing-task`)?.tasks[0]?.state,
      ).toBe('FAILED');
      const m = await again.metrics();
      expect(value(m, 'connect_sentinel_status_follower_up', { connect_cluster: 'again' })).toBe(1);
    } finally {
      // Within main.ts's 2 s hard stop, though a long poll is in flight.
      const t0 = Date.now();
      await again.stop();
      expect(Date.now() - t0).toBeLessThan(2_000);
    }
  });

  test('healing and webhooks act on a failure read from the topic, without waiting for a poll', async () => {
    const events: Notification[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Notification);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const heal = await startSentinel([
      '--connect.url',
      worker.url,
      '--connect.name',
      'heal',
      '--kafka.brokers',
      stack.bootstrap,
      '--connect.status-topic',
      worker.topics.status,
      '--poll.interval',
      '60s',
      '--restart.enabled',
      '--restart.backoff-base',
      '1s',
      '--restart.include',
      `${prefix}-heal-.*`,
      '--notify.webhook-url',
      `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    ]);
    try {
      const sc = await failingTask({ ...ctx(), prefix: `${prefix}-heal` }, 1_500);
      await scrapeUntil(heal, (m) => taskState(m, sc.name) === 'RUNNING', 'the new connector');
      const failed = await scrapeUntil(heal, (m) => taskState(m, sc.name) === 'FAILED', 'the failure');
      const restarted = await scrapeUntil(
        heal,
        (m) => (value(m, 'connect_sentinel_restart_attempts_total', { connector: sc.name }) ?? 0) >= 1,
        'a restart',
        15_000,
      );
      expect(lastPoll(restarted.metrics)).toBe(lastPoll(failed.metrics));
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.connector === sc.name && e.event === 'failed') && Date.now() < deadline)
        await sleep(50);
      expect(events.filter((e) => e.connector === sc.name).map((e) => e.event)).toContain('failed');
    } finally {
      await heal.stop();
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});

describe('REST only when the status topic cannot be followed', () => {
  const worker = stack.workers[0]!;
  const base = ['--connect.url', worker.url, '--kafka.brokers', stack.bootstrap];

  beforeAll(async () => {
    const sc = await healthySink({
      target: worker.url,
      bootstrap: stack.bootstrap,
      prefix: `rest-only-${run}`,
    });
    await waitForConnectorState(worker.url, sc.name, (st) => st.tasks[0]?.state === 'RUNNING');
  });

  async function restOnly(s: TestSentinel, reason: (m: Sample[]) => boolean): Promise<Sample[]> {
    const { metrics } = await scrapeUntil(s, reason, 'the follower to give up', 30_000);
    expect(value(metrics, 'connect_sentinel_status_follower_up')).toBe(0);
    expect(value(metrics, 'kafka_connect_up')).toBe(1);
    expect(samples(metrics, 'kafka_connect_connector_state').length).toBeGreaterThan(0);
    await s.sentinel.pollNow();
    expect(value(await s.metrics(), 'kafka_connect_up')).toBe(1);
    return metrics;
  }

  test('a topic that does not exist', async () => {
    const s = await startSentinel([
      ...base,
      '--connect.name',
      'missing',
      '--connect.status-topic',
      `nope-${run}`,
    ]);
    try {
      await restOnly(s, () => true);
      expect(s.sentinel.snapshot('missing')?.status?.error).toMatch(/does not exist/);
    } finally {
      await s.stop();
    }
  });

  test('a topic of garbage records', async () => {
    const topic = `garbage-status-${run}`;
    await produce(stack.bootstrap, topic, [
      { key: 'not a status key', value: 'x' },
      { key: 'status-connector-x', value: '{broken' },
      { key: null, value: '\u0000\u0001' },
    ]);
    const s = await startSentinel([...base, '--connect.name', 'garbage', '--connect.status-topic', topic]);
    try {
      const m = await restOnly(s, (x) => value(x, 'connect_sentinel_status_records_skipped_total') === 3);
      expect(value(m, 'connect_sentinel_status_events_total')).toBe(0);
      expect(s.sentinel.snapshot('garbage')?.status?.error).toMatch(/no Connect status record among the 3/);
    } finally {
      await s.stop();
    }
  });
});

describe('REST only when reads of the status topic are denied', () => {
  let priv: PrivateStack;
  let saslPort: number;
  let statusTopic: string;

  beforeAll(async () => {
    saslPort = await freePort();
    // PLAINTEXT (the worker) is ANONYMOUS, a super user; the sidecar logs in as "sentinel" over SASL/PLAIN.
    priv = await startPrivateStack({
      version: stack.kafkaVersion,
      kafka: {
        extraProps: ({ port, controllerPort }) => ({
          listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
          'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
          'listener.security.protocol.map':
            'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
          'sasl.enabled.mechanisms': 'PLAIN',
          'listener.name.sasl_plaintext.plain.sasl.jaas.config':
            'org.apache.kafka.common.security.plain.PlainLoginModule required user_sentinel="sentinel-secret";',
          'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
          'super.users': 'User:ANONYMOUS',
          'allow.everyone.if.no.acl.found': 'true',
        }),
      },
    });
    const w = priv.workers[0]!;
    statusTopic = w.topics.status;
    // The sidecar may see the topic (DESCRIBE) but not read it.
    const admin = kafkaClient(priv.kafka.bootstrap).admin();
    await admin.connect();
    try {
      const acl = (operation: AclOperationTypes, permissionType: AclPermissionTypes) => ({
        resourceType: AclResourceTypes.TOPIC,
        resourceName: statusTopic,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:sentinel',
        host: '*',
        operation,
        permissionType,
      });
      await admin.createAcls({
        acl: [
          acl(AclOperationTypes.DESCRIBE, AclPermissionTypes.ALLOW),
          acl(AclOperationTypes.READ, AclPermissionTypes.DENY),
        ],
      });
    } finally {
      await admin.disconnect();
    }
    const sc = await healthySink({ target: w.url, bootstrap: priv.kafka.bootstrap, prefix: `denied-${run}` });
    await waitForConnectorState(w.url, sc.name, (st) => st.tasks[0]?.state === 'RUNNING');
  });
  afterAll(async () => {
    await priv?.stop();
  });

  test('denied reads: REST only, follower at 0, saying which permission is missing', async () => {
    const s = await startSentinel(
      [
        '--connect.url',
        priv.workers[0]!.url,
        '--connect.name',
        'denied',
        '--kafka.brokers',
        `127.0.0.1:${saslPort}`,
        '--kafka.sasl.mechanism',
        'plain',
        '--kafka.sasl.username',
        'sentinel',
        '--connect.status-topic',
        statusTopic,
      ],
      {},
      { CONNECT_SENTINEL_KAFKA_SASL_PASSWORD: 'sentinel-secret' },
    );
    try {
      const { metrics } = await scrapeUntil(
        s,
        () => s.sentinel.snapshot('denied')?.status?.error !== undefined,
        'the follower to give up',
        30_000,
      );
      expect(s.sentinel.snapshot('denied')?.status?.error).toMatch(/denied \(TOPIC_AUTHORIZATION_FAILED\)/);
      expect(value(metrics, 'connect_sentinel_status_follower_up')).toBe(0);
      expect(value(metrics, 'kafka_connect_up')).toBe(1);
      expect(value(metrics, 'kafka_connect_kafka_up')).toBe(1);
      expect(
        samples(metrics, 'kafka_connect_task_state', { state: 'RUNNING' }).some((x) => x.value === 1),
      ).toBe(true);
    } finally {
      await s.stop();
    }
  });
});
