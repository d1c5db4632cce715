import { describe, expect, test } from 'vitest';
import type { ConnectorView } from '../../../src/connect/types.js';
import { taskFailures, taskKey, type FailureCounters } from '../../../src/state/snapshot.js';
import { countFailures, diffStates } from '../../../src/state/transitions.js';
import { connectorView } from '../../fixtures/views.js';

const conn = (name: string, state: string, tasks: string[] = []): ConnectorView =>
  connectorView(name, state, tasks);

const none = { connectors: new Map<string, number>(), tasks: new Map<string, number>() };

describe('countFailures', () => {
  test('counts each entry into FAILED once, across polls', () => {
    const polls = [
      [conn('a', 'RUNNING', ['RUNNING'])],
      [conn('a', 'FAILED', ['FAILED'])],
      [conn('a', 'FAILED', ['FAILED'])], // still failed: no new transition
      [conn('a', 'RESTARTING', ['RESTARTING'])],
      [conn('a', 'RUNNING', ['RUNNING'])],
      [conn('a', 'FAILED', ['FAILED'])],
    ];
    let counters: FailureCounters = none;
    let prev: ConnectorView[] | undefined;
    for (const p of polls) {
      counters = countFailures(prev, p, counters);
      prev = p;
    }
    expect(counters.connectors.get('a')).toBe(2);
    expect(counters.tasks.get(taskKey('a', 0))).toBe(2);
  });

  test('first seen FAILED counts once; deleted connectors and tasks drop their counters', () => {
    const c1 = countFailures(
      undefined,
      [conn('a', 'FAILED', ['FAILED', 'RUNNING']), conn('b', 'RUNNING')],
      none,
    );
    expect(c1.connectors.get('a')).toBe(1);
    expect(c1.connectors.get('b')).toBe(0);
    expect(taskFailures(c1, 'a', 1)).toBe(0);
    expect(c1.tasks.has(taskKey('a', 1))).toBe(false); // sparse: tasks that never failed have no entry
    const c2 = countFailures(
      [conn('a', 'FAILED', ['FAILED', 'RUNNING'])],
      [conn('a', 'FAILED', ['FAILED'])],
      c1,
    );
    expect([...c2.connectors.keys()]).toEqual(['a']);
    expect([...c2.tasks.keys()]).toEqual([taskKey('a', 0)]);
  });
});

test('diffStates reports changes, new and gone connectors and tasks', () => {
  const before = [conn('a', 'RUNNING', ['RUNNING', 'RUNNING']), conn('gone', 'PAUSED')];
  const after = [conn('a', 'RUNNING', ['FAILED']), conn('new', 'UNASSIGNED')];
  const t = diffStates(before, after);
  expect(t).toEqual(
    expect.arrayContaining([
      { connector: 'a', task: 0, from: 'RUNNING', to: 'FAILED' },
      { connector: 'a', task: 1, from: 'RUNNING' },
      { connector: 'new', to: 'UNASSIGNED' },
      { connector: 'gone', from: 'PAUSED' },
    ]),
  );
  expect(t).toHaveLength(4);
});
