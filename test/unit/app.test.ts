/**
 * The composition (src/app.ts) against a fake Connect and a real webhook receiver on 127.0.0.1: data flows one
 * way, and what healing and notifications do is on /metrics and /api/v1/status at once, not with the next poll.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { value } from '../helpers/exposition.js';
import { json, startFakeConnect, type FakeConnect } from '../helpers/fake-connect.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';

interface Receiver {
  readonly url: string;
  readonly events: { event: string; connector: string; task: number | null }[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const events: Receiver['events'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Receiver['events'][number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One sink connector `orders` whose task 1 has the state `task1` holds; restarts answer 202. */
async function fakeConnect(state: { task1: string; status?: number }): Promise<FakeConnect> {
  return startFakeConnect((req, res) => {
    if (req.method === 'POST') return json(res, 202, {});
    if (req.url === '/') return json(res, 200, { version: '4.1.2', commit: 'abc', kafka_cluster_id: 'K' });
    if (state.status !== undefined)
      return json(res, state.status, { error_code: state.status, message: 'down' });
    json(res, 200, {
      orders: {
        status: {
          name: 'orders',
          connector: { state: 'RUNNING', worker_id: '127.0.0.1:8083' },
          tasks: [
            { id: 0, state: 'RUNNING', worker_id: '127.0.0.1:8083' },
            {
              id: 1,
              state: state.task1,
              worker_id: '127.0.0.1:8083',
              trace: 'java.lang.RuntimeException: boom',
            },
          ],
          type: 'sink',
        },
        info: { name: 'orders', config: { 'connector.class': 'S', topics: 'in' }, tasks: [], type: 'sink' },
      },
    });
  });
}

let fake: FakeConnect | undefined;
let receiver: Receiver | undefined;
let s: TestSentinel | undefined;
afterEach(async () => {
  await s?.stop();
  await fake?.close();
  await receiver?.close();
  s = fake = receiver = undefined;
});

const polls = (f: FakeConnect): number => f.requests.filter((r) => r.url.startsWith('/connectors?')).length;
const restartPosts = (f: FakeConnect): string[] =>
  f.requests.filter((r) => r.method === 'POST').map((r) => r.url);

describe('healing publishes its own series', () => {
  test('a restart made after poll N is on /metrics and in /api/v1/status before poll N+1', async () => {
    fake = await fakeConnect({ task1: 'FAILED' });
    // An hour between polls: anything that shows up did not wait for the next one.
    s = await startSentinel(['--connect.url', fake.url, '--poll.interval', '1h', '--restart.enabled']);
    await s.sentinel.published();
    expect(restartPosts(fake)).toEqual(['/connectors/orders/restart?includeTasks=true&onlyFailed=true']);
    const text = await s.metricsText();
    expect(value(text, 'connect_sentinel_restart_attempts_total', { connector: 'orders' })).toBe(1);
    expect(value(text, 'connect_sentinel_restart_conflicts_total', { connector: 'orders' })).toBe(0);
    const status = (await (await fetch(`${s.url}/api/v1/status`)).json()) as {
      clusters: { connectors: { name: string; restart: { attempts: number } | null }[] }[];
    };
    expect(status.clusters[0]?.connectors[0]?.restart?.attempts).toBe(1);
    expect(polls(fake)).toBe(1);
  });

  test('restart off (the default): no restart series, no request', async () => {
    fake = await fakeConnect({ task1: 'FAILED' });
    s = await startSentinel(['--connect.url', fake.url, '--poll.interval', '1h']);
    await s.sentinel.published();
    expect(restartPosts(fake)).toEqual([]);
    expect(await s.metricsText()).not.toContain('connect_sentinel_restart_attempts_total{');
  });
});

describe('notifications', () => {
  test('failed, restarted, recovered in order, and their delivery counted on /metrics without a poll', async () => {
    const state = { task1: 'FAILED' };
    fake = await fakeConnect(state);
    receiver = await startReceiver();
    s = await startSentinel([
      '--connect.url',
      fake.url,
      '--poll.interval',
      '1h',
      '--restart.enabled',
      '--notify.webhook-url',
      receiver.url,
    ]);
    await s.sentinel.published();
    const r = receiver;
    await s.waitForMetrics(
      (m) =>
        m.some(
          (x) =>
            x.name === 'connect_sentinel_notifications_total' &&
            x.labels.outcome === 'delivered' &&
            x.value === 2,
        ),
      10_000,
      'two deliveries counted',
    );
    expect(polls(fake)).toBe(1);
    state.task1 = 'RUNNING';
    await s.sentinel.pollNow();
    await s.waitForMetrics(
      (m) =>
        m.some(
          (x) =>
            x.name === 'connect_sentinel_notifications_total' &&
            x.labels.outcome === 'delivered' &&
            x.value === 3,
        ),
      10_000,
      'three deliveries counted',
    );
    expect(r.events.map((e) => [e.event, e.task])).toEqual([
      ['failed', 1],
      ['restarted', null],
      ['recovered', 1],
    ]);
  });

  test('a failed poll is neither acted on nor notified', async () => {
    const state: { task1: string; status?: number } = { task1: 'RUNNING' };
    fake = await fakeConnect(state);
    receiver = await startReceiver();
    s = await startSentinel([
      '--connect.url',
      fake.url,
      '--poll.interval',
      '1h',
      '--poll.timeout',
      '500ms',
      '--restart.enabled',
      '--notify.webhook-url',
      receiver.url,
    ]);
    state.task1 = 'FAILED';
    state.status = 500;
    await s.sentinel.pollNow();
    expect(value(await s.metricsText(), 'kafka_connect_up', {})).toBe(0);
    expect(restartPosts(fake)).toEqual([]);
    expect(receiver.events).toEqual([]);
  });
});
