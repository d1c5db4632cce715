/**
 * The restart policy: which FAILED connectors and tasks to restart now, and what to remember about them.
 * Pure: (connectors, history, config, now) → (actions, decisions, new history). No clock, no I/O.
 */
import type { RestartConfig } from '../config/schema.js';
import type { ConnectorView } from '../connect/types.js';

/** What the policy remembers about one connector between polls. */
export interface ConnectorHistory {
  /** Restarts in the current episode; each uses one unit of the budget. */
  readonly attempts: number;
  /** Epoch ms of the latest attempt of this episode. */
  readonly lastAttemptAt?: number;
  /** Epoch ms since which the connector has been healthy after an attempt; the episode ends resetAfter later. */
  readonly healthySince?: number;
  /** The budget is spent and the connector was still failing when the next attempt would have been due. */
  readonly exhausted: boolean;
  /** Epoch ms before which no attempt is made: Connect refused the last one with a 409 (see giveBackAttempt). */
  readonly retryAt?: number;
}

export type RestartHistory = ReadonlyMap<string, ConnectorHistory>;

export type PolicyConfig = Pick<
  RestartConfig,
  'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'resetAfterMs' | 'include' | 'exclude'
>;

/** One restart to make: the KIP-745 restart of the connector's FAILED instances. */
export interface RestartAction {
  readonly connector: string;
  /** The connector instance itself is FAILED. */
  readonly connectorFailed: boolean;
  /** Ids of the FAILED tasks, ascending. */
  readonly tasks: readonly number[];
  /**
   * Worker scope: restart exactly these instances (connector and task endpoints), not every FAILED instance of
   * the connector as KIP-745 would, since the other workers' sidecars restart theirs.
   */
  readonly scoped?: true;
  /** 1-based attempt number within the current episode. */
  readonly attempt: number;
  /** Epoch ms before which the next attempt will not be made. */
  readonly nextAllowedAt: number;
}

export type Decision =
  | ({ readonly kind: 'restart' } & RestartAction)
  | {
      readonly kind: 'backoff';
      readonly connector: string;
      readonly connectorFailed: boolean;
      readonly tasks: readonly number[];
      /** Attempts made so far in this episode. */
      readonly attempt: number;
      readonly nextAllowedAt: number;
    }
  | {
      /** Declared once per episode, when the budget is spent and the connector is still failing. */
      readonly kind: 'exhausted';
      readonly connector: string;
      readonly connectorFailed: boolean;
      readonly tasks: readonly number[];
      readonly attempt: number;
      /** Epoch ms of the last attempt, which did not heal the connector. */
      readonly lastAttemptAt: number;
    }
  | {
      /** Healthy for resetAfter: the episode ends and the budget is whole again. */
      readonly kind: 'reset';
      readonly connector: string;
      readonly attempt: number;
      readonly healthySince: number;
    };

export interface PolicyResult {
  readonly actions: readonly RestartAction[];
  readonly decisions: readonly Decision[];
  readonly history: RestartHistory;
}

/**
 * Wait between attempt n and attempt n+1 (n ≥ 1 attempts made): min((n² + n) × base, max), as Strimzi does.
 * No attempt made yet: no wait.
 */
export function backoffMs(
  attemptsMade: number,
  config: Pick<PolicyConfig, 'backoffBaseMs' | 'backoffMaxMs'>,
): number {
  if (attemptsMade <= 0) return 0;
  return Math.min((attemptsMade * attemptsMade + attemptsMade) * config.backoffBaseMs, config.backoffMaxMs);
}

/** When the next attempt may be made: the backoff after the last attempt, or after a 409; undefined: now. */
export function dueAt(
  h: ConnectorHistory,
  config: Pick<PolicyConfig, 'backoffBaseMs' | 'backoffMaxMs'>,
): number | undefined {
  const afterAttempt =
    h.lastAttemptAt === undefined ? undefined : h.lastAttemptAt + backoffMs(h.attempts, config);
  if (afterAttempt === undefined) return h.retryAt;
  return h.retryAt === undefined ? afterAttempt : Math.max(afterAttempt, h.retryAt);
}

/** The anchored include/exclude patterns of the config. */
export function isIncluded(name: string, config: Pick<PolicyConfig, 'include' | 'exclude'>): boolean {
  return config.include.test(name) && !(config.exclude?.test(name) ?? false);
}

/** How the policy sees one connector. */
export type Health =
  /** The user holds it (PAUSED, STOPPED): never touched. */
  | 'held'
  /** The connector or at least one task is FAILED. */
  | 'failing'
  /** Connector and all tasks RUNNING. */
  | 'healthy'
  /** Anything else (UNASSIGNED, RESTARTING, a state this version does not know): left alone, history kept. */
  | 'transient';

/**
 * In worker scope (one sidecar per worker) a snapshot holds only the local tasks, and the connector instance
 * may run elsewhere: then its state is the other sidecar's business, and only the local tasks count here.
 */
export function healthOf(c: ConnectorView): Health {
  if (c.state === 'PAUSED' || c.state === 'STOPPED') return 'held';
  if (instanceFailed(c) || c.tasks.some((t) => t.state === 'FAILED')) return 'failing';
  const instanceHealthy = c.scoped?.instanceHere === false || c.state === 'RUNNING';
  if (instanceHealthy && c.tasks.every((t) => t.state === 'RUNNING')) return 'healthy';
  return 'transient';
}

function instanceFailed(c: ConnectorView): boolean {
  return c.state === 'FAILED' && c.scoped?.instanceHere !== false;
}

const FRESH: ConnectorHistory = { attempts: 0, exhausted: false };

/**
 * Decides, for one successful poll of one cluster, which connectors to restart now.
 * - Only FAILED instances are restarted; PAUSED/STOPPED connectors are the user's intent and never touched;
 *   UNASSIGNED and RESTARTING are Connect's business and left alone.
 * - Attempt n+1 waits backoffMs(n) after attempt n; after maxAttempts the connector is left alone and, once
 *   the next attempt would have been due and it is still failing, declared exhausted.
 * - Healthy (RUNNING with every task RUNNING) for resetAfter ends the episode, whoever made it healthy: a
 *   restart by someone else starts the reset timer just as our own does.
 * - Connectors that are gone or no longer included are forgotten.
 */
export function decideRestarts(
  connectors: readonly ConnectorView[],
  history: RestartHistory,
  config: PolicyConfig,
  now: number,
): PolicyResult {
  const actions: RestartAction[] = [];
  const decisions: Decision[] = [];
  const next = new Map<string, ConnectorHistory>();

  for (const c of connectors) {
    if (!isIncluded(c.name, config)) continue;
    const h = history.get(c.name) ?? FRESH;
    const health = healthOf(c);

    if (health === 'failing') {
      const failedTasks = c.tasks.filter((t) => t.state === 'FAILED').map((t) => t.id);
      const connectorFailed = instanceFailed(c);
      const due = dueAt(h, config) ?? -Infinity;
      const failing: ConnectorHistory = withoutHealthy(h);
      if (h.attempts >= config.maxAttempts) {
        if (!h.exhausted && now >= due) {
          decisions.push({
            kind: 'exhausted',
            connector: c.name,
            connectorFailed,
            tasks: failedTasks,
            attempt: h.attempts,
            lastAttemptAt: h.lastAttemptAt ?? now,
          });
          next.set(c.name, { ...failing, exhausted: true });
        } else {
          next.set(c.name, failing);
        }
        continue;
      }
      if (now < due) {
        decisions.push({
          kind: 'backoff',
          connector: c.name,
          connectorFailed,
          tasks: failedTasks,
          attempt: h.attempts,
          nextAllowedAt: due,
        });
        next.set(c.name, failing);
        continue;
      }
      const attempt = h.attempts + 1;
      const action: RestartAction = {
        connector: c.name,
        connectorFailed,
        tasks: failedTasks,
        ...(c.scoped ? { scoped: true } : {}),
        attempt,
        nextAllowedAt: now + backoffMs(attempt, config),
      };
      actions.push(action);
      decisions.push({ kind: 'restart', ...action });
      next.set(c.name, { attempts: attempt, lastAttemptAt: now, exhausted: false });
      continue;
    }

    if (h === FRESH) continue;

    if (health === 'healthy') {
      const healthySince = h.healthySince ?? now;
      if (now - healthySince >= config.resetAfterMs) {
        decisions.push({ kind: 'reset', connector: c.name, attempt: h.attempts, healthySince });
        continue;
      }
      next.set(c.name, { ...h, healthySince, exhausted: false });
      continue;
    }

    // Held by the user: not failing, so not exhausted; the budget stays spent until healthy for resetAfter.
    // Transient (RESTARTING right after a restart, UNASSIGNED during a rebalance): change nothing.
    next.set(c.name, health === 'held' ? { ...withoutHealthy(h), exhausted: false } : h);
  }
  return { actions, decisions, history: next };
}

function withoutHealthy(h: ConnectorHistory): ConnectorHistory {
  if (h.healthySince === undefined) return h;
  return {
    attempts: h.attempts,
    exhausted: h.exhausted,
    ...(h.lastAttemptAt === undefined ? {} : { lastAttemptAt: h.lastAttemptAt }),
    ...(h.retryAt === undefined ? {} : { retryAt: h.retryAt }),
  };
}

/**
 * Connect refused an action with a 409 (a rebalance, a stale config): nothing was restarted, so the attempt is
 * given back (no budget used), but the next try waits the backoff of that attempt's step, so a worker that
 * answers 409 for ever gets one request per step, never one per poll. `before` is the entry the action was
 * decided from; a later decision (or the connector's removal) wins.
 */
export function giveBackAttempt(
  history: RestartHistory,
  action: RestartAction,
  before: ConnectorHistory | undefined,
  now: number,
  config: Pick<PolicyConfig, 'backoffBaseMs' | 'backoffMaxMs'>,
): RestartHistory {
  if (history.get(action.connector)?.attempts !== action.attempt) return history;
  const next = new Map(history);
  next.set(action.connector, {
    ...(before ?? FRESH),
    exhausted: false,
    retryAt: now + backoffMs(Math.max(1, action.attempt), config),
  });
  return next;
}
