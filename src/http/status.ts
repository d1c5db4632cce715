/** One cluster's snapshot → its part of /api/v1/status: the cluster's fields, and an item per connector. Pure. */
import { errorHandling } from '../connect/error-handling.js';
import type { ConnectorView } from '../connect/types.js';
import type { RestartView } from '../state/restarts.js';
import { taskFailures, type ClusterSnapshot } from '../state/snapshot.js';
import type { JsonItem, JsonSection } from './json-document.js';

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function byConnector<T extends { readonly connector: string }, U>(
  rows: readonly T[] | undefined,
  pick: (row: T) => U,
): Map<string, U[]> {
  const out = new Map<string, U[]>();
  for (const row of rows ?? []) {
    const list = out.get(row.connector);
    if (list) list.push(pick(row));
    else out.set(row.connector, [pick(row)]);
  }
  return out;
}

/** A cluster not polled yet. */
export function unpolledStatus(name: string): JsonSection {
  return { head: { name, polled: false } };
}

/** `restarts`: the restarter's counters, when it is enabled for the cluster (else each connector's restart is null). */
export function statusJson(s: ClusterSnapshot, restarts?: RestartView): Required<JsonSection> {
  const c = s.connect;
  const lag = byConnector(s.kafka?.lag, (l) => ({ topic: l.topic, lag: l.lag, committed: l.committed }));
  const dlq = byConnector(s.kafka?.dlq, (d) => ({ topic: d.topic, records: d.records, written: d.written }));
  const head = {
    name: s.cluster,
    polled: true,
    takenAt: iso(s.takenAt),
    connect: {
      up: c.up,
      error: c.error ?? null,
      stale: c.stale,
      lastSuccessAt: iso(c.lastSuccessAt),
      pollSeconds: c.durationSeconds,
      requests: c.requests,
      expanded: c.expanded,
      version: c.info?.version ?? null,
      kafkaClusterId: c.info?.kafkaClusterId ?? null,
    },
    kafka: s.kafka
      ? {
          up: s.kafka.up,
          error: s.kafka.error ?? null,
          lastSuccessAt: iso(s.kafka.lastSuccessAt),
          pollSeconds: s.kafka.durationSeconds,
        }
      : 'not configured',
  };
  const items = c.connectors.map((con): JsonItem => ({
    connector: con.name,
    states: [con.state, ...con.tasks.map((t) => t.state)],
    // Built when the document serializes it, in its time slices, and not kept afterwards.
    get value() {
      return connectorJson(s, con, lag, dlq, restarts);
    },
  }));
  return { head, items };
}

function connectorJson(
  s: ClusterSnapshot,
  con: ConnectorView,
  lag: ReadonlyMap<string, unknown[]>,
  dlq: ReadonlyMap<string, unknown[]>,
  restarts: RestartView | undefined,
): unknown {
  return {
    name: con.name,
    type: con.type,
    class: con.className,
    state: con.state,
    workerId: con.workerId,
    trace: con.trace ?? null,
    failures: s.failures.connectors.get(con.name) ?? 0,
    errorHandling: errorHandling(con),
    tasks: con.tasks.map((t) => ({
      id: t.id,
      state: t.state,
      workerId: t.workerId,
      trace: t.trace ?? null,
      failures: taskFailures(s.failures, con.name, t.id),
    })),
    dlq: dlq.get(con.name) ?? [],
    lag: lag.get(con.name) ?? [],
    restart: restarts
      ? {
          attempts: restarts.attempts.get(con.name) ?? 0,
          failures: restarts.failures.get(con.name) ?? 0,
          budgetExhausted: restarts.budgetExhausted.has(con.name),
          nextAttemptAt: iso(restarts.nextAttemptAt.get(con.name)),
        }
      : null,
  };
}
