import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import type { Notification } from '../../../src/notify/events.js';
import { Healing } from '../../../src/restarter/healing.js';
import type { ClusterSnapshot } from '../../../src/state/snapshot.js';
import { json, startFakeConnect, type FakeConnect } from '../../helpers/fake-connect.js';
import { connectorView } from '../../fixtures/views.js';

const conn = (name: string, state: string, tasks: string[]): ConnectorView =>
  connectorView(name, state, tasks, { task: () => 'java.lang.RuntimeException: boom' });

function snap(cluster: string, connectors: ConnectorView[], takenAt: number, up = true): ClusterSnapshot {
  return {
    cluster,
    takenAt,
    connect: { up, durationSeconds: 0, errorsTotal: 0, connectors, stale: !up, expanded: true, requests: 1 },
    failures: { connectors: new Map(), tasks: new Map() },
  };
}

/** A pino logger whose JSON lines land in `lines`. */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n'))
        if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

let fake: FakeConnect | undefined;
let healing: Healing | undefined;
afterEach(async () => {
  await healing?.close(100);
  await fake?.close();
  healing = undefined;
  fake = undefined;
});

async function setup(extra: string[]) {
  fake = await startFakeConnect((_req, res) => json(res, 202, {}));
  const config = loadConfig({
    argv: ['--connect.url', fake.url, '--connect.name', 'prod', '--restart.backoff-base', '1m', ...extra],
    env: {},
  });
  const sent: Notification[] = [];
  const { logger, lines } = capturingLogger();
  let now = Date.UTC(2025, 0, 1);
  healing = new Healing({ config, logger, notify: (n) => sent.push(n), now: () => now });
  const f = fake;
  return {
    healing,
    sent,
    lines,
    posts: () => f.requests.filter((r) => r.method === 'POST').map((r) => r.url),
    at: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('Healing (the hooks main.ts wires)', () => {
  test('restart enabled: counters on the snapshot, a restart sent, events in order, the decision logged', async () => {
    const t = await setup(['--restart.enabled']);
    const failing = snap('prod', [conn('orders', 'RUNNING', ['RUNNING', 'FAILED'])], t.at());
    const decorated = t.healing.decorate(failing);
    expect(decorated.restarts?.attempts.get('orders')).toBe(0);
    t.healing.onSnapshot(decorated);
    await t.healing.idle();
    expect(t.posts()).toEqual(['/connectors/orders/restart?includeTasks=true&onlyFailed=true']);
    // The counter shows on the next poll's snapshot.
    t.advance(15_000);
    const recovered = t.healing.decorate(
      snap('prod', [conn('orders', 'RUNNING', ['RUNNING', 'RUNNING'])], t.at()),
    );
    expect(recovered.restarts?.attempts.get('orders')).toBe(1);
    t.healing.onSnapshot(recovered);
    expect(t.sent.map((n) => [n.event, n.task, n.restart?.attempt])).toEqual([
      ['failed', 1, undefined],
      ['restarted', null, 1],
      ['recovered', 1, undefined],
    ]);
    const decision = t.lines.find((l) => l.msg === 'restarting');
    expect(decision).toMatchObject({
      cluster: 'prod',
      connector: 'orders',
      tasks: [1],
      attempt: 1,
      maxAttempts: 10,
      nextAllowedAt: '2025-01-01T00:02:00.000Z',
    });
  });

  test('a failed poll (stale snapshot) is neither acted on nor notified', async () => {
    const t = await setup(['--restart.enabled']);
    t.healing.onSnapshot(snap('prod', [conn('orders', 'FAILED', [])], t.at(), false));
    await t.healing.idle();
    expect(t.posts()).toEqual([]);
    expect(t.sent).toEqual([]);
  });

  test('restart off (the default): no counters, no request, but failures are still notified', async () => {
    const t = await setup([]);
    const s = t.healing.decorate(snap('prod', [conn('orders', 'FAILED', [])], t.at()));
    expect(s.restarts).toBeUndefined();
    t.healing.onSnapshot(s);
    await t.healing.idle();
    expect(t.posts()).toEqual([]);
    expect(t.sent.map((n) => n.event)).toEqual(['failed']);
  });

  test('budget exhausted is logged with why, once', async () => {
    const t = await setup(['--restart.enabled', '--restart.max-attempts', '1']);
    for (let i = 0; i < 10; i++) {
      t.healing.onSnapshot(snap('prod', [conn('orders', 'FAILED', [])], t.at()));
      await t.healing.idle();
      t.advance(60_000);
    }
    const exhausted = t.lines.filter(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('restart budget exhausted'),
    );
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]).toMatchObject({ connector: 'orders', attempt: 1, maxAttempts: 1, level: 40 });
    expect(t.sent.map((n) => n.event)).toEqual(['failed', 'restarted', 'budget_exhausted']);
    expect(t.posts()).toHaveLength(1);
  });
});
