import { describe, expect, test } from 'vitest';
import type { InstanceRecord } from '../../../src/connect/status-record.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import { StatusMerge } from '../../../src/state/status-merge.js';
import { countFailures } from '../../../src/state/transitions.js';
import { connectorView } from '../../fixtures/views.js';

const SETTLE = 5_000;
const T0 = 1_000_000;

const task = (
  connector: string,
  id: number,
  state: string | undefined,
  generation = 1,
  workerId = 'w1',
  trace?: string,
): InstanceRecord => ({
  kind: 'task',
  connector,
  task: id,
  ...(state === undefined
    ? {}
    : { status: { state, workerId, generation, ...(trace !== undefined ? { trace } : {}) } }),
});
const conn = (
  connector: string,
  state: string | undefined,
  generation = 1,
  workerId = 'w1',
): InstanceRecord => ({
  kind: 'connector',
  connector,
  ...(state === undefined ? {} : { status: { state, workerId, generation } }),
});

/** What a user reads off the list: connector state, and each task's state on its worker. */
const states = (list: readonly ConnectorView[]): Record<string, string> =>
  Object.fromEntries(
    list.map((c) => [c.name, [c.state, ...c.tasks.map((t) => `${t.id}:${t.state}@${t.workerId}`)].join(' ')]),
  );

function polled(): ConnectorView[] {
  return [connectorView('a', 'RUNNING', ['RUNNING', 'RUNNING']), connectorView('b', 'RUNNING', ['RUNNING'])];
}

describe('StatusMerge', () => {
  test('records update state, trace and worker between polls; the poll keeps config and type', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    const { steps } = m.apply(
      [task('a', 1, 'FAILED', 2, 'w2', 'java.lang.RuntimeException: boom')],
      T0 + 100,
    );
    expect(steps).toHaveLength(1);
    const a = steps[0]![0]!;
    expect(states(steps[0]!)).toEqual({ a: 'RUNNING 0:RUNNING@w1 1:FAILED@w2', b: 'RUNNING 0:RUNNING@w1' });
    expect(a.tasks[1]!.trace).toBe('java.lang.RuntimeException: boom');
    expect(a.className).toBe('X');
    expect(a.type).toBe('sink');
    // RUNNING again: the old trace goes with the failure.
    const back = m.apply([task('a', 1, 'RUNNING', 2, 'w2')], T0 + 200).steps[0]!;
    expect(back[0]!.tasks[1]!.trace).toBeUndefined();
    // Untouched connectors are the same objects: the renderer and the memory keep them as they are.
    expect(back[1]).toBe(m.connectors[1]);
  });

  test('a record that changes nothing makes no list', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    expect(m.apply([task('a', 0, 'RUNNING'), conn('b', 'RUNNING')], T0 + 1).steps).toEqual([]);
  });

  test('a flap in one batch gives one list per change of the instance, so counting misses no transition', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    const first = m.poll(polled(), T0);
    let failures = countFailures(undefined, first, { connectors: new Map(), tasks: new Map() });
    const { steps } = m.apply(
      [task('a', 0, 'FAILED'), task('b', 0, 'FAILED'), task('a', 0, 'RESTARTING'), task('a', 0, 'RUNNING')],
      T0 + 100,
    );
    expect(steps.map(states)).toEqual([
      { a: 'RUNNING 0:FAILED@w1 1:RUNNING@w1', b: 'RUNNING 0:FAILED@w1' },
      { a: 'RUNNING 0:RESTARTING@w1 1:RUNNING@w1', b: 'RUNNING 0:FAILED@w1' },
      { a: 'RUNNING 0:RUNNING@w1 1:RUNNING@w1', b: 'RUNNING 0:FAILED@w1' },
    ]);
    let prev: readonly ConnectorView[] = first;
    for (const s of steps) {
      failures = countFailures(prev, s, failures);
      prev = s;
    }
    expect(failures.tasks.get('a\u00000')).toBe(1);
    expect(failures.tasks.get('b\u00000')).toBe(1);
  });

  test('a bootstrap batch is collapsed into its end state', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    const { steps } = m.apply(
      [task('a', 0, 'FAILED'), task('a', 0, 'RUNNING'), task('a', 0, 'FAILED')],
      T0,
      true,
    );
    expect(steps.map(states)).toEqual([{ a: 'RUNNING 0:FAILED@w1 1:RUNNING@w1', b: 'RUNNING 0:RUNNING@w1' }]);
  });

  test('the poll decides which connectors and tasks exist: records for others wait for a poll that shows them', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    // Counted as unknown, so that the poller asks the REST API about them now rather than at the next poll.
    expect(
      m.apply([conn('new', 'FAILED'), task('a', 7, 'FAILED'), conn('gone', undefined)], T0 + 100),
    ).toEqual({
      steps: [],
      stale: 0,
      unknown: 2,
    });
    expect(m.connectors.map((c) => c.name)).toEqual(['a', 'b']);
    // The next poll (sent 1 s later) lists "new" as the worker saw it before its record was read.
    const next = m.poll([...polled(), connectorView('new', 'RUNNING')], T0 + 1_100);
    expect(states(next).new).toBe('FAILED');
    expect(next[0]!.tasks.map((t) => t.id)).toEqual([0, 1]);
  });

  test('a poll sent well after a record replaces it; a record read shortly before the request, or after, wins', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    m.apply([task('a', 0, 'FAILED')], T0 + 1_000);
    // Sent 3 s after the record was read: the worker answering may not have read it yet.
    expect(states(m.poll(polled(), T0 + 4_000)).a).toBe('RUNNING 0:FAILED@w1 1:RUNNING@w1');
    // Sent more than 5 s after: what the worker answers is the newer truth (the poll is the reconciler).
    expect(states(m.poll(polled(), T0 + 6_001)).a).toBe('RUNNING 0:RUNNING@w1 1:RUNNING@w1');
    // A record read after the request was sent beats the answer of that request.
    m.apply([task('a', 1, 'PAUSED')], T0 + 9_000);
    expect(states(m.poll(polled(), T0 + 8_500)).a).toBe('RUNNING 0:RUNNING@w1 1:PAUSED@w1');
  });

  test('tombstones remove at once, and a poll sent before one was read cannot bring the connector back', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    const { steps } = m.apply(
      [task('a', 0, undefined), task('a', 1, undefined), conn('a', undefined)],
      T0 + 100,
    );
    expect(steps.map(states)).toEqual([{ b: 'RUNNING 0:RUNNING@w1' }]);
    expect(m.poll(polled(), T0 + 50).map((c) => c.name)).toEqual(['b']);
    // Much later, a poll that still lists it is right: it was created again.
    expect(m.poll(polled(), T0 + 60_000).map((c) => c.name)).toEqual(['a', 'b']);
  });

  test('a task tombstone removes the task only', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    const { steps } = m.apply([task('a', 1, undefined)], T0 + 1);
    expect(states(steps[0]!)).toEqual({ a: 'RUNNING 0:RUNNING@w1', b: 'RUNNING 0:RUNNING@w1' });
  });

  test('a write of an older generation by another worker is stale; the same worker is never stale', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    m.apply([task('a', 0, 'RUNNING', 6, 'w2')], T0 + 1);
    // w1 lost the task in generation 6 and writes late what it saw in generation 5.
    const late = m.apply([task('a', 0, 'UNASSIGNED', 5, 'w1')], T0 + 2);
    expect(late).toEqual({ steps: [], stale: 1, unknown: 0 });
    expect(states(m.connectors).a).toBe('RUNNING 0:RUNNING@w2 1:RUNNING@w1');
    const same = m.apply([task('a', 0, 'FAILED', 4, 'w2')], T0 + 3);
    expect(same.stale).toBe(0);
    expect(states(m.connectors).a).toBe('RUNNING 0:FAILED@w2 1:RUNNING@w1');
  });

  test('once a poll shows otherwise than the held record, an older generation is accepted (a recreated group)', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    m.apply([task('a', 0, 'RUNNING', 50, 'w2')], T0 + 1);
    // Every worker restarted in a new group: generations start again, the poll shows the task on w1.
    m.poll(polled(), T0 + 60_000);
    const { steps, stale } = m.apply([task('a', 0, 'FAILED', 1, 'w1')], T0 + 60_001);
    expect(stale).toBe(0);
    expect(states(steps[0]!).a).toBe('RUNNING 0:FAILED@w1 1:RUNNING@w1');
  });

  test('records of connectors no poll lists are forgotten once a later poll is sent', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    m.apply([conn('deleted-long-ago', undefined), conn('other-cluster', 'RUNNING')], T0);
    m.poll(polled(), T0 + 60_000);
    // Had they been kept, this poll would take their state.
    const later = m.poll([...polled(), connectorView('other-cluster', 'PAUSED')], T0 + 60_001);
    expect(states(later)['other-cluster']).toBe('PAUSED');
  });

  test('clear() drops the connectors until the next poll; records still apply to that poll', () => {
    const m = new StatusMerge({ settleMs: SETTLE });
    m.poll(polled(), T0);
    m.clear();
    expect(m.apply([conn('a', 'FAILED')], T0 + 1).steps).toEqual([]);
    expect(states(m.poll(polled(), T0 + 2)).a).toBe('FAILED 0:RUNNING@w1 1:RUNNING@w1');
  });
});
