/** What the sidecar remembers across polls for the status page: state ages, DLQ growth, stalls. */
import { describe, expect, test } from 'vitest';
import {
  GROWTH_WINDOW_MS,
  STALL_WINDOW_MS,
  growth,
  recordSnapshot,
  sinkKey,
  sinkProgress,
  valueAt,
  type ClusterHistory,
} from '../../../src/state/history.js';
import type { ClusterSnapshot, KafkaView } from '../../../src/state/snapshot.js';
import { taskKey } from '../../../src/state/snapshot.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import { NO_DLQ_STATUS, connectorView, snapshotWith } from '../../fixtures/views.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

function snap(
  at: number,
  connectors: ConnectorView[],
  opts: { up?: boolean; kafka?: Partial<KafkaView> } = {},
): ClusterSnapshot {
  const s = snapshotWith(connectors);
  const up = opts.up ?? true;
  return {
    ...s,
    takenAt: at,
    connect: { ...s.connect, up, stale: !up },
    ...(opts.kafka
      ? {
          kafka: {
            up: true,
            durationSeconds: 0,
            errorsTotal: 0,
            dlq: [],
            dlqErrors: [],
            dlqLast: [],
            lag: [],
            dlqStatus: NO_DLQ_STATUS,
            ...opts.kafka,
          },
        }
      : {}),
  };
}

/** Feeds snapshots in order, as the composition does. */
function replay(snapshots: readonly ClusterSnapshot[]): ClusterHistory {
  let h: ClusterHistory | undefined;
  for (const s of snapshots) h = recordSnapshot(h, s);
  if (h === undefined) throw new Error('no successful poll');
  return h;
}

describe('since when an instance has been in its state', () => {
  test('a state seen at the first poll began then or earlier; one entered later began at that poll', () => {
    const h = replay([
      snap(T0, [connectorView('a', 'FAILED', ['RUNNING']), connectorView('b', 'RUNNING', ['RUNNING'])]),
      snap(T0 + MIN, [connectorView('a', 'FAILED', ['RUNNING']), connectorView('b', 'RUNNING', ['FAILED'])]),
      snap(T0 + 2 * MIN, [
        connectorView('a', 'FAILED', ['RUNNING']),
        connectorView('b', 'RUNNING', ['FAILED']),
      ]),
    ]);
    expect(h.connectors.get('a')).toEqual({ state: 'FAILED', at: T0, atStart: true });
    expect(h.tasks.get(taskKey('b', 0))).toEqual({ state: 'FAILED', at: T0 + MIN, atStart: false });
    // RUNNING needs no age, and costs no entry.
    expect(h.connectors.has('b')).toBe(false);
    expect(h.tasks.has(taskKey('a', 0))).toBe(false);
  });

  test('a change of state restarts the clock; a failed or stale poll changes nothing', () => {
    const failed = [connectorView('a', 'RUNNING', ['FAILED'])];
    const h = replay([
      snap(T0, failed),
      snap(T0 + MIN, [connectorView('a', 'RUNNING', ['RUNNING'])]),
      snap(T0 + 2 * MIN, failed),
      // A failed poll carries the last good states: not a new observation.
      snap(T0 + 3 * MIN, [connectorView('a', 'RUNNING', ['UNASSIGNED'])], { up: false }),
    ]);
    expect(h.tasks.get(taskKey('a', 0))).toEqual({ state: 'FAILED', at: T0 + 2 * MIN, atStart: false });
  });

  test('nothing is known before the first successful poll', () => {
    const down = snap(T0, [connectorView('a', 'FAILED')], { up: false });
    expect(recordSnapshot(undefined, down)).toBeUndefined();
    const h = replay([down, snap(T0 + MIN, [connectorView('a', 'FAILED')])]);
    expect(h.connectors.get('a')).toEqual({ state: 'FAILED', at: T0 + MIN, atStart: true });
  });
});

describe('DLQ growth', () => {
  const dlqAt = (at: number, written: number): ClusterSnapshot =>
    snap(at, [connectorView('s', 'RUNNING', ['RUNNING'])], {
      kafka: { dlq: [{ connector: 's', topic: 'dlq', records: written, written, partitions: 1 }] },
    });

  test('over the window before now, or over what was seen when the history is younger', () => {
    const young = replay([dlqAt(T0, 10), dlqAt(T0 + MIN, 14)]);
    expect(growth(young.dlqWritten.get(sinkKey('s', 'dlq')), T0 + MIN)).toEqual({ by: 4, overMs: MIN });
    const polls = Array.from({ length: 11 }, (_, i) => dlqAt(T0 + i * MIN, 10 + 3 * i));
    const h = replay(polls);
    // Written 10 + 3i at minute i: 40 at minute 10, 25 at minute 5.
    expect(growth(h.dlqWritten.get(sinkKey('s', 'dlq')), T0 + 10 * MIN)).toEqual({
      by: 15,
      overMs: GROWTH_WINDOW_MS,
    });
  });

  test('only changes are kept, and only as far back as the windows need', () => {
    const polls = Array.from({ length: 30 }, (_, i) => dlqAt(T0 + i * MIN, i < 20 ? 10 + i : 29));
    const steps = replay(polls).dlqWritten.get(sinkKey('s', 'dlq'))!;
    // 29 from minute 19 on. At minute 29 the 10 min kept reach back to minute 19, whose pair says what the
    // value was then: nothing older is needed.
    expect(steps).toEqual([T0 + 19 * MIN, 29]);
    expect(valueAt(steps, T0 + 29 * MIN)).toBe(29);
    expect(valueAt(steps, T0 + 18 * MIN)).toBeUndefined();
  });

  test('a failed Kafka read moves nothing', () => {
    const h = replay([
      dlqAt(T0, 10),
      snap(T0 + MIN, [connectorView('s', 'RUNNING', ['RUNNING'])], {
        kafka: {
          up: false,
          dlq: [{ connector: 's', topic: 'dlq', records: 99, written: 99, partitions: 1 }],
        },
      }),
    ]);
    expect(h.dlqWritten.get(sinkKey('s', 'dlq'))).toEqual([T0, 10]);
  });
});

describe('stalled or idle sink', () => {
  /** Polls once a minute for `minutes`, with the end and committed offsets each minute gives. */
  function sink(minutes: number, at: (i: number) => { end: number; committed: number }): ClusterHistory {
    return replay(
      Array.from({ length: minutes + 1 }, (_, i) => {
        const { end, committed } = at(i);
        return snap(T0 + i * MIN, [connectorView('s', 'RUNNING', ['RUNNING'])], {
          kafka: { lag: [{ connector: 's', topic: 'in', lag: end - committed, committed }] },
        });
      }),
    );
  }
  const progress = (h: ClusterHistory, minute: number) => {
    const committed = h.committed.get(sinkKey('s', 'in'))!;
    const produced = h.produced.get(sinkKey('s', 'in'))!;
    const lag = (produced[produced.length - 1] as number) - (committed[committed.length - 1] as number);
    return sinkProgress(h, 's', 'in', lag, T0 + minute * MIN);
  };

  test('records keep arriving and committed stays flat for the window: stalled, since the last commit', () => {
    // Consumes until minute 3, then commits nothing while 5 records a minute keep arriving.
    const h = sink(15, (i) => ({ end: 100 + 5 * i, committed: 100 + 5 * Math.min(i, 3) }));
    expect(progress(h, 15)).toEqual({ kind: 'stalled', flatSince: T0 + 3 * MIN });
  });

  test("a partition's last records went to the DLQ and nothing arrives after them: idle, not a stall", () => {
    // Good records committed until minute 2; 3 records at minute 3 go to the DLQ; the sink never commits past them.
    const h = sink(20, (i) => ({ end: i < 3 ? 100 + 5 * i : 113, committed: 100 + 5 * Math.min(i, 2) }));
    expect(progress(h, 20)).toEqual({ kind: 'idle', flatSince: T0 + 2 * MIN });
    // Within the first window after them, the records that wait are younger than the window: no stall either.
    for (let m = 3; m <= 12; m++) {
      const partial = sink(m, (i) => ({
        end: i < 3 ? 100 + 5 * i : 113,
        committed: 100 + 5 * Math.min(i, 2),
      }));
      expect(progress(partial, m).kind, `minute ${m}`).not.toBe('stalled');
    }
  });

  test('a slow sink that commits is not stalled; a history shorter than the window cannot tell', () => {
    const slow = sink(15, (i) => ({ end: 100 + 10 * i, committed: 100 + 5 * i }));
    expect(progress(slow, 15)).toEqual({ kind: 'ok' });
    const young = sink(5, () => ({ end: 120, committed: 100 }));
    expect(progress(young, 5)).toEqual({ kind: 'young' });
    expect(STALL_WINDOW_MS).toBe(10 * MIN);
  });
});
