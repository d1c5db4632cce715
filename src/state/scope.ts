/**
 * Worker scope: one sidecar per Connect worker, each publishing what runs on its worker, so that summing a
 * series over all sidecars counts every connector and task exactly once. Pure.
 */
import type { ConnectorView } from '../connect/types.js';

/**
 * Keeps the tasks whose worker_id is `workerId`, and the connectors that have their instance or at least one
 * task here. A connector whose instance runs elsewhere keeps only its local tasks and is flagged
 * `instanceHere: false`: its connector-level series (state, info, error handling, DLQ, lag) come from the
 * sidecar of the worker running the instance.
 */
export function scopeToWorker(connectors: readonly ConnectorView[], workerId: string): ConnectorView[] {
  const out: ConnectorView[] = [];
  for (const c of connectors) {
    const instanceHere = c.workerId === workerId;
    const tasks = c.tasks.filter((t) => t.workerId === workerId);
    if (!instanceHere && tasks.length === 0) continue;
    out.push({ ...c, tasks, scoped: { instanceHere, totalTasks: c.tasks.length } });
  }
  return out;
}

/** The connectors whose connector-level series this sidecar publishes (all of them in cluster scope). */
export function instancesHere(connectors: readonly ConnectorView[]): ConnectorView[] {
  return connectors.filter((c) => c.scoped?.instanceHere !== false);
}

/** Every worker id the status of the cluster mentions, to tell a wrong worker id from an idle worker. */
export function workersSeen(connectors: readonly ConnectorView[]): Set<string> {
  const seen = new Set<string>();
  for (const c of connectors) {
    if (c.workerId) seen.add(c.workerId);
    for (const t of c.tasks) if (t.workerId) seen.add(t.workerId);
  }
  return seen;
}
