import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { ConnectClient, ListResult } from '../../../src/connect/client.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import type { KafkaReader } from '../../../src/kafka/reader.js';
import { createLogger, silentLogger } from '../../../src/log.js';
import { ClusterPoller } from '../../../src/poller/poller.js';
import type { ClusterSnapshot } from '../../../src/state/snapshot.js';
import { NO_DLQ_STATUS } from '../../fixtures/views.js';

function conn(name: string, state = 'RUNNING'): ConnectorView {
  return {
    name,
    type: 'sink',
    state,
    workerId: 'w',
    className: 'C',
    config: {},
    tasks: [{ id: 0, state, workerId: 'w' }],
  };
}

/** A ConnectClient stand-in whose next answers the test scripts. */
class ScriptedClient {
  requests = 0;
  next: () => Promise<ListResult> = async () => ({ connectors: [], expanded: true });
  async listConnectors(): Promise<ListResult> {
    this.requests++;
    return this.next();
  }
  async serverInfo() {
    this.requests++;
    return { version: '4.1.1', commit: 'c', kafkaClusterId: 'k' };
  }
}

function setup(opts: { kafka?: KafkaReader } = {}) {
  let now = 1_000_000;
  const client = new ScriptedClient();
  const seen: ClusterSnapshot[] = [];
  const poller = new ClusterPoller({
    cluster: 'c',
    client: client as unknown as ConnectClient,
    ...(opts.kafka ? { kafka: opts.kafka } : {}),
    intervalMs: 1000,
    timeoutMs: 500,
    staleAfterMs: 3000,
    logger: silentLogger(),
    now: () => now,
    onSnapshot: (s) => seen.push(s),
  });
  return { client, poller, seen, advance: (ms: number) => (now += ms) };
}

describe('ClusterPoller', () => {
  test('keeps the last good series for stale-after, then drops them; recovers by itself', async () => {
    const { client, poller, advance } = setup();
    client.next = async () => ({ connectors: [conn('b'), conn('a', 'FAILED')], expanded: true });
    let s = await poller.pollOnce();
    expect(s.connect.up).toBe(true);
    expect(s.connect.connectors.map((c) => c.name)).toEqual(['a', 'b']);
    expect(s.connect.info?.version).toBe('4.1.1');
    expect(s.failures.connectors.get('a')).toBe(1);

    client.next = async () => {
      throw new Error('ECONNREFUSED');
    };
    advance(1000);
    s = await poller.pollOnce();
    expect(s.connect.up).toBe(false);
    expect(s.connect.error).toBe('ECONNREFUSED');
    expect(s.connect.stale).toBe(true);
    expect(s.connect.connectors).toHaveLength(2);
    expect(s.connect.errorsTotal).toBe(1);
    expect(s.failures.connectors.get('a')).toBe(1);

    advance(2500); // 3.5 s after the last success: past stale-after
    s = await poller.pollOnce();
    expect(s.connect.up).toBe(false);
    expect(s.connect.connectors).toEqual([]);
    expect(s.failures.connectors.size).toBe(0);
    expect(s.connect.errorsTotal).toBe(2);

    client.next = async () => ({ connectors: [conn('a')], expanded: true });
    advance(1000);
    s = await poller.pollOnce();
    expect(s.connect.up).toBe(true);
    expect(s.connect.connectors.map((c) => c.name)).toEqual(['a']);
    expect(s.connect.lastSuccessAt).toBe(1_000_000 + 4500);
  });

  test('a deleted connector is gone on the next successful poll', async () => {
    const { client, poller } = setup();
    client.next = async () => ({ connectors: [conn('a'), conn('b')], expanded: true });
    await poller.pollOnce();
    client.next = async () => ({ connectors: [conn('a')], expanded: true });
    const s = await poller.pollOnce();
    expect(s.connect.connectors.map((c) => c.name)).toEqual(['a']);
    expect([...s.failures.connectors.keys()]).toEqual(['a']);
  });

  test('polls never overlap: a second call joins the running one', async () => {
    const { client, poller } = setup();
    let release!: () => void;
    client.next = () => new Promise((r) => (release = () => r({ connectors: [], expanded: true })));
    const p1 = poller.pollOnce();
    const p2 = poller.pollOnce();
    expect(p1).toBe(p2);
    await new Promise((r) => setTimeout(r, 10));
    release();
    await p1;
    expect(client.requests).toBe(2); // one list + one GET /
  });

  test('a throwing snapshot consumer or a non-Error rejection never escapes', async () => {
    let now = 0;
    const client = new ScriptedClient();
    client.next = () => Promise.reject('a string, not an Error');
    const poller = new ClusterPoller({
      cluster: 'c',
      client: client as unknown as ConnectClient,
      intervalMs: 1000,
      timeoutMs: 500,
      staleAfterMs: 3000,
      logger: silentLogger(),
      now: () => now++,
      onSnapshot: () => {
        throw new Error('consumer bug');
      },
    });
    const s = await poller.pollOnce();
    expect(s.connect.up).toBe(false);
    expect(s.connect.error).toBe('a string, not an Error');
  });

  test('Kafka failing marks only kafka down; Connect data is unaffected', async () => {
    let fail = false;
    const kafka: KafkaReader = {
      read: async (connectors) => {
        if (fail) throw new Error('broker down');
        return {
          dlq: connectors.map((c) => ({
            connector: c.name,
            topic: 'dlq',
            records: 1,
            written: 2,
            partitions: 1,
          })),
          dlqErrors: [],
          dlqLast: [],
          lag: [],
          dlqStatus: NO_DLQ_STATUS,
        };
      },
      close: async () => undefined,
    };
    const { client, poller, advance } = setup({ kafka });
    client.next = async () => ({ connectors: [conn('a')], expanded: true });
    let s = await poller.pollOnce();
    expect(s.kafka?.up).toBe(true);
    expect(s.kafka?.dlq).toHaveLength(1);
    fail = true;
    advance(1000);
    s = await poller.pollOnce();
    expect(s.connect.up).toBe(true);
    expect(s.kafka?.up).toBe(false);
    expect(s.kafka?.error).toBe('broker down');
    expect(s.kafka?.dlq).toHaveLength(1); // kept within stale-after
    advance(5000);
    s = await poller.pollOnce();
    expect(s.kafka?.dlq).toHaveLength(0);
    expect(s.kafka?.errorsTotal).toBe(2);
  });

  test('start() polls on the interval until stop()', async () => {
    const client = new ScriptedClient();
    client.next = async () => ({ connectors: [], expanded: true });
    const seen: number[] = [];
    const poller = new ClusterPoller({
      cluster: 'c',
      client: client as unknown as ConnectClient,
      intervalMs: 50,
      timeoutMs: 40,
      staleAfterMs: 150,
      jitter: 0,
      logger: silentLogger(),
      onSnapshot: (s) => seen.push(s.takenAt),
    });
    poller.start();
    await new Promise((r) => setTimeout(r, 400));
    await poller.stop();
    const count = seen.length;
    expect(count).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 150));
    expect(seen.length).toBe(count);
  });
});

describe('ClusterPoller logs', () => {
  test('a failure is a warning when it starts and when its reason changes, not on every poll; each line names the cluster once', async () => {
    const raw: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    });
    const logger = createLogger('debug', 'json', sink).child({ cluster: 'c' });
    const client = new ScriptedClient();
    let now = 1_000_000;
    const poller = new ClusterPoller({
      cluster: 'c',
      client: client as unknown as ConnectClient,
      intervalMs: 1000,
      timeoutMs: 500,
      staleAfterMs: 3000,
      logger,
      now: () => (now += 10),
      onSnapshot: () => undefined,
    });
    client.next = () => Promise.reject(new Error('ECONNREFUSED'));
    for (let i = 0; i < 5; i++) await poller.pollOnce();
    client.next = () => Promise.reject(new Error('401 Unauthorized'));
    await poller.pollOnce();
    client.next = async () => ({ connectors: [conn('a')], expanded: true });
    await poller.pollOnce();
    const lines = raw.map((l) => JSON.parse(l) as { level: number; msg: string; err?: string });
    expect(lines.filter((l) => l.level === 40).map((l) => [l.msg, l.err])).toEqual([
      ['Connect poll failed', 'ECONNREFUSED'],
      ['Connect poll failed', '401 Unauthorized'],
    ]);
    expect(lines.filter((l) => l.msg === 'Connect poll failed again')).toHaveLength(4);
    expect(lines.filter((l) => l.msg === 'Connect poll succeeded again')).toHaveLength(1);
    for (const l of raw) expect(l.match(/"cluster":/g), l).toHaveLength(1);
  });
});
