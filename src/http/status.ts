/** Snapshot → the JSON of /api/v1/status. Pure. */
import { errorHandling } from '../connect/error-handling.js';
import type { RestartView } from '../state/restarts.js';
import { taskFailures, type ClusterSnapshot } from '../state/snapshot.js';

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** One cluster's entry of /api/v1/status, from its latest snapshot and healing's latest counters. */
export function statusJson(s: ClusterSnapshot, restarts: RestartView | undefined): unknown {
  const name = s.cluster;
  {
    {
      const c = s.connect;
      const lagByConnector = new Map<string, { topic: string; lag: number; committed: number }[]>();
      for (const l of s.kafka?.lag ?? []) {
        const arr = lagByConnector.get(l.connector) ?? [];
        arr.push({ topic: l.topic, lag: l.lag, committed: l.committed });
        lagByConnector.set(l.connector, arr);
      }
      const dlqByConnector = new Map<string, { topic: string; records: number; written: number }[]>();
      for (const d of s.kafka?.dlq ?? []) {
        const arr = dlqByConnector.get(d.connector) ?? [];
        arr.push({ topic: d.topic, records: d.records, written: d.written });
        dlqByConnector.set(d.connector, arr);
      }
      return {
        name,
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
          : null,
        connectors: c.connectors.map((con) => ({
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
          dlq: dlqByConnector.get(con.name) ?? [],
          lag: lagByConnector.get(con.name) ?? [],
          restart: restarts
            ? {
                attempts: restarts.attempts.get(con.name) ?? 0,
                failures: restarts.failures.get(con.name) ?? 0,
                budgetExhausted: restarts.budgetExhausted.has(con.name),
              }
            : null,
        })),
      };
    }
  }
}
