/** The poller with status records between polls: snapshots per record, exact failure counts, worker scope. */
import { describe, expect, test, vi } from 'vitest';
import type { ConnectClient, ListResult } from '../../../src/connect/client.js';
import type { InstanceRecord } from '../../../src/connect/status-record.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import type { KafkaData, KafkaReader } from '../../../src/kafka/reader.js';
import type { StatusUpdate } from '../../../src/kafka/status-follower.js';
import { silentLogger } from '../../../src/log.js';
import { ClusterPoller } from '../../../src/poller/poller.js';
import { taskFailures, type ClusterSnapshot, type StatusSourceView } from '../../../src/state/snapshot.js';
import { NO_DLQ_STATUS } from '../../fixtures/views.js';

const VIEW: StatusSourceView = { topic: 'st', up: true, eventsTotal: 0, skippedTotal: 0, lagRecords: 0 };

function sink(name: string, tasks: [state: string, worker: string][], state = 'RUNNING'): ConnectorView {
  return {
    name,
    type: 'sink',
    state,
    workerId: 'w1:8083',
    className: 'C',
    config: {},
    tasks: tasks.map(([s, workerId], id) => ({ id, state: s, workerId })),
  };
}

const task = (connector: string, id: number, state: string, workerId = 'w1:8083'): InstanceRecord => ({
  kind: 'task',
  connector,
  task: id,
  status: { state, workerId, generation: 3 },
});

function setup(opts: { workerId?: string; kafka?: KafkaReader; statusSettled?: Promise<void> } = {}) {
  let now = 1_000_000;
  let answer: ConnectorView[] = [];
  const client = {
    requests: 0,
    listConnectors: async (): Promise<ListResult> => ({ connectors: answer, expanded: true }),
    serverInfo: async () => ({ version: '4.1.2', commit: 'c', kafkaClusterId: 'k' }),
  };
  const seen: ClusterSnapshot[] = [];
  const poller = new ClusterPoller({
    cluster: 'c',
    client: client as unknown as ConnectClient,
    intervalMs: 60_000,
    timeoutMs: 500,
    staleAfterMs: 180_000,
    settleMs: 5_000,
    logger: silentLogger(),
    now: () => now,
    ...opts,
    onSnapshot: (s) => seen.push(s),
  });
  let events = 0;
  const records = (...recs: InstanceRecord[]): void => {
    events += recs.length;
    poller.applyStatus({
      records: recs,
      readAt: now,
      bootstrap: false,
      view: { ...VIEW, eventsTotal: events },
    });
  };
  return {
    poller,
    seen,
    records,
    answer: (list: ConnectorView[]) => (answer = list),
    advance: (ms: number) => (now += ms),
    last: () => seen[seen.length - 1] as ClusterSnapshot,
  };
}

const taskState = (s: ClusterSnapshot, c: string, id: number): string | undefined =>
  s.connect.connectors.find((x) => x.name === c)?.tasks.find((t) => t.id === id)?.state;

describe('ClusterPoller with the status topic', () => {
  test('a record between polls is a snapshot at once; the poll after it does not undo it', async () => {
    const t = setup();
    t.answer([sink('a', [['RUNNING', 'w1:8083']])]);
    await t.poller.pollOnce();
    t.advance(1_000);
    t.records(task('a', 0, 'FAILED'));
    expect(t.seen).toHaveLength(2);
    expect(taskState(t.last(), 'a', 0)).toBe('FAILED');
    expect(t.last().status?.eventsTotal).toBe(1);
    expect(t.last().connect.up).toBe(true);
    // A poll sent 2 s after the record: the worker it asks has not read the record yet.
    t.advance(2_000);
    await t.poller.pollOnce();
    expect(taskState(t.last(), 'a', 0)).toBe('FAILED');
    expect(taskFailures(t.last().failures, 'a', 0)).toBe(1);
  });

  test('a FAILED → RUNNING flap between two polls counts 1, and a failure seen by the topic and the poll counts once', async () => {
    const t = setup();
    t.answer([sink('a', [['RUNNING', 'w1:8083']]), sink('b', [['RUNNING', 'w1:8083']])]);
    await t.poller.pollOnce();
    t.advance(1_000);
    // The flap arrives in one fetch: RESTARTING and RUNNING within milliseconds of the failure.
    t.records(task('a', 0, 'FAILED'), task('a', 0, 'RESTARTING'), task('a', 0, 'RUNNING'));
    expect(t.seen.slice(1).map((s) => taskState(s, 'a', 0))).toEqual(['FAILED', 'RESTARTING', 'RUNNING']);
    // b fails; the poll (much later) sees the same failure.
    t.records(task('b', 0, 'FAILED'));
    t.advance(60_000);
    t.answer([sink('a', [['RUNNING', 'w1:8083']]), sink('b', [['FAILED', 'w1:8083']])]);
    await t.poller.pollOnce();
    const f = t.last().failures;
    expect(taskFailures(f, 'a', 0)).toBe(1);
    expect(taskFailures(f, 'b', 0)).toBe(1);
  });

  test('a failure the topic missed (follower down) is counted by the poll, once', async () => {
    const t = setup();
    t.answer([sink('a', [['RUNNING', 'w1:8083']])]);
    await t.poller.pollOnce();
    t.answer([sink('a', [['FAILED', 'w1:8083']])]);
    t.advance(60_000);
    await t.poller.pollOnce();
    // The follower comes back and reads the record the poll already showed.
    t.records(task('a', 0, 'FAILED'));
    expect(taskFailures(t.last().failures, 'a', 0)).toBe(1);
  });

  test('worker scope filters records by worker_id as it filters the poll', async () => {
    const t = setup({ workerId: 'w1:8083' });
    t.answer([
      sink('a', [
        ['RUNNING', 'w1:8083'],
        ['RUNNING', 'w2:8083'],
      ]),
    ]);
    await t.poller.pollOnce();
    expect(t.last().connect.connectors[0]!.tasks.map((x) => x.id)).toEqual([0]);
    t.advance(1_000);
    // Task 0 moves to w2 in a rebalance, task 1 comes here.
    t.records(task('a', 0, 'RUNNING', 'w2:8083'), task('a', 1, 'RUNNING', 'w1:8083'));
    const a = t.last().connect.connectors[0]!;
    expect(a.tasks.map((x) => [x.id, x.workerId])).toEqual([[1, 'w1:8083']]);
    expect(a.scoped).toEqual({ instanceHere: true, totalTasks: 2 });
    // A failure on another worker is that sidecar's to count.
    t.records(task('a', 0, 'FAILED', 'w2:8083'));
    expect(taskFailures(t.last().failures, 'a', 0)).toBe(0);
  });

  test('records read before the first poll ends are in its snapshot (a restart rebuilds from the topic)', async () => {
    const t = setup();
    t.answer([sink('a', [['RUNNING', 'w1:8083']])]);
    t.poller.applyStatus({
      records: [task('a', 0, 'FAILED')],
      readAt: 1_000_000,
      bootstrap: true,
      view: VIEW,
    });
    expect(t.seen).toEqual([]);
    const first = await t.poller.pollOnce();
    expect(taskState(first, 'a', 0)).toBe('FAILED');
    expect(first.status).toEqual(VIEW);
  });

  test('records applied while the poll reads Kafka are not overwritten by the list the poll took before', async () => {
    let release!: () => void;
    const kafka: KafkaReader = {
      read: () =>
        new Promise<KafkaData>((resolve) => {
          release = () => resolve({ dlq: [], dlqErrors: [], dlqLast: [], lag: [], dlqStatus: NO_DLQ_STATUS });
        }),
      close: async () => undefined,
    };
    const t = setup({ kafka });
    t.answer([sink('a', [['RUNNING', 'w1:8083']])]);
    const poll = t.poller.pollOnce();
    await new Promise((r) => setTimeout(r, 10));
    t.records(task('a', 0, 'FAILED'));
    release();
    const s = await poll;
    expect(taskState(s, 'a', 0)).toBe('FAILED');
    expect(taskFailures(s.failures, 'a', 0)).toBe(1);
  });

  test('the first poll waits for the status topic to be read, up to its deadline', async () => {
    let settle!: () => void;
    const t = setup({ statusSettled: new Promise<void>((r) => (settle = r)) });
    t.answer([sink('a', [['RUNNING', 'w1:8083']])]);
    const first = t.poller.pollOnce();
    await new Promise((r) => setTimeout(r, 20));
    expect(t.seen).toEqual([]);
    t.poller.applyStatus({
      records: [task('a', 0, 'FAILED')],
      readAt: 1_000_000,
      bootstrap: true,
      view: VIEW,
    });
    settle();
    expect(taskState(await first, 'a', 0)).toBe('FAILED');
    // A follower that never settles costs the first poll its deadline (500 ms here), not more.
    const stuck = setup({ statusSettled: new Promise<void>(() => undefined) });
    stuck.answer([sink('a', [])]);
    await expect(stuck.poller.pollOnce()).resolves.toMatchObject({ connect: { up: true } });
  });

  test('a record of a connector no poll has shown makes a poll soon; the new connector is then shown', async () => {
    const t = setup();
    t.answer([sink('a', [['RUNNING', 'w1:8083']])]);
    t.poller.start();
    await vi.waitFor(() => expect(t.seen).toHaveLength(1));
    t.answer([sink('a', [['RUNNING', 'w1:8083']]), sink('new', [['RUNNING', 'w1:8083']])]);
    t.advance(1_000);
    t.records(task('new', 0, 'FAILED'));
    // The regular interval is 60 s: only the early poll can show it this soon.
    await vi.waitFor(() => expect(t.last().connect.connectors.map((c) => c.name)).toEqual(['a', 'new']));
    expect(taskState(t.last(), 'new', 0)).toBe('FAILED');
    await t.poller.stop();
  });

  test("the follower's health alone makes a snapshot; the names of the first poll are handed to discovery", async () => {
    const t = setup();
    const names = t.poller.polledNames();
    t.answer([sink('b', []), sink('a', [])]);
    await t.poller.pollOnce();
    await expect(names).resolves.toEqual(['a', 'b']);
    const down: StatusUpdate = {
      records: [],
      readAt: 0,
      bootstrap: false,
      view: {
        up: false,
        error: 'status topic st does not exist',
        eventsTotal: 0,
        skippedTotal: 0,
        lagRecords: 0,
      },
    };
    t.poller.applyStatus(down);
    expect(t.seen).toHaveLength(2);
    expect(t.last().status?.up).toBe(false);
    expect(t.last().connect.connectors.map((c) => c.name)).toEqual(['a', 'b']);
  });
});
