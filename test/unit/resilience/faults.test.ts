/**
 * For each fault of the Connect REST API: connect-sentinel stays up, /metrics keeps answering with text a
 * strict parser accepts, kafka_connect_up says 0 while the fault lasts, and the first polls after the fault
 * is cleared bring back up=1 and the series of every live connector and task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectSimulator, type ConnectSimulator, type Fault } from '../../sim/connect-simulator.js';
import { startSentinel, view, type Running } from './harness.js';

const CONNECTORS = 20;
const TASKS = 3;

const unhandled: unknown[] = [];
const onUnhandled = (err: unknown): void => {
  unhandled.push(err);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

/**
 * Each test has its own simulator and sidecar on their own ports, so the tests run concurrently: they spend
 * their time waiting for polls and timeouts, not computing.
 */
async function withSidecar(
  opts: { expand?: boolean },
  body: (sim: ConnectSimulator, app: Running) => Promise<void>,
): Promise<void> {
  const sim = await startConnectSimulator({ connectors: CONNECTORS, tasksPerConnector: TASKS, ...opts });
  try {
    const app = await startSentinel(sim, { intervalMs: 100, timeoutMs: 1_000 });
    try {
      await body(sim, app);
    } finally {
      await app.stop();
    }
  } finally {
    await sim.close();
  }
}

/** Everything healthy: up, one connector_info per live connector, one state series per live task. */
async function expectHealthy(s: ConnectSimulator, a: Running): Promise<void> {
  const v = view(await a.metrics());
  expect(v).toEqual({ up: 1, connectors: s.names(), taskStates: s.taskCount() });
}

const failing: [string, Fault][] = [
  ['500 on every request', { kind: 'error' }],
  ['409 rebalance in progress', { kind: 'rebalance' }],
  ['no answer (timeout)', { kind: 'timeout' }],
  ['latency above the poll timeout', { kind: 'latency', ms: 2_500 }],
  ['body cut off mid-way', { kind: 'cutoff' }],
  ['malformed body', { kind: 'malformed' }],
  ['401 from the basic-auth extension', { kind: 'unauthorized' }],
  ['500 on the list only (GET / still fine)', { kind: 'error', only: ['expanded', 'list'] }],
];

describe.concurrent('resilience against a misbehaving Connect REST API', () => {
  it.each(failing)('%s: up is 0 while it lasts, then everything recovers', (_, fault) =>
    withSidecar({}, async (s, a) => {
      await expectHealthy(s, a);

      s.setFault(fault);
      // The first poll may have begun before the fault; the second ran wholly under it.
      await a.nextPolls(2);
      for (let i = 0; i < 3; i++) {
        const families = await a.metrics();
        expect(view(families).up).toBe(0);
        expect(
          families
            .get('connect_sentinel_poll_errors_total')
            ?.samples.find((x) => x.labels.source === 'connect')?.value,
        ).toBeGreaterThan(0);
        expect(await a.get('/healthz')).toBe(200);
        await a.nextPolls(1);
      }
      // Longer than stale-after (3 intervals): the last good series are gone, as the design says.
      expect(view(await a.metrics()).connectors).toEqual([]);

      s.setFault(undefined);
      await a.nextUpPoll();
      await expectHealthy(s, a);
      expect(unhandled).toEqual([]);
    }),
  );

  it('latency below the poll timeout keeps up at 1 and every series', () =>
    withSidecar({}, async (s, a) => {
      s.setFault({ kind: 'latency', ms: 120 });
      await a.nextPolls(2);
      for (let i = 0; i < 3; i++) {
        await expectHealthy(s, a);
        await a.nextPolls(1);
      }
      expect(a.latest()?.connect.durationSeconds).toBeGreaterThanOrEqual(0.12);
    }));

  it.each([true, false])(
    'connectors vanishing between list and status (expand=%s): up stays 1, the gone ones lose their series',
    (expand) =>
      withSidecar({ expand }, async (s, a) => {
        const all = s.names();
        const gone = all.filter((_, i) => i % 2 === 1);
        s.setFault({ kind: 'vanishing', names: gone });
        await a.nextPolls(2);
        const v = view(await a.metrics());
        expect(v.up).toBe(1);
        expect(v.connectors).toEqual(all.filter((n) => !gone.includes(n)));
        // The fallback asks per connector; the expanding worker needs one list request per poll.
        expect(a.latest()?.connect.expanded).toBe(expand);
        s.setFault(undefined);
        await a.nextUpPoll();
        await expectHealthy(s, a);
      }),
  );

  it('churn on every list: up stays 1, the series follow the list and deleted connectors leave none behind', () =>
    withSidecar({}, async (s, a) => {
      s.setFault({ kind: 'churn', perList: 3 });
      const seen = new Set<string>();
      for (let i = 0; i < 5; i++) {
        await a.nextPolls(1);
        const v = view(await a.metrics());
        expect(v.up).toBe(1);
        expect(v.connectors).toHaveLength(CONNECTORS);
        expect(v.taskStates).toBe(CONNECTORS * TASKS);
        for (const n of v.connectors) seen.add(n);
      }
      expect(seen.size).toBeGreaterThan(CONNECTORS); // churn really replaced connectors
      s.setFault(undefined);
      await a.nextUpPoll();
      await expectHealthy(s, a);
    }));

  it('a pre-2.3 worker answering 409 on status calls recovers to the full fallback view', () =>
    withSidecar({ expand: false }, async (s, a) => {
      await expectHealthy(s, a);
      s.setFault({ kind: 'rebalance', only: ['connectorStatus'] });
      await a.nextPolls(2);
      expect(view(await a.metrics()).up).toBe(0);
      s.setFault(undefined);
      await a.nextUpPoll();
      await expectHealthy(s, a);
    }));
});
