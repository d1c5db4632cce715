/**
 * The two sources of connector and task state, merged. Pure: time comes in as arguments.
 *
 * - The REST poll is the truth for which connectors and tasks exist, their config and type.
 * - Status records (src/connect/status-record.ts) update state, trace and worker between polls.
 * - A record read shortly before a poll's request was sent, or after, is not overwritten by that poll:
 *   the worker that answers reads the same topic and may not have read that record yet (`settleMs`).
 * - A record from an older Connect generation than the last one accepted for the instance, written by
 *   another worker, is stale (a worker that lost the assignment) and ignored.
 * - A tombstone removes the connector or task at once; a poll sent before it was read cannot bring it back.
 *
 * Lists are sorted by name (as the poller sorts them) and never modified: every change makes a new list.
 */
import type { InstanceRecord, InstanceStatus } from '../connect/status-record.js';
import type { ConnectorView, TaskStatus } from '../connect/types.js';

export interface StatusMergeOptions {
  /** How long before a poll's request a record must have been read for that poll to replace it. */
  readonly settleMs: number;
}

/** The record held for one connector instance or task. `status` undefined: removed. */
interface Entry {
  readonly status: InstanceStatus | undefined;
  readonly readAt: number;
  /** Generation and writer of the latest record with a state: what a later record is judged stale against. */
  readonly generation: number;
  readonly workerId: string;
}

interface Group {
  connector?: Entry;
  readonly tasks: Map<number, Entry>;
  /** readAt of the newest entry: a poll sent long after it needs no look at the group. */
  newest: number;
}

export interface Applied {
  /**
   * The connector lists after the records, in order: a new list starts whenever an instance would change a
   * second time, so every transition is in some list and counting on consecutive lists misses none.
   */
  readonly steps: readonly (readonly ConnectorView[])[];
  /** Records ignored as written by a worker of an older generation. */
  readonly stale: number;
  /** States of connectors or tasks no poll has shown yet (just created, or more tasks): a poll should look. */
  readonly unknown: number;
}

export class StatusMerge {
  private readonly groups = new Map<string, Group>();
  private current: readonly ConnectorView[] = [];

  constructor(private readonly opts: StatusMergeOptions) {}

  /** The merged connectors: the latest poll's, with the records applied. */
  get connectors(): readonly ConnectorView[] {
    return this.current;
  }

  /** The REST data was dropped (stale for too long): nothing exists until the next successful poll. */
  clear(): void {
    this.current = [];
  }

  /** A successful poll's connectors (sorted by name), whose request was sent at `sentAt`. */
  poll(connectors: readonly ConnectorView[], sentAt: number): readonly ConnectorView[] {
    const fresh = sentAt - this.opts.settleMs;
    const out: ConnectorView[] = [];
    for (const c of connectors) {
      const g = this.groups.get(c.name);
      // After a bootstrap every connector has a group; most hold only records the poll already reflects.
      if (g === undefined || g.newest < fresh) {
        out.push(c);
        continue;
      }
      const merged = reconcile(c, g, fresh);
      if (merged !== undefined) out.push(merged);
    }
    for (const [name, g] of this.groups) {
      if (g.newest < fresh && indexOf(connectors, name) < 0) this.groups.delete(name);
    }
    this.current = out;
    return out;
  }

  /**
   * Records in the order they were written, read at `readAt`. `collapse` (a bootstrap from the compacted
   * topic) makes one list of the end state: the history before it is old news.
   */
  apply(records: readonly InstanceRecord[], readAt: number, collapse = false): Applied {
    return collapse ? this.applyCollapsed(records, readAt) : this.applyInOrder(records, readAt);
  }

  private applyInOrder(records: readonly InstanceRecord[], readAt: number): Applied {
    const steps: (readonly ConnectorView[])[] = [];
    let stale = 0;
    let unknown = 0;
    let latest = this.current;
    let working: ConnectorView[] | undefined;
    const touched = new Set<string>();
    const closeStep = (): void => {
      if (working === undefined) return;
      steps.push(working);
      latest = working;
      working = undefined;
      touched.clear();
    };
    for (const r of records) {
      const base = working ?? latest;
      if (!this.store(r, readAt, base)) {
        stale++;
        continue;
      }
      const i = indexOf(base, r.connector);
      // Not (yet) in a poll: kept for the poll that first shows the connector.
      if (i < 0) {
        if (r.status !== undefined) unknown++;
        continue;
      }
      const before = base[i] as ConnectorView;
      if (r.kind === 'task' && r.status !== undefined && findTask(before.tasks, r.task) === undefined)
        unknown++;
      const after =
        r.kind === 'connector' ? withConnector(before, r.status) : withTask(before, r.task, r.status);
      if (after === before) continue;
      const key = r.kind === 'connector' ? r.connector : `${r.connector}\u0000${r.task}`;
      if (touched.has(key)) closeStep();
      if (working === undefined) working = [...latest];
      const j = indexOf(working, r.connector);
      if (after === undefined) working.splice(j, 1);
      else working[j] = after;
      touched.add(key);
    }
    closeStep();
    this.current = latest;
    return { steps, stale, unknown };
  }

  /** Stores every record, then rebuilds each connector they name once: 45,000 records cost one pass. */
  private applyCollapsed(records: readonly InstanceRecord[], readAt: number): Applied {
    let stale = 0;
    let unknown = 0;
    const named = new Set<string>();
    for (const r of records) {
      if (!this.store(r, readAt, this.current)) {
        stale++;
        continue;
      }
      named.add(r.connector);
      if (r.status === undefined) continue;
      const c = this.current[indexOf(this.current, r.connector)];
      if (c === undefined || (r.kind === 'task' && findTask(c.tasks, r.task) === undefined)) unknown++;
    }
    const out: ConnectorView[] = [];
    let changed = false;
    for (const c of this.current) {
      const g = named.has(c.name) ? this.groups.get(c.name) : undefined;
      // Only the entries of this batch (read at readAt) apply: older ones were reconciled already.
      const v = g === undefined ? c : reconcile(c, g, readAt);
      if (v !== c) changed = true;
      if (v !== undefined) out.push(v);
    }
    if (!changed) return { steps: [], stale, unknown };
    this.current = out;
    return { steps: [out], stale, unknown };
  }

  /** Keeps a record as its instance's latest, unless it is stale; false when it is. */
  private store(r: InstanceRecord, readAt: number, list: readonly ConnectorView[]): boolean {
    const g = this.group(r.connector);
    const held = r.kind === 'connector' ? g.connector : g.tasks.get(r.task);
    if (isStale(r, held, list)) return false;
    const entry: Entry = {
      status: r.status,
      readAt,
      generation: r.status?.generation ?? held?.generation ?? -1,
      workerId: r.status?.workerId ?? held?.workerId ?? '',
    };
    if (r.kind === 'connector') g.connector = entry;
    else g.tasks.set(r.task, entry);
    if (readAt > g.newest) g.newest = readAt;
    return true;
  }

  private group(connector: string): Group {
    let g = this.groups.get(connector);
    if (g === undefined) this.groups.set(connector, (g = { tasks: new Map(), newest: -Infinity }));
    return g;
  }
}

/**
 * Stale: an older generation than the record held, from another worker (one worker's own writes are
 * ordered). Unless what is published no longer matches the held record: a poll has shown otherwise since,
 * which happens when the Connect group was recreated and its generations started again.
 */
function isStale(r: InstanceRecord, held: Entry | undefined, list: readonly ConnectorView[]): boolean {
  const s = r.status;
  if (s === undefined || held === undefined) return false;
  if (s.generation >= held.generation || s.workerId === held.workerId) return false;
  const c = list[indexOf(list, r.connector)];
  if (c === undefined || held.status === undefined) return true;
  const shown = r.kind === 'connector' ? c : findTask(c.tasks, r.task);
  return shown === undefined || sameStatus(shown, held.status);
}

/**
 * One connector with its entries read at or after `fresh` applied, building its task list once; the same
 * object when nothing changes, undefined when it was removed.
 */
function reconcile(c: ConnectorView, g: Group, fresh: number): ConnectorView | undefined {
  const ce = g.connector;
  const view = ce !== undefined && ce.readAt >= fresh ? withConnector(c, ce.status) : c;
  if (view === undefined || g.tasks.size === 0) return view;
  let tasks: TaskStatus[] | undefined;
  for (let i = 0; i < view.tasks.length; i++) {
    const t = view.tasks[i] as TaskStatus;
    const te = g.tasks.get(t.id);
    if (te === undefined || te.readAt < fresh || (te.status !== undefined && sameStatus(t, te.status))) {
      tasks?.push(t);
      continue;
    }
    tasks ??= view.tasks.slice(0, i);
    if (te.status !== undefined) tasks.push(taskWith(t.id, te.status));
  }
  return tasks === undefined ? view : { ...view, tasks };
}

function sameStatus(
  shown: { readonly state: string; readonly workerId: string; readonly trace?: string },
  s: InstanceStatus,
): boolean {
  return shown.state === s.state && shown.workerId === s.workerId && shown.trace === s.trace;
}

/** The connector with its instance's status; the same object when nothing changes, undefined when removed. */
function withConnector(c: ConnectorView, s: InstanceStatus | undefined): ConnectorView | undefined {
  if (s === undefined) return undefined;
  if (sameStatus(c, s)) return c;
  const next: Mutable<ConnectorView> = { ...c, state: s.state, workerId: s.workerId };
  // A RUNNING record has no trace: the one of an earlier failure must not stay.
  if (s.trace === undefined) delete next.trace;
  else next.trace = s.trace;
  return next;
}

/** The connector with one task's status; the same object when nothing changes or the task is unknown. */
function withTask(c: ConnectorView, id: number, s: InstanceStatus | undefined): ConnectorView {
  const i = c.tasks.findIndex((t) => t.id === id);
  if (i < 0) return c;
  const t = c.tasks[i] as TaskStatus;
  if (s === undefined) return { ...c, tasks: c.tasks.filter((x) => x.id !== id) };
  if (sameStatus(t, s)) return c;
  const tasks = [...c.tasks];
  tasks[i] = taskWith(id, s);
  return { ...c, tasks };
}

function taskWith(id: number, s: InstanceStatus): TaskStatus {
  return s.trace === undefined
    ? { id, state: s.state, workerId: s.workerId }
    : { id, state: s.state, workerId: s.workerId, trace: s.trace };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function findTask(tasks: readonly TaskStatus[], id: number): TaskStatus | undefined {
  return tasks.find((t) => t.id === id);
}

/** Position of `name` in a list sorted by name (as the poller sorts: by UTF-16 code units), or -1. */
function indexOf(list: readonly ConnectorView[], name: string): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const n = (list[mid] as ConnectorView).name;
    if (n === name) return mid;
    if (n < name) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
