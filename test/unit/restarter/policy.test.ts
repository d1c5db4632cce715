import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { ConnectorView } from '../../../src/connect/types.js';
import {
  backoffMs,
  decideRestarts,
  type PolicyConfig,
  type RestartHistory,
} from '../../../src/restarter/policy.js';
import { connectorView } from '../../fixtures/views.js';

const MIN = 60_000;

/** The defaults of the command line contract. */
const DEFAULTS: PolicyConfig = {
  maxAttempts: 10,
  backoffBaseMs: MIN,
  backoffMaxMs: 60 * MIN,
  resetAfterMs: 30 * MIN,
  include: /^(?:.*)$/,
};

const conn = (name: string, state: string, tasks: string[] = ['RUNNING']): ConnectorView =>
  connectorView(name, state, tasks, { task: () => 'boom' });

/** Polls the policy on a fake clock; returns the minutes at which restarts were decided. */
function simulate(
  states: (minute: number) => ConnectorView[],
  config: PolicyConfig,
  minutes: number,
  stepMs = 15_000,
): { restarts: number[]; exhaustedAt: number[]; resets: number[]; history: RestartHistory } {
  let history: RestartHistory = new Map();
  const restarts: number[] = [];
  const exhaustedAt: number[] = [];
  const resets: number[] = [];
  for (let t = 0; t <= minutes * MIN; t += stepMs) {
    const r = decideRestarts(states(t / MIN), history, config, t);
    history = r.history;
    for (const d of r.decisions) {
      if (d.kind === 'restart') restarts.push(t / MIN);
      if (d.kind === 'exhausted') exhaustedAt.push(t / MIN);
      if (d.kind === 'reset') resets.push(t / MIN);
    }
  }
  return { restarts, exhaustedAt, resets, history };
}

describe('backoff', () => {
  test.each([
    [0, 0],
    [1, 2],
    [2, 6],
    [3, 12],
    [4, 20],
    [5, 30],
    [6, 42],
    [7, 56],
    [8, 60], // 72 capped
    [9, 60], // 90 capped
    [10, 60],
  ])('with the defaults, the wait after attempt %i is %i minutes', (n, minutes) => {
    expect(backoffMs(n, DEFAULTS)).toBe(minutes * MIN);
  });

  test('a permanently FAILED connector: 10 attempts at the n²+n schedule, then exhausted once, then nothing', () => {
    const sim = simulate(() => [conn('a', 'FAILED', ['FAILED'])], DEFAULTS, 10 * 60);
    expect(sim.restarts).toEqual([0, 2, 8, 20, 40, 70, 112, 168, 228, 288]);
    // Declared when the 11th attempt would have been due: 288 + 60.
    expect(sim.exhaustedAt).toEqual([348]);
    expect(sim.history.get('a')).toMatchObject({ attempts: 10, exhausted: true });
  });

  test('a small base for tests scales the same schedule', () => {
    const cfg = { ...DEFAULTS, backoffBaseMs: 200, backoffMaxMs: 60 * MIN, maxAttempts: 3 };
    let history: RestartHistory = new Map();
    const at: number[] = [];
    let exhausted = -1;
    for (let t = 0; t <= 10_000; t += 100) {
      const r = decideRestarts([conn('a', 'RUNNING', ['FAILED'])], history, cfg, t);
      history = r.history;
      if (r.actions.length > 0) at.push(t);
      if (r.decisions.some((d) => d.kind === 'exhausted')) exhausted = t;
    }
    expect(at).toEqual([0, 400, 1600]);
    expect(exhausted).toBe(4000);
  });

  test('a restart decision says when the next attempt is allowed', () => {
    const r1 = decideRestarts([conn('a', 'FAILED')], new Map(), DEFAULTS, 1_000);
    expect(r1.actions).toEqual([
      { connector: 'a', connectorFailed: true, tasks: [], attempt: 1, nextAllowedAt: 1_000 + 2 * MIN },
    ]);
    const r2 = decideRestarts([conn('a', 'FAILED')], r1.history, DEFAULTS, 1_000 + MIN);
    expect(r2.actions).toEqual([]);
    expect(r2.decisions).toEqual([
      {
        kind: 'backoff',
        connector: 'a',
        connectorFailed: true,
        tasks: [],
        attempt: 1,
        nextAllowedAt: 1_000 + 2 * MIN,
      },
    ]);
    const r3 = decideRestarts([conn('a', 'FAILED')], r2.history, DEFAULTS, 1_000 + 2 * MIN);
    expect(r3.actions.map((a) => [a.attempt, a.nextAllowedAt])).toEqual([[2, 1_000 + 2 * MIN + 6 * MIN]]);
  });
});

describe('what is restarted', () => {
  test.each<[string, string, string[], { connectorFailed: boolean; tasks: number[] } | undefined]>([
    ['connector FAILED', 'FAILED', ['RUNNING'], { connectorFailed: true, tasks: [] }],
    ['connector and a task FAILED', 'FAILED', ['FAILED', 'RUNNING'], { connectorFailed: true, tasks: [0] }],
    [
      'tasks FAILED, connector RUNNING',
      'RUNNING',
      ['RUNNING', 'FAILED', 'FAILED'],
      { connectorFailed: false, tasks: [1, 2] },
    ],
    [
      'FAILED task next to an UNASSIGNED one',
      'RUNNING',
      ['UNASSIGNED', 'FAILED'],
      { connectorFailed: false, tasks: [1] },
    ],
    ['PAUSED connector with a FAILED task', 'PAUSED', ['FAILED'], undefined],
    ['PAUSED connector', 'PAUSED', ['PAUSED'], undefined],
    ['STOPPED connector (no tasks)', 'STOPPED', [], undefined],
    ['UNASSIGNED connector', 'UNASSIGNED', [], undefined],
    ['UNASSIGNED task', 'RUNNING', ['UNASSIGNED'], undefined],
    ['RESTARTING', 'RESTARTING', ['RESTARTING'], undefined],
    ['healthy', 'RUNNING', ['RUNNING', 'RUNNING'], undefined],
    ['a state this version does not know', 'DEGRADED', ['RUNNING'], undefined],
  ])('%s', (_what, state, tasks, expected) => {
    const r = decideRestarts([conn('a', state, tasks)], new Map(), DEFAULTS, 0);
    if (expected === undefined) {
      expect(r.actions).toEqual([]);
      expect(r.history.size).toBe(0);
    } else {
      expect(r.actions).toEqual([{ connector: 'a', ...expected, attempt: 1, nextAllowedAt: 2 * MIN }]);
    }
  });

  test('include and exclude are anchored patterns on the connector name; exclude wins', () => {
    const cfg = { ...DEFAULTS, include: /^(?:orders-.*)$/, exclude: /^(?:orders-legacy)$/ };
    const r = decideRestarts(
      [
        conn('orders-sink', 'FAILED'),
        conn('orders-legacy', 'FAILED'),
        conn('payments', 'FAILED'),
        conn('x-orders-a', 'FAILED'),
      ],
      new Map(),
      cfg,
      0,
    );
    expect(r.actions.map((a) => a.connector)).toEqual(['orders-sink']);
    expect([...r.history.keys()]).toEqual(['orders-sink']);
  });

  test.each(['PAUSED', 'STOPPED'])(
    'a %s connector is never touched, even with a restart history',
    (state) => {
      // FAILED and restarted once; then the user pauses or stops it for two hours.
      const sim = simulate(
        (m) => (m === 0 ? [conn('a', 'FAILED')] : [conn('a', state, state === 'PAUSED' ? ['FAILED'] : [])]),
        DEFAULTS,
        120,
      );
      expect(sim.restarts).toEqual([0]);
      expect(sim.exhaustedAt).toEqual([]);
    },
  );

  test('worker scope: the instance of another worker is not ours; our FAILED tasks are, one by one', () => {
    const elsewhere = (state: string, tasks: string[]): ConnectorView => ({
      ...conn('a', state, tasks),
      scoped: { instanceHere: false, totalTasks: 4 },
    });
    expect(decideRestarts([elsewhere('FAILED', ['RUNNING'])], new Map(), DEFAULTS, 0).actions).toEqual([]);
    expect(decideRestarts([elsewhere('FAILED', ['FAILED'])], new Map(), DEFAULTS, 0).actions).toEqual([
      {
        connector: 'a',
        connectorFailed: false,
        tasks: [0],
        scoped: true,
        attempt: 1,
        nextAllowedAt: 2 * MIN,
      },
    ]);
    const here = { ...conn('a', 'FAILED', []), scoped: { instanceHere: true, totalTasks: 4 } };
    expect(decideRestarts([here], new Map(), DEFAULTS, 0).actions).toEqual([
      { connector: 'a', connectorFailed: true, tasks: [], scoped: true, attempt: 1, nextAllowedAt: 2 * MIN },
    ]);
  });

  test('connectors that are gone are forgotten', () => {
    const r1 = decideRestarts([conn('a', 'FAILED'), conn('b', 'FAILED')], new Map(), DEFAULTS, 0);
    const r2 = decideRestarts([conn('b', 'FAILED')], r1.history, DEFAULTS, MIN);
    expect([...r2.history.keys()]).toEqual(['b']);
    // Re-created under the same name: a fresh budget.
    const r3 = decideRestarts([conn('a', 'FAILED'), conn('b', 'FAILED')], r2.history, DEFAULTS, MIN);
    expect(r3.actions.map((a) => [a.connector, a.attempt])).toEqual([['a', 1]]);
  });
});

describe('budget and reset', () => {
  const cfg = { ...DEFAULTS, maxAttempts: 3 };

  test('budget spent: no more restarts, exhausted while failing, cleared (gauge 0) while healthy', () => {
    // FAILED for 30 minutes, RUNNING (someone else restarted it) for 10, FAILED again.
    const sim = simulate(
      (m) => (m < 30 ? [conn('a', 'FAILED')] : m < 40 ? [conn('a', 'RUNNING')] : [conn('a', 'FAILED')]),
      cfg,
      60,
    );
    expect(sim.restarts).toEqual([0, 2, 8]);
    // 8 + 12: when the 4th would have been due; and again at once on failing again within resetAfter.
    expect(sim.exhaustedAt).toEqual([20, 40]);
    expect(sim.resets).toEqual([]);
    expect(sim.history.get('a')).toMatchObject({ attempts: 3, exhausted: true });
  });

  test('healthy for resetAfter clears the history: the next failure starts again at attempt 1', () => {
    const sim = simulate(
      (m) => (m < 10 ? [conn('a', 'FAILED')] : m < 45 ? [conn('a', 'RUNNING')] : [conn('a', 'FAILED')]),
      cfg,
      46,
    );
    // Attempts at 0, 2, 8; healthy from 10; reset at 40; failure at 45 → attempt 1 at once.
    expect(sim.restarts).toEqual([0, 2, 8, 45]);
    expect(sim.resets).toEqual([40]);
    expect(sim.history.get('a')).toMatchObject({ attempts: 1 });
  });

  test('a failure before resetAfter interrupts the healthy period; it starts over afterwards', () => {
    const sim = simulate(
      (m) =>
        m < 1
          ? [conn('a', 'FAILED')]
          : m < 20 || (m >= 21 && m < 100)
            ? [conn('a', 'RUNNING')]
            : [conn('a', 'FAILED')],
      { ...DEFAULTS, resetAfterMs: 30 * MIN },
      99,
    );
    // Attempt 2 at 20 (due since 2); healthy again from 21; reset 30 min later, at 51.
    expect(sim.restarts).toEqual([0, 20]);
    expect(sim.resets).toEqual([51]);
  });

  test('a restart by someone else counts as recovery: the reset timer starts without us', () => {
    const r1 = decideRestarts([conn('a', 'RUNNING', ['FAILED'])], new Map(), DEFAULTS, 0);
    expect(r1.actions).toHaveLength(1);
    // Still failing at 1 min (within the backoff): nothing. At 1.5 min RUNNING: nobody here restarted it.
    const r2 = decideRestarts([conn('a', 'RUNNING', ['FAILED'])], r1.history, DEFAULTS, MIN);
    expect(r2.actions).toEqual([]);
    const r3 = decideRestarts([conn('a', 'RUNNING', ['RUNNING'])], r2.history, DEFAULTS, 1.5 * MIN);
    expect(r3.history.get('a')).toMatchObject({ attempts: 1, healthySince: 1.5 * MIN });
    const r4 = decideRestarts([conn('a', 'RUNNING', ['RUNNING'])], r3.history, DEFAULTS, 31.5 * MIN);
    expect(r4.decisions).toEqual([{ kind: 'reset', connector: 'a', attempt: 1, healthySince: 1.5 * MIN }]);
    expect(r4.history.has('a')).toBe(false);
  });

  test('RESTARTING and UNASSIGNED neither heal nor fail: the healthy period and backoff carry over', () => {
    const sim = simulate(
      (m) =>
        m < 1
          ? [conn('a', 'FAILED')]
          : m < 5
            ? [conn('a', 'RESTARTING', ['UNASSIGNED'])]
            : [conn('a', 'RUNNING')],
      DEFAULTS,
      40,
    );
    expect(sim.restarts).toEqual([0]);
    expect(sim.resets).toEqual([35]);
  });

  test('a PAUSED connector whose budget is spent is not reported as exhausted', () => {
    const sim = simulate(
      (m) => (m < 30 ? [conn('a', 'FAILED')] : [conn('a', 'PAUSED', ['FAILED'])]),
      cfg,
      40,
    );
    expect(sim.exhaustedAt).toEqual([20]);
    expect(sim.history.get('a')).toMatchObject({ attempts: 3, exhausted: false });
  });
});

describe('invariants over random state sequences', () => {
  const STATES = ['RUNNING', 'FAILED', 'PAUSED', 'STOPPED', 'UNASSIGNED', 'RESTARTING'] as const;
  const TASK_STATES = ['RUNNING', 'FAILED', 'PAUSED', 'UNASSIGNED', 'RESTARTING'] as const;

  test('only failing, unheld connectors are restarted; never beyond the budget; never before the backoff', () => {
    const cfg: PolicyConfig = {
      ...DEFAULTS,
      maxAttempts: 4,
      backoffBaseMs: 1_000,
      backoffMaxMs: 20_000,
      resetAfterMs: 30_000,
    };
    const poll = fc.record({
      gapMs: fc.integer({ min: 100, max: 20_000 }),
      state: fc.constantFrom(...STATES),
      tasks: fc.array(fc.constantFrom(...TASK_STATES), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(poll, { minLength: 1, maxLength: 80 }), (polls) => {
        let history: RestartHistory = new Map();
        let now = 0;
        let episodeAttempts = 0;
        let lastAttempt = -Infinity;
        for (const p of polls) {
          now += p.gapMs;
          const c = conn('a', p.state, p.state === 'STOPPED' ? [] : p.tasks);
          const r = decideRestarts([c], history, cfg, now);
          history = r.history;
          if (r.decisions.some((d) => d.kind === 'reset')) episodeAttempts = 0;
          for (const a of r.actions) {
            const failing = c.state === 'FAILED' || c.tasks.some((t) => t.state === 'FAILED');
            expect(failing).toBe(true);
            expect(['PAUSED', 'STOPPED']).not.toContain(c.state);
            expect(a.tasks).toEqual(c.tasks.filter((t) => t.state === 'FAILED').map((t) => t.id));
            if (episodeAttempts > 0)
              expect(now - lastAttempt).toBeGreaterThanOrEqual(backoffMs(episodeAttempts, cfg));
            episodeAttempts++;
            expect(a.attempt).toBe(episodeAttempts);
            expect(episodeAttempts).toBeLessThanOrEqual(cfg.maxAttempts);
            lastAttempt = now;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
