/** What the sidecar remembers across polls for the status page: state ages, DLQ growth, stalls. */
import { describe, expect, test } from 'vitest';
import type { ConnectorView } from '../../../src/connect/types.js';
import { ClusterHistory, GROWTH_WINDOW_MS } from '../../../src/state/history.js';
import type { ClusterSnapshot, KafkaView } from '../../../src/state/snapshot.js';
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
  const h = new ClusterHistory();
  for (const s of snapshots) h.record(s);
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
    expect(h.connectorSince('a')).toEqual({ state: 'FAILED', at: T0, atStart: true });
    expect(h.taskSince('b', 0)).toEqual({ state: 'FAILED', at: T0 + MIN, atStart: false });
    // RUNNING needs no age.
    expect(h.connectorSince('b')).toBeUndefined();
    expect(h.taskSince('a', 0)).toBeUndefined();
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
    expect(h.taskSince('a', 0)).toEqual({ state: 'FAILED', at: T0 + 2 * MIN, atStart: false });
  });

  test('nothing is known before the first successful poll', () => {
    const down = snap(T0, [connectorView('a', 'FAILED')], { up: false });
    expect(replay([down]).connectorSince('a')).toBeUndefined();
    const h = replay([down, snap(T0 + MIN, [connectorView('a', 'FAILED')])]);
    expect(h.connectorSince('a')).toEqual({ state: 'FAILED', at: T0 + MIN, atStart: true });
  });
});

describe('DLQ growth', () => {
  const dlqAt = (at: number, written: number): ClusterSnapshot =>
    snap(at, [connectorView('s', 'RUNNING', ['RUNNING'])], {
      kafka: { dlq: [{ connector: 's', topic: 'dlq', records: written, written, partitions: 1 }] },
    });

  test('over the window before now, or over what was seen when the history is younger', () => {
    const young = replay([dlqAt(T0, 10), dlqAt(T0 + MIN, 14)]);
    expect(young.dlqGrowth('s', 'dlq', T0 + MIN)).toEqual({ by: 4, overMs: MIN });
    // Written 10 + 3i at minute i: 40 at minute 10, 25 at minute 5.
    const h = replay(Array.from({ length: 11 }, (_, i) => dlqAt(T0 + i * MIN, 10 + 3 * i)));
    expect(h.dlqGrowth('s', 'dlq', T0 + 10 * MIN)).toEqual({ by: 15, overMs: GROWTH_WINDOW_MS });
    expect(h.dlqGrowth('s', 'other', T0 + 10 * MIN)).toEqual({ by: 0, overMs: 0 });
  });

  test('polled every 15 s for an hour, the growth is within a minute of records of the truth', () => {
    // One record per poll: 20 in any 5 minutes.
    const h = replay(Array.from({ length: 241 }, (_, i) => dlqAt(T0 + i * 15_000, i)));
    const g = h.dlqGrowth('s', 'dlq', T0 + 60 * MIN);
    expect(g.overMs).toBe(GROWTH_WINDOW_MS);
    expect(g.by).toBeGreaterThanOrEqual(20);
    expect(g.by).toBeLessThanOrEqual(24);
  });

  test('a failed Kafka read moves nothing; a topic no longer listed starts over', () => {
    const failed = snap(T0 + MIN, [connectorView('s', 'RUNNING', ['RUNNING'])], {
      kafka: { up: false, dlq: [{ connector: 's', topic: 'dlq', records: 99, written: 99, partitions: 1 }] },
    });
    expect(replay([dlqAt(T0, 10), failed]).dlqGrowth('s', 'dlq', T0 + MIN)).toEqual({ by: 0, overMs: MIN });
    const gone = snap(T0 + MIN, [connectorView('s', 'RUNNING', ['RUNNING'])], { kafka: {} });
    const back = replay([dlqAt(T0, 10), gone, dlqAt(T0 + 2 * MIN, 30)]);
    expect(back.dlqGrowth('s', 'dlq', T0 + 2 * MIN)).toEqual({ by: 0, overMs: 0 });
  });
});

describe('stalled or idle sink', () => {
  /** Polls every `stepMs` for `minutes` with the offsets minute m gives; the progress told at the end. */
  function sink(minutes: number, at: (m: number) => { end: number; committed: number }, stepMs = MIN) {
    const h = new ClusterHistory();
    let lag = 0;
    for (let t = 0; t <= minutes * MIN; t += stepMs) {
      const { end, committed } = at(t / MIN);
      lag = end - committed;
      h.record(
        snap(T0 + t, [connectorView('s', 'RUNNING', ['RUNNING'])], {
          kafka: { lag: [{ connector: 's', topic: 'in', lag, committed }] },
        }),
      );
    }
    return h.sinkProgress('s', 'in', lag, T0 + minutes * MIN);
  }

  test('records keep arriving and committed stays flat for the window: stalled, since the last commit', () => {
    // Consumes until minute 3, then commits nothing while 5 records a minute keep arriving.
    const stalled = (m: number) => ({
      end: 100 + Math.floor(5 * m),
      committed: 100 + Math.floor(5 * Math.min(m, 3)),
    });
    expect(sink(15, stalled)).toEqual({ kind: 'stalled', flatSince: T0 + 3 * MIN });
    // Polled every 15 s, the last commit's time is exact all the same.
    expect(sink(15, stalled, 15_000)).toEqual({ kind: 'stalled', flatSince: T0 + 3 * MIN });
  });

  test("a partition's last records went to the DLQ and nothing arrives after them: idle, not a stall", () => {
    // Good records committed until minute 2; 3 records at minute 3 go to the DLQ; the sink never commits past them.
    const tail = (m: number) => ({
      end: m < 3 ? 100 + 5 * Math.floor(m) : 113,
      committed: 100 + 5 * Math.floor(Math.min(m, 2)),
    });
    expect(sink(20, tail)).toEqual({ kind: 'idle', flatSince: T0 + 2 * MIN });
    // Looked at any minute after them, polled every 15 s: the records that wait never make a stall.
    for (let m = 3; m <= 20; m++) expect(sink(m, tail, 15_000).kind, `minute ${m}`).not.toBe('stalled');
  });

  test('a slow sink that commits is not stalled; a history shorter than the window cannot tell', () => {
    expect(sink(15, (m) => ({ end: 100 + 10 * m, committed: 100 + 5 * m }))).toEqual({ kind: 'ok' });
    expect(sink(5, () => ({ end: 120, committed: 100 }))).toEqual({ kind: 'young' });
  });
});
