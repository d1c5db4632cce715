/**
 * Carries out the restart policy for one Connect cluster: decides on each successful poll, asks Connect for
 * the restarts, keeps the counters the metrics show, and logs every decision.
 */
import type { RestartConfig } from '../config/schema.js';
import type { ConnectClient } from '../connect/client.js';
import { ConnectApiError } from '../connect/errors.js';
import type { ConnectorView } from '../connect/types.js';
import type { Logger } from '../log.js';
import type { ClusterSnapshot, RestartView } from '../state/snapshot.js';
import {
  decideRestarts,
  forgetConnector,
  isIncluded,
  revertAttempt,
  type Decision,
  type RestartAction,
  type RestartHistory,
} from './policy.js';

/**
 * What became of one restart action.
 * - accepted: Connect took the restart (202, or 204 plus the task restarts on workers without KIP-745).
 * - dry_run: nothing was sent.
 * - conflict: 409 (rebalance, stale config): retried on the next poll, no budget used, not a failure.
 * - gone: 404 for the connector: it was deleted meanwhile; its history is dropped.
 * - failed: any other error; counted in restart_failures_total and the attempt is used.
 */
export type RestartOutcome = 'accepted' | 'dry_run' | 'conflict' | 'gone' | 'failed';

export type RestartEvent =
  | {
      readonly kind: 'restarted';
      readonly cluster: string;
      readonly connector: ConnectorView;
      readonly action: RestartAction;
      readonly dryRun: boolean;
      readonly at: number;
    }
  | {
      readonly kind: 'exhausted';
      readonly cluster: string;
      readonly connector: ConnectorView;
      readonly decision: Extract<Decision, { kind: 'exhausted' }>;
      readonly dryRun: boolean;
      readonly at: number;
    };

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
}

export class Restarter {
  private history: RestartHistory = new Map();
  private readonly attempts = new Map<string, number>();
  private readonly failures = new Map<string, number>();
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

  /** The counters for the metrics: every included connector of the snapshot, 0 until it was restarted. */
  view(snapshot: ClusterSnapshot): RestartView {
    const attempts = new Map<string, number>();
    const failures = new Map<string, number>();
    const budgetExhausted = new Set<string>();
    for (const c of snapshot.connect.connectors) {
      if (!isIncluded(c.name, this.opts.config)) continue;
      attempts.set(c.name, this.attempts.get(c.name) ?? 0);
      failures.set(c.name, this.failures.get(c.name) ?? 0);
      if (this.history.get(c.name)?.exhausted) budgetExhausted.add(c.name);
    }
    return { attempts, failures, budgetExhausted };
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
    for (const name of [...this.attempts.keys()]) if (!present.has(name)) this.attempts.delete(name);
    for (const name of [...this.failures.keys()]) if (!present.has(name)) this.failures.delete(name);

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
        if (view)
          this.emit({
            kind: 'restarted',
            cluster: this.opts.cluster,
            connector: view,
            action: a,
            dryRun,
            at: now,
          });
      }
    }
    for (const d of result.decisions) {
      const view = byName.get(d.connector);
      if (d.kind === 'exhausted' && view) {
        this.emit({
          kind: 'exhausted',
          cluster: this.opts.cluster,
          connector: view,
          decision: d,
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
    return result.decisions;
  }

  private async executeAll(
    actions: readonly RestartAction[],
    before: RestartHistory,
    byName: ReadonlyMap<string, ConnectorView>,
  ): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < actions.length) {
        const action = actions[next++] as RestartAction;
        let outcome: RestartOutcome;
        try {
          outcome = await this.execute(action);
        } catch (err) {
          // execute() classifies every error it expects; anything else is a bug, but must not stop the loop.
          this.log.error({ err, connector: action.connector }, 'restart failed unexpectedly');
          outcome = 'failed';
        }
        this.settle(action, outcome, before, byName.get(action.connector));
      }
    };
    const concurrency = Math.max(1, Math.min(this.opts.concurrency ?? 4, actions.length));
    await Promise.all(Array.from({ length: concurrency }, worker));
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
        if (view) {
          this.emit({
            kind: 'restarted',
            cluster: this.opts.cluster,
            connector: view,
            action,
            dryRun: false,
            at: this.now(),
          });
        }
        return;
      case 'failed':
        this.count(this.attempts, action.connector);
        this.count(this.failures, action.connector);
        return;
      case 'conflict':
        this.history = revertAttempt(this.history, action, before.get(action.connector));
        return;
      case 'gone':
        this.history = forgetConnector(this.history, action.connector);
        return;
      case 'dry_run':
        return;
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
        `${what} restart refused during a rebalance (409); retrying on the next poll`,
      );
      return 'conflict';
    }
    if (err instanceof ConnectApiError && err.status === 404 && what === 'connector') {
      this.log.info({ ...fields, err: message }, 'connector is gone; forgetting it');
      return 'gone';
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

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function firstLine(view: ConnectorView | undefined): string | undefined {
  const trace = view?.trace ?? view?.tasks.find((t) => t.state === 'FAILED' && t.trace)?.trace;
  return trace?.split('\n', 1)[0];
}
