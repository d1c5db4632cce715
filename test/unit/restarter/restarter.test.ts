import { afterEach, describe, expect, test } from 'vitest';
import type { RestartConfig } from '../../../src/config/schema.js';
import { ConnectClient } from '../../../src/connect/client.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import { silentLogger } from '../../../src/log.js';
import { Restarter } from '../../../src/restarter/restarter.js';
import type { RestartEvent } from '../../../src/state/restarts.js';
import type { ClusterSnapshot } from '../../../src/state/snapshot.js';
import { json, startFakeConnect, type FakeConnect, type FakeHandler } from '../../helpers/fake-connect.js';
import { connectorView } from '../../fixtures/views.js';

const MIN = 60_000;
const CONFIG: RestartConfig = {
  enabled: true,
  dryRun: false,
  maxAttempts: 3,
  backoffBaseMs: MIN,
  backoffMaxMs: 60 * MIN,
  resetAfterMs: 30 * MIN,
  include: /^(?:.*)$/,
};

const conn = (name: string, state: string, tasks: string[]): ConnectorView =>
  connectorView(name, state, tasks);

function snap(connectors: ConnectorView[], up = true): ClusterSnapshot {
  return {
    cluster: 'c1',
    takenAt: 0,
    connect: { up, durationSeconds: 0, errorsTotal: 0, connectors, stale: !up, expanded: true, requests: 1 },
    failures: { connectors: new Map(), tasks: new Map() },
  };
}

let fake: FakeConnect | undefined;
let client: ConnectClient | undefined;
afterEach(async () => {
  client?.close();
  await fake?.close();
  fake = undefined;
  client = undefined;
});

async function setup(handler: FakeHandler, config: Partial<RestartConfig> = {}) {
  fake = await startFakeConnect(handler);
  client = new ConnectClient({ url: fake.url, requestTimeoutMs: 300 });
  let now = 1_000_000;
  const events: RestartEvent[] = [];
  const restarter = new Restarter({
    cluster: 'c1',
    client,
    config: { ...CONFIG, ...config },
    logger: silentLogger(),
    requestTimeoutMs: 300,
    now: () => now,
    onEvent: (e) => events.push(e),
  });
  const f = fake;
  return {
    restarter,
    events,
    posts: () => f.requests.filter((r) => r.method === 'POST').map((r) => r.url),
    advance: (ms: number) => {
      now += ms;
    },
    /** observe + wait for the restarts it started; returns the counters the metrics would show. */
    async poll(s: ClusterSnapshot) {
      const decisions = restarter.observe(s);
      await restarter.idle;
      const v = restarter.view();
      return {
        decisions,
        attempts: v.attempts.get('a'),
        failures: v.failures.get('a'),
        conflicts: v.conflicts.get('a'),
        exhausted: v.budgetExhausted.has('a'),
        nextAttemptAt: v.nextAttemptAt.get('a'),
      };
    },
  };
}

const failedTask = snap([conn('a', 'RUNNING', ['RUNNING', 'FAILED'])]);

describe('Restarter against a fake Connect worker', () => {
  test('202: one KIP-745 request restarts the failed instances; counted as an attempt', async () => {
    const t = await setup((_req, res) =>
      json(res, 202, { name: 'a', connector: { state: 'RUNNING' }, tasks: [] }),
    );
    const r = await t.poll(failedTask);
    expect(t.posts()).toEqual(['/connectors/a/restart?includeTasks=true&onlyFailed=true']);
    expect([r.attempts, r.failures]).toEqual([1, 0]);
    expect(t.events.map((e) => [e.kind, e.kind === 'restarted' && e.attempt, e.dryRun])).toEqual([
      ['restarted', 1, false],
    ]);
    // Within the backoff: no second request.
    t.advance(MIN);
    await t.poll(failedTask);
    expect(t.posts()).toHaveLength(1);
  });

  test('204 (a worker without KIP-745): the FAILED tasks are restarted one by one, and from then on directly', async () => {
    const t = await setup((req, res) => {
      res.writeHead(204).end();
      void req;
    });
    await t.poll(snap([conn('a', 'FAILED', ['FAILED', 'RUNNING', 'FAILED'])]));
    expect(t.posts()).toEqual([
      '/connectors/a/restart?includeTasks=true&onlyFailed=true',
      '/connectors/a/tasks/0/restart',
      '/connectors/a/tasks/2/restart',
    ]);
    // Next attempt: the connector instance is RUNNING now, so only the task endpoint is used — an old worker
    // would otherwise restart the healthy connector instance.
    t.advance(2 * MIN);
    const r = await t.poll(snap([conn('a', 'RUNNING', ['RUNNING', 'RUNNING', 'FAILED'])]));
    expect(t.posts().slice(3)).toEqual(['/connectors/a/tasks/2/restart']);
    expect([r.attempts, r.failures]).toEqual([2, 0]);
    // And a FAILED connector gets the plain connector restart.
    t.advance(6 * MIN);
    await t.poll(snap([conn('a', 'FAILED', ['RUNNING', 'RUNNING', 'RUNNING'])]));
    expect(t.posts().slice(4)).toEqual(['/connectors/a/restart?includeTasks=false&onlyFailed=false']);
  });

  test('409 (rebalance): one POST per backoff step, counted as a conflict, not as an attempt or a failure', async () => {
    let status = 409;
    const t = await setup((_req, res) => json(res, status, { error_code: status, message: 'rebalance' }));
    const r1 = await t.poll(failedTask);
    // Not repeated within the poll: a worker answering 409 for ever gets one request per backoff step.
    expect(t.posts()).toHaveLength(1);
    expect([r1.attempts, r1.failures, r1.exhausted, r1.conflicts]).toEqual([0, 0, false, 1]);
    expect(t.events).toEqual([]);
    // Polls within the backoff send nothing.
    for (let i = 0; i < 4; i++) {
      t.advance(15_000);
      await t.poll(failedTask);
    }
    expect(t.posts()).toHaveLength(1);
    // After the first step's backoff (2 min) it tries again, and Connect takes it.
    status = 202;
    t.advance(MIN);
    const r2 = await t.poll(failedTask);
    expect(t.posts()).toHaveLength(2);
    // The refused attempt was given back: this is attempt 1 again, and no budget was used by the 409.
    expect(r2.decisions).toMatchObject([{ kind: 'restart', attempt: 1 }]);
    expect([r2.attempts, r2.failures, r2.conflicts]).toEqual([1, 0, 1]);
  });

  test('500: counted as an attempt and a failure, uses the budget, waits for the backoff', async () => {
    const t = await setup((_req, res) => json(res, 500, { error_code: 500, message: 'Request timed out' }));
    const r1 = await t.poll(failedTask);
    // A POST is not repeated on 5xx: the restart may have happened.
    expect(t.posts()).toHaveLength(1);
    expect([r1.attempts, r1.failures]).toEqual([1, 1]);
    t.advance(MIN);
    await t.poll(failedTask);
    expect(t.posts()).toHaveLength(1);
    t.advance(MIN);
    const r3 = await t.poll(failedTask);
    expect([r3.attempts, r3.failures]).toEqual([2, 2]);
    expect(t.events).toEqual([]);
  });

  test('404 for a connector still listed: a failed attempt; the history stays, so the budget holds', async () => {
    const t = await setup(
      (_req, res) => json(res, 404, { error_code: 404, message: 'Unknown connector: a' }),
      { maxAttempts: 2 },
    );
    const r1 = await t.poll(failedTask);
    expect([r1.attempts, r1.failures]).toEqual([1, 1]);
    // Within the backoff: nothing sent, however many polls.
    for (let i = 0; i < 5; i++) {
      t.advance(1_000);
      await t.poll(failedTask);
    }
    expect(t.posts()).toHaveLength(1);
    t.advance(2 * MIN);
    const r2 = await t.poll(failedTask);
    expect(r2.decisions).toMatchObject([{ kind: 'restart', attempt: 2 }]);
    // The budget is spent: no more POSTs, and it is declared exhausted once the next attempt would be due.
    t.advance(6 * MIN);
    const r3 = await t.poll(failedTask);
    expect(r3.exhausted).toBe(true);
    t.advance(60 * MIN);
    await t.poll(failedTask);
    expect(t.posts()).toHaveLength(2);
  });

  test('the worker down: a failed attempt, and the loop goes on', async () => {
    const t = await setup((_req, res) => json(res, 202, {}));
    await fake!.close();
    const r = await t.poll(failedTask);
    expect([r.attempts, r.failures]).toEqual([1, 1]);
  });

  test('budget: after maxAttempts it stops, and is exhausted while still failing', async () => {
    const t = await setup((_req, res) => json(res, 202, {}));
    const schedule = [0, 2, 6, 12]; // minutes between polls: attempts 1, 2, 3, then the 4th would be due
    let r;
    for (const m of schedule) {
      t.advance(m * MIN);
      r = await t.poll(failedTask);
    }
    expect(t.posts()).toHaveLength(3);
    expect(r?.decisions).toMatchObject([{ kind: 'exhausted', attempt: 3 }]);
    expect([r?.attempts, r?.exhausted]).toEqual([3, true]);
    expect(t.events.map((e) => e.kind)).toEqual(['restarted', 'restarted', 'restarted', 'exhausted']);
    // Healthy: the gauge goes to 0 (not failing), the budget stays spent until resetAfter.
    t.advance(MIN);
    const healthy = await t.poll(snap([conn('a', 'RUNNING', ['RUNNING', 'RUNNING'])]));
    expect([healthy.attempts, healthy.exhausted]).toEqual([3, false]);
  });

  test('the view says when the next restart may be made: the backoff after each attempt, none once spent', async () => {
    const t = await setup((_req, res) => json(res, 202, {}));
    const start = 1_000_000;
    // Failing, nothing tried yet: no due time (the next poll restarts it).
    const before = await t.poll(snap([conn('a', 'RUNNING', ['RUNNING', 'RUNNING'])]));
    expect(before.nextAttemptAt).toBeUndefined();
    // Attempt 1 now: the next is (1² + 1) × 1 min later; attempt 2 two minutes on: (2² + 2) × 1 min after it.
    expect((await t.poll(failedTask)).nextAttemptAt).toBe(start + 2 * MIN);
    t.advance(MIN);
    expect((await t.poll(failedTask)).nextAttemptAt).toBe(start + 2 * MIN);
    t.advance(MIN);
    expect((await t.poll(failedTask)).nextAttemptAt).toBe(start + 2 * MIN + 6 * MIN);
    t.advance(6 * MIN);
    // Attempt 3 of 3: the budget is spent, so no next attempt, before and after it is declared exhausted.
    const third = await t.poll(failedTask);
    expect([third.attempts, third.nextAttemptAt]).toEqual([3, undefined]);
    t.advance(12 * MIN);
    const spent = await t.poll(failedTask);
    expect([spent.exhausted, spent.nextAttemptAt]).toEqual([true, undefined]);
  });

  test('dry-run: decides, logs and counts, sends nothing', async () => {
    const t = await setup((_req, res) => json(res, 202, {}), { dryRun: true });
    const r = await t.poll(failedTask);
    expect(t.posts()).toEqual([]);
    expect(r.attempts).toBe(1);
    expect(t.events).toMatchObject([{ kind: 'restarted', dryRun: true }]);
  });

  test('a snapshot from a failed poll is not acted on', async () => {
    const t = await setup((_req, res) => json(res, 202, {}));
    const r = await t.poll(snap([conn('a', 'FAILED', [])], false));
    expect(r.decisions).toEqual([]);
    expect(t.posts()).toEqual([]);
  });

  test('while restarts are in flight, the next snapshot decides nothing (no double restart)', async () => {
    let release: () => void = () => undefined;
    const t = await setup((_req, res) => {
      release = () => json(res, 202, {});
    });
    client = new ConnectClient({ url: fake!.url, requestTimeoutMs: 5_000 });
    const slow = new Restarter({
      cluster: 'c1',
      client,
      config: CONFIG,
      logger: silentLogger(),
      requestTimeoutMs: 5_000,
    });
    expect(slow.observe(failedTask)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(slow.observe(failedTask)).toEqual([]);
    release();
    await slow.idle;
    expect(t.posts()).toHaveLength(1);
    expect(slow.view().attempts.get('a')).toBe(1);
  });

  test('PAUSED, STOPPED and UNASSIGNED connectors get no request; excluded ones get no series', async () => {
    const t = await setup((_req, res) => json(res, 202, {}), { exclude: /^(?:skip-.*)$/ });
    const s = snap([
      conn('a', 'PAUSED', ['FAILED']),
      conn('b', 'STOPPED', []),
      conn('c', 'UNASSIGNED', []),
      conn('skip-me', 'FAILED', []),
    ]);
    t.restarter.observe(s);
    await t.restarter.idle;
    expect(t.posts()).toEqual([]);
    expect([...t.restarter.view().attempts.keys()]).toEqual(['a', 'b', 'c']);
  });
});
