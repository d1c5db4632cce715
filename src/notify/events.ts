/**
 * The JSON events connect-sentinel POSTs to webhooks, and the pure rules that turn state transitions and
 * restart decisions into them.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectorView } from '../connect/types.js';
import type { RestartEvent } from '../state/restarts.js';
import { taskKey } from '../state/snapshot.js';
import { diffStates } from '../state/transitions.js';

export type NotificationKind = 'failed' | 'recovered' | 'restarted' | 'budget_exhausted';

/** Body of one webhook POST (documented in docs/restart.md; bump `version` on incompatible changes). */
export interface Notification {
  readonly version: 1;
  /** Unique per event; a receiver can drop a redelivery (after a timeout) by it. */
  readonly id: string;
  readonly event: NotificationKind;
  readonly cluster: string;
  readonly connector: string;
  /** The task id, or null for the connector instance itself. */
  readonly task: number | null;
  /** State in the previous poll; null when first seen. For restarted/budget_exhausted: the state when decided. */
  readonly from: string | null;
  /** State now; null for restarted/budget_exhausted. */
  readonly to: string | null;
  /** The first lines of Connect's stack trace, if it reported one. */
  readonly trace: string | null;
  /** ISO 8601 time of the observation or decision. */
  readonly time: string;
  /** For restarted and budget_exhausted. */
  readonly restart?: {
    readonly attempt: number;
    readonly maxAttempts: number;
    /** FAILED tasks the restart was for. */
    readonly tasks: readonly number[];
    /** When the next attempt may be made; null for budget_exhausted. */
    readonly nextAllowedAt: string | null;
    readonly dryRun: boolean;
  };
}

export const TRACE_LINES = 5;
const TRACE_MAX_CHARS = 2000;

/**
 * The first TRACE_LINES lines of a Java stack trace and, when it is further down, the root cause (the last
 * "Caused by:" line): Connect's own wrapper exception comes first and often says little on its own.
 * At most TRACE_MAX_CHARS characters.
 */
export function traceHead(trace: string | undefined): string | null {
  if (trace === undefined || trace === '') return null;
  const lines = trace.split('\n').map((l) => l.trimEnd());
  const head = lines.slice(0, TRACE_LINES);
  const root = lines.filter((l) => l.startsWith('Caused by: ')).pop();
  if (root !== undefined && !head.includes(root)) head.push('\t...', root);
  const text = head.join('\n').trimEnd();
  return text.length > TRACE_MAX_CHARS ? `${text.slice(0, TRACE_MAX_CHARS)}…` : text;
}

/** Instances (connector or task) last notified as failed: what keeps one failure from being sent twice. */
export type FailedInstances = ReadonlySet<string>;

const CONNECTOR_INSTANCE = -1;

function instanceKey(connector: string, task: number | undefined): string {
  return taskKey(connector, task ?? CONNECTOR_INSTANCE);
}

/**
 * failed: a connector or task enters FAILED (first seen FAILED included) and was not already notified as
 * failed. recovered: an instance notified as failed is RUNNING again, whoever restarted it, and whatever
 * it went through in between (RESTARTING, UNASSIGNED). Deleted connectors and tasks are forgotten silently.
 */
export function transitionNotifications(
  cluster: string,
  previous: readonly ConnectorView[] | undefined,
  current: readonly ConnectorView[],
  failed: FailedInstances,
  at: number,
  id: () => string = randomUUID,
): { notifications: Notification[]; failed: FailedInstances } {
  const notifications: Notification[] = [];
  const next = new Set(failed);
  const time = new Date(at).toISOString();
  // Worker scope: the sidecar of the worker running a connector instance reports on it; the others do not.
  const elsewhere = new Set(current.filter((c) => c.scoped?.instanceHere === false).map((c) => c.name));
  for (const t of diffStates(previous, current)) {
    const key = instanceKey(t.connector, t.task);
    if (t.task === undefined && elsewhere.has(t.connector)) {
      next.delete(key);
      continue;
    }
    const base = {
      version: 1 as const,
      cluster,
      connector: t.connector,
      task: t.task ?? null,
      from: t.from ?? null,
      to: t.to ?? null,
      trace: traceHead(t.trace),
      time,
    };
    if (t.to === undefined) {
      next.delete(key);
      if (t.task === undefined) {
        for (const k of [...next]) if (k.startsWith(`${t.connector}\u0000`)) next.delete(k);
      }
    } else if (t.to === 'FAILED') {
      if (!next.has(key)) notifications.push({ id: id(), event: 'failed', ...base });
      next.add(key);
    } else if (t.to === 'RUNNING' && next.has(key)) {
      notifications.push({ id: id(), event: 'recovered', ...base, trace: null });
      next.delete(key);
    }
  }
  return { notifications, failed: next };
}

/** The notification for a restart made (or that dry-run would make) or a budget spent. */
export function restartNotification(
  e: RestartEvent,
  maxAttempts: number,
  id: () => string = randomUUID,
): Notification {
  const c = e.connector;
  const trace = c.trace ?? c.tasks.find((t) => t.state === 'FAILED' && t.trace !== undefined)?.trace;
  return {
    version: 1,
    id: id(),
    event: e.kind === 'restarted' ? 'restarted' : 'budget_exhausted',
    cluster: e.cluster,
    connector: c.name,
    task: null,
    from: c.state,
    to: null,
    trace: traceHead(trace),
    time: new Date(e.at).toISOString(),
    restart: {
      attempt: e.attempt,
      maxAttempts,
      tasks: e.tasks,
      nextAllowedAt: e.nextAllowedAt === null ? null : new Date(e.nextAllowedAt).toISOString(),
      dryRun: e.dryRun,
    },
  };
}
