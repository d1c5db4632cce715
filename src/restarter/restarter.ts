/**
 * Carries out the restart policy for one Connect cluster: decides on each successful poll, asks Connect for
 * the restarts, keeps the counters the metrics show, and logs every decision.
 */
import type { RestartConfig } from '../config/schema.js';
import type { ConnectClient } from '../connect/client.js';
import { ConnectApiError } from '../connect/errors.js';
import type { ConnectorView } from '../connect/types.js';
import { mapLimit } from '../lib/limit.js';
import type { Logger } from '../log.js';
import type { RestartEvent, RestartView } from '../state/restarts.js';
import type { ClusterSnapshot } from '../state/snapshot.js';
import {
  decideRestarts,
  dueAt,
  giveBackAttempt,
  isIncluded,
  type Decision,
  type RestartAction,
  type RestartHistory,
} from './policy.js';

/**
 * What became of one restart action.
 * - accepted: Connect took the restart (202, or 204 plus the task restarts on workers without KIP-745).
 * - dry_run: nothing was sent.
 * - conflict: 409 (rebalance, stale config): counted in restart_conflicts_total, not a failure; the attempt
 *   keeps its place in the backoff, so a worker that answers 409 forever gets one request per backoff step,
 *   not one per poll.
 * - failed: any other error, a 404 included (a connector that is gone is forgotten when the next poll no
 *   longer lists it; one still listed keeps its history, so a 404 cannot reset the budget); counted in
 *   restart_failures_total and the attempt is used.
 */
export type RestartOutcome = 'accepted' | 'dry_run' | 'conflict' | 'failed';

export type RestartClient = Pick<ConnectClient, 'restartConnector' | 'restartTask'>;

export interface RestarterOptions {
  readonly cluster: string;
  readonly client: RestartClient;
  readonly config: RestartConfig;
  readonly logger: Logger;
  /** Deadline of one restart action (all its requests, retries of 409 included). */
  readonly requestTimeoutMs: number;
  /** Restart actions sent to the worker at once. */
  readonly concurrency?: number;
  readonly now?: () => number;
  /** Restarts Connect accepted (or that dry-run would have made) and budgets that ran out. Must not throw. */
  readonly onEvent?: (event: RestartEvent) => void;
  /** The counters changed (a decision, an answer): healing publishes them at once, not with the next poll. */
  readonly onView?: (view: RestartView) => void;
}

export class Restarter {
  private history: RestartHistory = new Map();
  private readonly attempts = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly conflicts = new Map<string, number>();
  /** The included connectors of the latest snapshot: the view has a 0 for each until it is restarted. */
  private included: readonly string[] = [];
  private running: Promise<void> | undefined;
  /** The worker answered 204 to a KIP-745 restart: it ignores the query, so tasks are restarted one by one. */
  private legacy = false;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: RestarterOptions) {
    this.now = opts.now ?? Date.now;
    this.log = opts.logger.child({
      cluster: opts.cluster,
      component: 'restarter',
      dryRun: opts.config.dryRun,
    });
  }

  /** The counters for the metrics: every included connector of the latest snapshot, 0 until it was restarted. */
  view(): RestartView {
    const attempts = new Map<string, number>();
    const failures = new Map<string, number>();
    const conflicts = new Map<string, number>();
    const budgetExhausted = new Set<string>();
    const nextAttemptAt = new Map<string, number>();
    const config = this.opts.config;
    for (const name of this.included) {
      attempts.set(name, this.attempts.get(name) ?? 0);
      failures.set(name, this.failures.get(name) ?? 0);
      conflicts.set(name, this.conflicts.get(name) ?? 0);
      const h = this.history.get(name);
      if (h?.exhausted) budgetExhausted.add(name);
      // The same due time the policy waits for (src/restarter/policy.ts), so the page never promises another.
      else if (h !== undefined && h.attempts < config.maxAttempts) {
        const due = dueAt(h, config);
        if (due !== undefined) nextAttemptAt.set(name, due);
      }
    }
    return { attempts, failures, conflicts, budgetExhausted, nextAttemptAt };
  }

  /** The restarts still being sent, if any (tests and shutdown wait on it). */
  get idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /**
   * Decides on a snapshot and starts the restarts; returns at once. Snapshots from a failed poll are ignored
   * (their states are old), and so is a snapshot that arrives while the previous restarts are still being
   * sent: the next poll sees their effect and decides again.
   */
  observe(snapshot: ClusterSnapshot): readonly Decision[] {
    if (!snapshot.connect.up || snapshot.connect.stale) return [];
    if (this.running) {
      this.log.debug('previous restarts still in flight; deciding on the next poll');
      return [];
    }
    const connectors = snapshot.connect.connectors;
    const present = new Set(connectors.map((c) => c.name));
    for (const counts of [this.attempts, this.failures, this.conflicts])
      for (const name of [...counts.keys()]) if (!present.has(name)) counts.delete(name);
    this.included = connectors.filter((c) => isIncluded(c.name, this.opts.config)).map((c) => c.name);

    const now = this.now();
    const before = this.history;
    const result = decideRestarts(connectors, before, this.opts.config, now);
    this.history = result.history;
    const byName = new Map(connectors.map((c) => [c.name, c]));
    for (const d of result.decisions) this.logDecision(d, byName.get(d.connector));

    const dryRun = this.opts.config.dryRun;
    if (dryRun) {
      for (const a of result.actions) {
        this.count(this.attempts, a.connector);
        const view = byName.get(a.connector);
        if (view) this.emit(restarted(this.opts.cluster, view, a, true, now));
      }
    }
    for (const d of result.decisions) {
      const view = byName.get(d.connector);
      if (d.kind === 'exhausted' && view) {
        this.emit({
          kind: 'exhausted',
          cluster: this.opts.cluster,
          connector: view,
          attempt: d.attempt,
          tasks: d.tasks,
          nextAllowedAt: null,
          dryRun,
          at: now,
        });
      }
    }
    if (!dryRun && result.actions.length > 0) {
      const run = this.executeAll(result.actions, before, byName).finally(() => {
        this.running = undefined;
      });
      this.running = run;
    }
    this.publish();
    return result.decisions;
  }

  private async executeAll(
    actions: readonly RestartAction[],
    before: RestartHistory,
    byName: ReadonlyMap<string, ConnectorView>,
  ): Promise<void> {
    await mapLimit(actions, this.opts.concurrency ?? 4, async (action) => {
      let outcome: RestartOutcome;
      try {
        outcome = await this.execute(action);
      } catch (err) {
        // execute() classifies every error it expects; anything else is a bug, but must not stop the others.
        this.log.error({ err, connector: action.connector }, 'restart failed unexpectedly');
        outcome = 'failed';
      }
      this.settle(action, outcome, before, byName.get(action.connector));
      this.publish();
    });
  }

  private settle(
    action: RestartAction,
    outcome: RestartOutcome,
    before: RestartHistory,
    view: ConnectorView | undefined,
  ): void {
    switch (outcome) {
      case 'accepted':
        this.count(this.attempts, action.connector);
        if (view) this.emit(restarted(this.opts.cluster, view, action, false, this.now()));
        return;
      case 'failed':
        this.count(this.attempts, action.connector);
        this.count(this.failures, action.connector);
        return;
      case 'conflict':
        this.count(this.conflicts, action.connector);
        this.history = giveBackAttempt(
          this.history,
          action,
          before.get(action.connector),
          this.now(),
          this.opts.config,
        );
        return;
      case 'dry_run':
        return;
    }
  }

  private publish(): void {
    if (!this.opts.onView) return;
    try {
      this.opts.onView(this.view());
    } catch (err) {
      this.log.error({ err }, 'restart view consumer failed');
    }
  }

  /**
   * One action: the KIP-745 restart; on workers without it, and in worker scope, the connector (when FAILED)
   * and then each FAILED task through its own endpoint.
   */
  private async execute(action: RestartAction): Promise<RestartOutcome> {
    const name = action.connector;
    // The client's own clock: `now` is the policy's, which tests move by hand.
    const deadline = Date.now() + this.opts.requestTimeoutMs;
    const fields = { connector: name, tasks: action.tasks, attempt: action.attempt };
    let restarted = false;
    try {
      if (!this.legacy && !action.scoped) {
        const status = await this.opts.client.restartConnector(
          name,
          { includeTasks: true, onlyFailed: true },
          deadline,
        );
        if (status === 202) {
          this.log.info({ ...fields, status }, 'restart accepted');
          return 'accepted';
        }
        // 204: a worker older than KIP-745 ignored the query and restarted only the connector instance.
        this.legacy = true;
        restarted = true;
        this.log.info(
          { ...fields, status },
          'worker does not restart failed tasks with the connector (no KIP-745); restarting tasks one by one',
        );
      } else if (action.connectorFailed) {
        await this.opts.client.restartConnector(name, { includeTasks: false, onlyFailed: false }, deadline);
        restarted = true;
      }
    } catch (err) {
      return this.classify(err, fields, 'connector');
    }
    let failed = false;
    let conflict = false;
    for (const task of action.tasks) {
      try {
        await this.opts.client.restartTask(name, task, deadline);
        restarted = true;
      } catch (err) {
        if (err instanceof ConnectApiError && err.status === 404) {
          this.log.info({ ...fields, task }, 'task is gone; nothing to restart');
          continue;
        }
        const o = this.classify(err, { ...fields, task }, 'task');
        if (o === 'failed') failed = true;
        if (o === 'conflict') conflict = true;
      }
    }
    if (failed) return 'failed';
    // Nothing restarted because of a rebalance: as if the request had not been made. Partly restarted:
    // the attempt counts; the tasks left FAILED get the next attempt after the backoff.
    if (conflict && !restarted) return 'conflict';
    this.log.info({ ...fields, oneByOne: true }, 'restart accepted');
    return 'accepted';
  }

  private classify(err: unknown, fields: object, what: 'connector' | 'task'): RestartOutcome {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof ConnectApiError && err.status === 409) {
      this.log.warn(
        { ...fields, err: message },
        `${what} restart refused during a rebalance (409); retrying after the backoff`,
      );
      return 'conflict';
    }
    this.log.warn({ ...fields, err: message }, `${what} restart failed`);
    return 'failed';
  }

  private logDecision(d: Decision, view: ConnectorView | undefined): void {
    const max = this.opts.config.maxAttempts;
    switch (d.kind) {
      case 'restart':
        this.log.info(
          {
            connector: d.connector,
            connectorFailed: d.connectorFailed,
            tasks: d.tasks,
            attempt: d.attempt,
            maxAttempts: max,
            nextAllowedAt: iso(d.nextAllowedAt),
          },
          this.opts.config.dryRun ? 'would restart (dry-run)' : 'restarting',
        );
        return;
      case 'backoff':
        this.log.debug(
          {
            connector: d.connector,
            tasks: d.tasks,
            attempt: d.attempt,
            maxAttempts: max,
            nextAllowedAt: iso(d.nextAllowedAt),
          },
          'failing; waiting for the backoff before the next restart',
        );
        return;
      case 'exhausted':
        this.log.warn(
          {
            connector: d.connector,
            connectorFailed: d.connectorFailed,
            tasks: d.tasks,
            attempt: d.attempt,
            maxAttempts: max,
            lastAttemptAt: iso(d.lastAttemptAt),
            trace: firstLine(view),
          },
          `restart budget exhausted: still failing after ${d.attempt} restarts; leaving it alone until it has been healthy for ${this.opts.config.resetAfterMs} ms`,
        );
        return;
      case 'reset':
        this.log.info(
          { connector: d.connector, attempt: d.attempt, healthySince: iso(d.healthySince) },
          'healthy long enough; restart history cleared',
        );
        return;
    }
  }

  private emit(event: RestartEvent): void {
    try {
      this.opts.onEvent?.(event);
    } catch (err) {
      this.log.error({ err }, 'restart event consumer failed');
    }
  }

  private count(map: Map<string, number>, connector: string): void {
    map.set(connector, (map.get(connector) ?? 0) + 1);
  }
}

function restarted(
  cluster: string,
  connector: ConnectorView,
  action: RestartAction,
  dryRun: boolean,
  at: number,
): RestartEvent {
  return {
    kind: 'restarted',
    cluster,
    connector,
    attempt: action.attempt,
    tasks: action.tasks,
    nextAllowedAt: action.nextAllowedAt,
    dryRun,
    at,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function firstLine(view: ConnectorView | undefined): string | undefined {
  const trace = view?.trace ?? view?.tasks.find((t) => t.state === 'FAILED' && t.trace)?.trace;
  return trace?.split('\n', 1)[0];
}
