/**
 * What one snapshot cannot say and a person asks first: since when a connector or task has been FAILED,
 * how fast its DLQ grows, whether its sink still consumes the records that arrive. Carried from snapshot to
 * snapshot of one cluster by the composition, read by the status page. Pure: each call returns a new value.
 */
import type { ConnectorView } from '../connect/types.js';
import { taskKey, type ClusterSnapshot } from './snapshot.js';

/** Since when an instance has been in its current state, as far as the sidecar saw. */
export interface Since {
  readonly state: string;
  /** Epoch ms of the first poll that saw the instance in this state. */
  readonly at: number;
  /** Already in this state at the sidecar's first poll: it began at `at` or earlier. */
  readonly atStart: boolean;
}

/**
 * A counter's changes over the recent window, as flat [epoch ms, value] pairs, oldest first: a pair where the
 * value differed from the one before, and the newest pair at or before the window's start (what the value
 * was then). Quiet counters cost one pair.
 */
export type Steps = readonly number[];

export interface ClusterHistory {
  /** Epoch ms of the first successful Connect poll this history saw. */
  readonly startedAt: number;
  /** Connectors not RUNNING, by name. */
  readonly connectors: ReadonlyMap<string, Since>;
  /** Tasks not RUNNING, by taskKey. RUNNING needs no age: the page asks how long something has been wrong. */
  readonly tasks: ReadonlyMap<string, Since>;
  /** Per sinkKey(connector, topic), from successful Kafka reads; a pair missing from a read starts over. */
  readonly committed: ReadonlyMap<string, Steps>;
  /** Σ of end offsets (lag + committed): moves when records arrive. */
  readonly produced: ReadonlyMap<string, Steps>;
  /** DLQ records ever written, per sinkKey(connector, DLQ topic). */
  readonly dlqWritten: ReadonlyMap<string, Steps>;
}

/** A sink whose committed offsets stay flat this long while records keep arriving is stalled (the alert's 10m). */
export const STALL_WINDOW_MS = 10 * 60_000;
/** DLQ growth is measured over this window (the window of the shipped KafkaConnectDlqGrowing alert's rate()). */
export const GROWTH_WINDOW_MS = 5 * 60_000;
const KEEP_MS = Math.max(STALL_WINDOW_MS, GROWTH_WINDOW_MS);

export function sinkKey(connector: string, topic: string): string {
  // NUL appears neither in a connector name from Connect's REST API nor in a topic name.
  return `${connector}\u0000${topic}`;
}

/**
 * The history after one more snapshot; undefined until a Connect poll has succeeded. A failed or stale poll
 * carries old states, and a failed Kafka read old offsets: neither moves anything, so an outage looks like
 * neither a stall nor a recovery.
 */
export function recordSnapshot(
  previous: ClusterHistory | undefined,
  s: ClusterSnapshot,
): ClusterHistory | undefined {
  const connectUp = s.connect.up && !s.connect.stale;
  if (previous === undefined && !connectUp) return undefined;
  const at = s.takenAt;
  const h: ClusterHistory = previous ?? {
    startedAt: at,
    connectors: new Map(),
    tasks: new Map(),
    committed: new Map(),
    produced: new Map(),
    dlqWritten: new Map(),
  };
  const states = connectUp ? trackStates(h, s.connect.connectors, at, previous === undefined) : h;
  const k = s.kafka;
  if (!k?.up) return { ...h, connectors: states.connectors, tasks: states.tasks };
  const committed = new Map<string, number>();
  const produced = new Map<string, number>();
  for (const l of k.lag) {
    const key = sinkKey(l.connector, l.topic);
    committed.set(key, l.committed);
    produced.set(key, l.committed + l.lag);
  }
  return {
    startedAt: h.startedAt,
    connectors: states.connectors,
    tasks: states.tasks,
    committed: steps(h.committed, committed, at),
    produced: steps(h.produced, produced, at),
    dlqWritten: steps(
      h.dlqWritten,
      new Map(k.dlq.map((d) => [sinkKey(d.connector, d.topic), d.written])),
      at,
    ),
  };
}

function trackStates(
  h: ClusterHistory,
  connectors: readonly ConnectorView[],
  at: number,
  first: boolean,
): Pick<ClusterHistory, 'connectors' | 'tasks'> {
  const since = (old: Since | undefined, state: string): Since =>
    old?.state === state ? old : { state, at, atStart: first };
  const byName = new Map<string, Since>();
  const byTask = new Map<string, Since>();
  for (const c of connectors) {
    if (c.state !== 'RUNNING') byName.set(c.name, since(h.connectors.get(c.name), c.state));
    for (const t of c.tasks) {
      if (t.state === 'RUNNING') continue;
      const key = taskKey(c.name, t.id);
      byTask.set(key, since(h.tasks.get(key), t.state));
    }
  }
  return { connectors: byName, tasks: byTask };
}

function steps(
  old: ReadonlyMap<string, Steps>,
  values: ReadonlyMap<string, number>,
  at: number,
): Map<string, Steps> {
  const out = new Map<string, Steps>();
  for (const [key, value] of values) {
    const before = old.get(key);
    if (before === undefined) {
      out.set(key, [at, value]);
      continue;
    }
    // Drop pairs older than the newest one at or before the window's start: it alone says what the value was.
    let from = 0;
    while (from + 2 < before.length && (before[from + 2] as number) <= at - KEEP_MS) from += 2;
    const unchanged = before[before.length - 1] === value;
    if (unchanged && from === 0) out.set(key, before);
    else out.set(key, unchanged ? before.slice(from) : [...before.slice(from), at, value]);
  }
  return out;
}

/** The value at time `t`, or undefined when the steps do not reach back that far. */
export function valueAt(s: Steps, t: number): number | undefined {
  let value: number | undefined;
  for (let i = 0; i < s.length && (s[i] as number) <= t; i += 2) value = s[i + 1] as number;
  return value;
}

/** Epoch ms of the latest change (or of the first look, for a value never seen to change). */
export function changedAt(s: Steps): number {
  return s[s.length - 2] as number;
}

/** How much a counter rose over the window before `now`, and over how long (shorter while history is younger). */
export function growth(s: Steps | undefined, now: number): { readonly by: number; readonly overMs: number } {
  if (s === undefined || s.length === 0) return { by: 0, overMs: 0 };
  const from = Math.max(now - GROWTH_WINDOW_MS, s[0] as number);
  return { by: (s[s.length - 1] as number) - (valueAt(s, from) as number), overMs: now - from };
}

/**
 * What a sink's committed offsets on one topic say, with lag:
 * - stalled: records that had arrived STALL_WINDOW_MS ago are still not committed, more arrived since, and
 *   nothing was committed in between. Records keep arriving and are not consumed.
 * - idle: nothing committed and no record arrived in the window: e.g. the last records of a partition went
 *   to the DLQ and the sink commits only past a good record. Not a stall: no record waits behind them.
 * - young: the history does not reach back a whole window yet.
 * - ok: no lag, something committed in the window, or only records younger than the window wait.
 */
export type Progress =
  | {
      readonly kind: 'stalled' | 'idle';
      /** The latest change seen (or the first look): the offsets may have been flat for longer. */
      readonly flatSince: number;
    }
  | { readonly kind: 'ok' | 'young' };

export function sinkProgress(
  h: ClusterHistory,
  connector: string,
  topic: string,
  lag: number,
  now: number,
): Progress {
  const key = sinkKey(connector, topic);
  const committed = h.committed.get(key);
  const produced = h.produced.get(key);
  if (lag <= 0 || committed === undefined || produced === undefined) return { kind: 'ok' };
  const flatSince = changedAt(committed);
  const windowStart = now - STALL_WINDOW_MS;
  // One pair inside the window: the first look, too recent to tell a stall.
  if (flatSince > windowStart) return { kind: committed.length === 2 ? 'young' : 'ok' };
  const producedThen = valueAt(produced, windowStart);
  if (producedThen === undefined) return { kind: 'young' };
  const arrived = (produced[produced.length - 1] as number) > producedThen;
  if (!arrived) return { kind: 'idle', flatSince };
  const waiting = producedThen > (committed[committed.length - 1] as number);
  return waiting ? { kind: 'stalled', flatSince } : { kind: 'ok' };
}
