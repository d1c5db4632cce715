/** The status follower against the in-memory Kafka: bootstrap, long polls per leader, failures, discovery. */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  StatusFollower,
  type StatusFollowerOptions,
  type StatusUpdate,
} from '../../../src/kafka/status-follower.js';
import { createLogger } from '../../../src/log.js';
import { FakeKafka } from './fake-kafka.js';

const value = (state: string, generation = 1, worker = 'w1:8083', trace: string | null = null): string =>
  JSON.stringify({ state, trace, worker_id: worker, generation, version: '4.1.2' });

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

const running: StatusFollower[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});

/** `topic: undefined` makes it discover the topic; without the key it follows "st". */
function follow(
  k: FakeKafka,
  opts: Partial<Omit<StatusFollowerOptions, 'topic'>> & { topic?: string | undefined } = {},
) {
  const { topic = 'topic' in opts ? undefined : 'st', ...rest } = opts;
  const updates: StatusUpdate[] = [];
  const lines: LogLine[] = [];
  const logger = createLogger(
    'info',
    'json',
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()) as LogLine);
        cb();
      },
    }),
  );
  const follower = new StatusFollower({
    connection: k,
    ...(topic !== undefined ? { topic } : {}),
    connectorNames: async () => ['a', 'b'],
    onUpdate: (u) => updates.push(u),
    logger,
    timeoutMs: 1_000,
    maxWaitMs: 60_000,
    retryMinMs: 5,
    retryMaxMs: 20,
    ...rest,
  });
  running.push(follower);
  follower.start();
  return {
    follower,
    updates,
    lines,
    view: () => updates[updates.length - 1]?.view,
    records: () => updates.filter((u) => !u.bootstrap).flatMap((u) => u.records),
  };
}

describe('StatusFollower', () => {
  test('reads the compacted topic from the start and hands over the last record of each key at once', async () => {
    const k = new FakeKafka();
    k.createTopic('st', 2);
    k.produceKeyed('st', 0, 'status-connector-a', value('RUNNING'));
    k.produceKeyed('st', 0, 'status-task-a-0', value('RUNNING'));
    k.produceKeyed('st', 0, 'status-task-a-0', value('FAILED', 2, 'w1:8083', 'boom'));
    k.produceKeyed('st', 1, 'status-connector-gone', value('RUNNING'));
    k.produceKeyed('st', 1, 'status-connector-gone', null, 1_700_000_009_000);
    k.produceKeyed('st', 1, 'status-topic-in:connector-a', '{"topic":{"name":"in"}}');
    k.produceKeyed('st', 1, 'not-a-status-key', 'x');
    const t = follow(k);
    await vi.waitFor(() => expect(t.updates.length).toBeGreaterThan(0));
    const [boot] = t.updates;
    expect(boot!.bootstrap).toBe(true);
    expect(boot!.records).toEqual([
      { kind: 'connector', connector: 'a', status: { state: 'RUNNING', workerId: 'w1:8083', generation: 1 } },
      {
        kind: 'task',
        connector: 'a',
        task: 0,
        status: { state: 'FAILED', workerId: 'w1:8083', generation: 2, trace: 'boom' },
      },
      { kind: 'connector', connector: 'gone' },
    ]);
    expect(boot!.view).toEqual({
      topic: 'st',
      up: true,
      eventsTotal: 5,
      skippedTotal: 1,
      lastEventAt: 1_700_000_009_000,
      lagRecords: 0,
    });
    expect(t.lines.some((l) => /following Connect status topic st \(configured/.test(l.msg))).toBe(true);
  });

  test('follows the end: a record is handed over when written, in order, not after the long poll', async () => {
    const k = new FakeKafka();
    k.createTopic('st', 1);
    const t = follow(k, { maxWaitMs: 60_000 });
    await vi.waitFor(() => expect(t.view()?.up).toBe(true));
    k.produceKeyed('st', 0, 'status-task-a-0', value('FAILED'));
    k.produceKeyed('st', 0, 'status-task-a-0', value('RUNNING'));
    await vi.waitFor(() => expect(t.records()).toHaveLength(2), { timeout: 2_000 });
    expect(t.records().map((r) => r.kind === 'task' && r.status?.state)).toEqual(['FAILED', 'RUNNING']);
    expect(t.view()?.eventsTotal).toBe(2);
  });

  test('one long poll per leader: a quiet broker never delays the records of another', async () => {
    const k = new FakeKafka();
    k.createTopic('st', 2);
    k.leaderOf = (_t, p) => p + 1;
    const t = follow(k, { maxWaitMs: 60_000 });
    await vi.waitFor(() => expect(t.view()?.up).toBe(true));
    k.produceKeyed('st', 1, 'status-task-b-0', value('FAILED'));
    await vi.waitFor(() => expect(t.records()).toHaveLength(1), { timeout: 2_000 });
    k.produceKeyed('st', 0, 'status-task-a-0', value('FAILED'));
    await vi.waitFor(() => expect(t.records()).toHaveLength(2), { timeout: 2_000 });
  });

  test('a missing topic: down with the reason, said once; once it is created, bootstrap and up', async () => {
    const k = new FakeKafka();
    const t = follow(k);
    await vi.waitFor(() => expect(k.calls.metadata).toBeGreaterThan(3));
    expect(t.view()).toMatchObject({
      up: false,
      error: expect.stringMatching(/status topic st does not exist/),
    });
    const warned = t.lines.filter((l) => /status follower down/.test(l.msg));
    expect(warned).toHaveLength(1);
    k.createTopic('st', 1);
    k.produceKeyed('st', 0, 'status-connector-a', value('RUNNING'));
    await vi.waitFor(() => expect(t.view()?.up).toBe(true));
    expect(t.updates.filter((u) => u.bootstrap)).toHaveLength(1);
  });

  test('denied reads: down, saying which permission is missing; nothing thrown', async () => {
    const k = new FakeKafka();
    k.createTopic('st', 1);
    k.produceKeyed('st', 0, 'status-connector-a', value('RUNNING'));
    k.denied.add('st');
    const t = follow(k);
    await vi.waitFor(() =>
      expect(t.view()).toMatchObject({
        up: false,
        error: expect.stringMatching(/denied \(TOPIC_AUTHORIZATION_FAILED\)/),
      }),
    );
    expect(t.view()?.eventsTotal).toBe(0);
  });

  test('a topic of garbage: every record counted as skipped, and not up', async () => {
    const k = new FakeKafka();
    k.createTopic('st', 1);
    for (let i = 0; i < 5; i++) k.produceKeyed('st', 0, `key-${i}`, 'not json');
    const t = follow(k);
    await vi.waitFor(() => expect(t.view()?.skippedTotal).toBe(5));
    expect(t.view()).toMatchObject({
      up: false,
      error: expect.stringMatching(/no Connect status record among the 5/),
    });
    expect(t.lines.filter((l) => /skipping unparsable/.test(l.msg))).toHaveLength(1);
  });

  test('after a broken connection it resumes where it was, without reading the topic again', async () => {
    const k = new FakeKafka();
    k.createTopic('st', 1);
    k.produceKeyed('st', 0, 'status-connector-a', value('RUNNING'));
    const t = follow(k, { maxWaitMs: 20 });
    await vi.waitFor(() => expect(t.view()?.up).toBe(true));
    k.down = true;
    await vi.waitFor(() => expect(t.view()?.up).toBe(false));
    expect(t.view()?.error).toMatch(/ECONNREFUSED/);
    k.down = false;
    k.produceKeyed('st', 0, 'status-connector-a', value('PAUSED'));
    await vi.waitFor(() => expect(t.records()).toHaveLength(1));
    expect(t.view()?.up).toBe(true);
    expect(t.updates.filter((u) => u.bootstrap)).toHaveLength(1);
  });

  test('a topic deleted and created again is read again from its start', async () => {
    const k = new FakeKafka();
    k.createTopic('st', 1);
    for (let i = 0; i < 4; i++) k.produceKeyed('st', 0, 'status-connector-a', value('RUNNING'));
    const t = follow(k, { maxWaitMs: 20 });
    await vi.waitFor(() => expect(t.view()?.up).toBe(true));
    k.deleteTopic('st');
    k.createTopic('st', 1);
    k.produceKeyed('st', 0, 'status-connector-b', value('FAILED'));
    await vi.waitFor(() => expect(t.updates.filter((u) => u.bootstrap)).toHaveLength(2));
    expect(t.updates.filter((u) => u.bootstrap)[1]!.records).toEqual([
      { kind: 'connector', connector: 'b', status: { state: 'FAILED', workerId: 'w1:8083', generation: 1 } },
    ]);
  });

  test('stop() during a long poll returns without waiting for it', async () => {
    const k = new FakeKafka();
    k.createTopic('st', 1);
    const t = follow(k, { maxWaitMs: 600_000 });
    await vi.waitFor(() => expect(t.view()?.up).toBe(true));
    await vi.waitFor(() => expect(k.calls.fetch).toBeGreaterThan(0));
    await t.follower.stop();
    const fetches = k.calls.fetch;
    k.produceKeyed('st', 0, 'status-connector-a', value('FAILED'));
    await new Promise((r) => setImmediate(r));
    expect(k.calls.fetch).toBe(fetches);
    expect(t.records()).toEqual([]);
  });
});

describe('StatusFollower discovery', () => {
  function cluster(k: FakeKafka, topic: string, names: string[], compacted = true): void {
    k.createTopic(topic, 1);
    if (compacted) k.configs.set(topic, { 'cleanup.policy': 'compact' });
    for (const n of names) {
      k.produceKeyed(topic, 0, `status-connector-${n}`, value('RUNNING'));
      k.produceKeyed(topic, 0, `status-task-${n}-0`, value('RUNNING'));
    }
  }

  test("picks the compacted topic whose records name this cluster's connectors, and says why", async () => {
    const k = new FakeKafka();
    cluster(k, '_other-connect-status', ['x', 'y', 'a']);
    cluster(k, 'connect-status', ['a', 'b']);
    cluster(k, 'audit-status-log', ['a', 'b'], false);
    k.createTopic('orders', 1);
    const t = follow(k, { topic: undefined, connectorNames: async () => ['a', 'b'] });
    await vi.waitFor(() => expect(t.view()?.up).toBe(true));
    expect(t.view()?.topic).toBe('connect-status');
    const chosen = t.lines.find((l) =>
      /following Connect status topic connect-status \(discovered/.test(l.msg),
    );
    expect(chosen?.msg).toMatch(/cleanup\.policy compact; its latest records name 2 of the 2 connectors/);
  });

  test('two topics that match equally: down, asking for connect.statusTopic', async () => {
    const k = new FakeKafka();
    cluster(k, 'blue-status', ['a', 'b']);
    cluster(k, 'green-status', ['a', 'b']);
    const t = follow(k, { topic: undefined });
    await vi.waitFor(() => expect(t.view()?.error).toBeDefined());
    expect(t.view()?.error).toMatch(/blue-status and green-status each name 2 .*set connect\.statusTopic/);
    expect(t.view()?.topic).toBeUndefined();
  });

  test('waits for the first poll; with no connector listed there is nothing to match yet', async () => {
    const k = new FakeKafka();
    cluster(k, 'connect-status', ['a']);
    let answer!: (names: string[]) => void;
    const t = follow(k, { topic: undefined, connectorNames: () => new Promise((r) => (answer = r)) });
    await new Promise((r) => setImmediate(r));
    expect(k.calls.metadata).toBe(0);
    answer([]);
    await vi.waitFor(() => expect(t.view()?.error).toMatch(/lists no connector yet/));
  });
});
