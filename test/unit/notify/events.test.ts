import { describe, expect, test } from 'vitest';
import type { ConnectorView } from '../../../src/connect/types.js';
import {
  restartNotification,
  traceHead,
  transitionNotifications,
  type FailedInstances,
  type Notification,
} from '../../../src/notify/events.js';
import { connectorView } from '../../fixtures/views.js';

const conn = (name: string, state: string, tasks: string[] = []): ConnectorView =>
  connectorView(name, state, tasks, {
    connector: 'java.lang.RuntimeException: connector broke\n\tat X.y(X.java:1)',
    task: (id) => `org.apache.kafka.connect.errors.ConnectException: task ${id} broke\n\tat A.b(A.java:2)`,
  });

/** Runs polls through transitionNotifications; returns the events as [event, connector, task, from, to]. */
function run(
  polls: (ConnectorView[] | undefined)[],
): [string, string, number | null, string | null, string | null][] {
  let failed: FailedInstances = new Set();
  let previous: ConnectorView[] | undefined;
  const out: Notification[] = [];
  let i = 0;
  for (const p of polls) {
    // undefined = the sidecar lost its previous view (restarted, or the poll data went stale).
    if (p === undefined) {
      previous = undefined;
      continue;
    }
    const r = transitionNotifications(
      'c1',
      previous,
      p,
      failed,
      1_700_000_000_000 + i++ * 15_000,
      () => `id${i}`,
    );
    failed = r.failed;
    out.push(...r.notifications);
    previous = p;
  }
  return out.map((n) => [n.event, n.connector, n.task, n.from, n.to]);
}

describe('transitionNotifications', () => {
  test('failed then recovered, each once, through RESTARTING', () => {
    expect(
      run([
        [conn('a', 'RUNNING', ['RUNNING'])],
        [conn('a', 'RUNNING', ['FAILED'])],
        [conn('a', 'RUNNING', ['FAILED'])],
        [conn('a', 'RUNNING', ['RESTARTING'])],
        [conn('a', 'RUNNING', ['RUNNING'])],
        [conn('a', 'RUNNING', ['RUNNING'])],
      ]),
    ).toEqual([
      ['failed', 'a', 0, 'RUNNING', 'FAILED'],
      ['recovered', 'a', 0, 'RESTARTING', 'RUNNING'],
    ]);
  });

  test('first seen FAILED is reported; first seen RUNNING is not a recovery', () => {
    expect(run([[conn('a', 'FAILED', []), conn('b', 'RUNNING', ['RUNNING'])]])).toEqual([
      ['failed', 'a', null, null, 'FAILED'],
    ]);
  });

  test('no duplicate when the previous view is lost and the instance is still FAILED', () => {
    expect(run([[conn('a', 'RUNNING', ['FAILED'])], undefined, [conn('a', 'RUNNING', ['FAILED'])]])).toEqual([
      ['failed', 'a', 0, null, 'FAILED'],
    ]);
  });

  test('FAILED → UNASSIGNED → FAILED is one failure, not two', () => {
    expect(
      run([
        [conn('a', 'RUNNING', ['FAILED'])],
        [conn('a', 'RUNNING', ['UNASSIGNED'])],
        [conn('a', 'RUNNING', ['FAILED'])],
      ]),
    ).toEqual([['failed', 'a', 0, null, 'FAILED']]);
  });

  test('connector and task are separate instances', () => {
    expect(
      run([
        [conn('a', 'RUNNING', ['RUNNING'])],
        [conn('a', 'FAILED', ['FAILED'])],
        [conn('a', 'RUNNING', ['RUNNING'])],
      ]),
    ).toEqual([
      ['failed', 'a', null, 'RUNNING', 'FAILED'],
      ['failed', 'a', 0, 'RUNNING', 'FAILED'],
      ['recovered', 'a', null, 'FAILED', 'RUNNING'],
      ['recovered', 'a', 0, 'FAILED', 'RUNNING'],
    ]);
  });

  test('a deleted connector is forgotten silently; re-created FAILED it is a new failure', () => {
    expect(run([[conn('a', 'RUNNING', ['FAILED'])], [], [conn('a', 'RUNNING', ['FAILED'])]])).toEqual([
      ['failed', 'a', 0, null, 'FAILED'],
      ['failed', 'a', 0, null, 'FAILED'],
    ]);
  });

  test('PAUSED after FAILED is not a recovery; RUNNING after the resume is', () => {
    expect(run([[conn('a', 'FAILED', [])], [conn('a', 'PAUSED', [])], [conn('a', 'RUNNING', [])]])).toEqual([
      ['failed', 'a', null, null, 'FAILED'],
      ['recovered', 'a', null, 'PAUSED', 'RUNNING'],
    ]);
  });

  test('worker scope: the connector instance of another worker is not reported here', () => {
    const elsewhere = (state: string, tasks: string[]): ConnectorView => ({
      ...conn('a', state, tasks),
      scoped: { instanceHere: false, totalTasks: 2 },
    });
    expect(run([[elsewhere('RUNNING', ['RUNNING'])], [elsewhere('FAILED', ['FAILED'])]])).toEqual([
      ['failed', 'a', 0, 'RUNNING', 'FAILED'],
    ]);
  });

  test('the body: cluster, ids, time, the first lines of the trace', () => {
    const r = transitionNotifications(
      'prod',
      [conn('a', 'RUNNING', ['RUNNING'])],
      [conn('a', 'RUNNING', ['FAILED'])],
      new Set(),
      Date.UTC(2025, 0, 2, 3, 4, 5),
      () => 'x1',
    );
    expect(r.notifications).toEqual([
      {
        version: 1,
        id: 'x1',
        event: 'failed',
        cluster: 'prod',
        connector: 'a',
        task: 0,
        from: 'RUNNING',
        to: 'FAILED',
        trace: 'org.apache.kafka.connect.errors.ConnectException: task 0 broke\n\tat A.b(A.java:2)',
        time: '2025-01-02T03:04:05.000Z',
      },
    ]);
  });
});

describe('traceHead', () => {
  test('adds the root cause when it is below the first lines', () => {
    const trace = [
      'org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.',
      ...Array.from(
        { length: 10 },
        (_, i) => `\tat org.apache.kafka.connect.runtime.WorkerSinkTask.m${i}(WorkerSinkTask.java:${i})`,
      ),
      'Caused by: java.lang.IllegalStateException: middle',
      '\tat x.y(z.java:1)',
      'Caused by: java.lang.RuntimeException: simulated task failure (mock_mode=task-failure)',
      '\tat sentinel.stack.FailingSinkTask.put(FailingSinkTask.java:30)',
    ].join('\n');
    const head = traceHead(trace)?.split('\n');
    expect(head).toHaveLength(7);
    expect(head?.[0]).toMatch(
      /^org\.apache\.kafka\.connect\.errors\.ConnectException: Exiting WorkerSinkTask/,
    );
    expect(head?.[6]).toBe(
      'Caused by: java.lang.RuntimeException: simulated task failure (mock_mode=task-failure)',
    );
  });

  test('keeps the first 5 lines', () => {
    const trace = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    expect(traceHead(trace)).toBe('line 0\nline 1\nline 2\nline 3\nline 4');
    expect(traceHead(undefined)).toBeNull();
    expect(traceHead('x'.repeat(5000))?.length).toBe(2001);
  });
});

describe('restartNotification', () => {
  test('restarted: attempt, tasks, next allowed time, dry-run flag', () => {
    const c = conn('a', 'RUNNING', ['RUNNING', 'FAILED']);
    const n = restartNotification(
      {
        kind: 'restarted',
        cluster: 'prod',
        connector: c,
        tasks: [1],
        attempt: 2,
        nextAllowedAt: Date.UTC(2025, 0, 1, 0, 6),
        dryRun: true,
        at: Date.UTC(2025, 0, 1),
      },
      10,
      () => 'r1',
    );
    expect(n).toEqual({
      version: 1,
      id: 'r1',
      event: 'restarted',
      cluster: 'prod',
      connector: 'a',
      task: null,
      from: 'RUNNING',
      to: null,
      trace: 'org.apache.kafka.connect.errors.ConnectException: task 1 broke\n\tat A.b(A.java:2)',
      time: '2025-01-01T00:00:00.000Z',
      restart: {
        attempt: 2,
        maxAttempts: 10,
        tasks: [1],
        nextAllowedAt: '2025-01-01T00:06:00.000Z',
        dryRun: true,
      },
    });
  });
});
