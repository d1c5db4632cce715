/** Pure detection of state changes between two polls. */
import type { ConnectorView } from '../connect/types.js';
import { splitTaskKey, taskKey, type FailureCounters } from './snapshot.js';

export interface Transition {
  readonly connector: string;
  /** Undefined for the connector instance itself. */
  readonly task?: number;
  /** Undefined when first seen. */
  readonly from?: string;
  /** Undefined when gone. */
  readonly to?: string;
  readonly trace?: string;
}

/**
 * Counts transitions into FAILED. A connector or task first seen FAILED counts once: we observed it failed,
 * and an operator asking "how often did this fail" would expect it. Series of connectors and tasks that no
 * longer exist are dropped, so deleted connectors leave no counters behind.
 */
export function countFailures(
  previous: readonly ConnectorView[] | undefined,
  current: readonly ConnectorView[],
  counters: FailureCounters,
): FailureCounters {
  const prevConnectors = new Map<string, ConnectorView>();
  for (const c of previous ?? []) prevConnectors.set(c.name, c);
  const connectors = new Map<string, number>();
  const tasks = new Map<string, number>();
  const taskConnectors = new Set<string>();
  const hadTaskFailures =
    counters.taskConnectors ?? new Set([...counters.tasks.keys()].map((k) => splitTaskKey(k)[0]));
  for (const c of current) {
    const before = prevConnectors.get(c.name);
    let n = counters.connectors.get(c.name) ?? 0;
    if (c.state === 'FAILED' && before?.state !== 'FAILED') n++;
    connectors.set(c.name, n);
    // Most connectors' tasks never failed: they need no per-task work at all.
    if (!hadTaskFailures.has(c.name) && !c.tasks.some((t) => t.state === 'FAILED')) continue;
    const prevTasks = before?.tasks ?? [];
    for (let i = 0; i < c.tasks.length; i++) {
      const t = c.tasks[i] as (typeof c.tasks)[number];
      const key = taskKey(c.name, t.id);
      let m = counters.tasks.get(key) ?? 0;
      if (t.state === 'FAILED') {
        // Tasks are sorted by id, so the same task is almost always at the same position: no map per poll.
        const p = prevTasks[i]?.id === t.id ? prevTasks[i] : prevTasks.find((x) => x.id === t.id);
        if (p?.state !== 'FAILED') m++;
      }
      if (m > 0) {
        tasks.set(key, m);
        taskConnectors.add(c.name);
      }
    }
  }
  return { connectors, tasks, taskConnectors };
}

/** Every change of state of a connector or task between two successful polls. */
export function diffStates(
  previous: readonly ConnectorView[] | undefined,
  current: readonly ConnectorView[],
): Transition[] {
  const out: Transition[] = [];
  const prev = new Map<string, ConnectorView>();
  for (const c of previous ?? []) prev.set(c.name, c);
  const seen = new Set<string>();
  for (const c of current) {
    seen.add(c.name);
    const before = prev.get(c.name);
    if (before?.state !== c.state) {
      out.push(
        withTrace({ connector: c.name, ...(before ? { from: before.state } : {}), to: c.state }, c.trace),
      );
    }
    const prevTasks = new Map(before?.tasks.map((t) => [t.id, t]) ?? []);
    for (const t of c.tasks) {
      const pt = prevTasks.get(t.id);
      prevTasks.delete(t.id);
      if (pt?.state !== t.state) {
        out.push(
          withTrace(
            { connector: c.name, task: t.id, ...(pt ? { from: pt.state } : {}), to: t.state },
            t.trace,
          ),
        );
      }
    }
    for (const gone of prevTasks.values()) out.push({ connector: c.name, task: gone.id, from: gone.state });
  }
  for (const c of previous ?? []) {
    if (!seen.has(c.name)) out.push({ connector: c.name, from: c.state });
  }
  return out;
}

function withTrace(t: Transition, trace: string | undefined): Transition {
  return trace === undefined ? t : { ...t, trace };
}
