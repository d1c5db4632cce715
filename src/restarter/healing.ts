/**
 * The healing stage around the poll loop: per cluster a Restarter (when restart is enabled there) and, for
 * all clusters, webhook notifications of failures, recoveries, restarts and spent budgets.
 */
import type { SentinelHooks } from '../app.js';
import type { ClusterConfig, Config } from '../config/schema.js';
import type { ConnectorView } from '../connect/types.js';
import type { Logger } from '../log.js';
import {
  restartNotification,
  transitionNotifications,
  type FailedInstances,
  type Notification,
} from '../notify/events.js';
import { WebhookNotifier } from '../notify/webhook.js';
import { VERSION } from '../version.js';
import type { ClusterSnapshot } from '../state/snapshot.js';
import { restartClientFor } from './client.js';
import { Restarter, type RestartClient, type RestarterOptions } from './restarter.js';

export interface HealingOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Defaults to a client of its own per cluster (restartClientFor). */
  readonly clientFor?: (cluster: ClusterConfig) => RestartClient;
  /** Where notifications go; defaults to a WebhookNotifier when notify.webhookUrls is set. */
  readonly notify?: (n: Notification) => void;
  /** Overrides for the webhook sender's retries (tests). */
  readonly webhook?: { readonly retryBaseMs?: number; readonly maxAttempts?: number };
  readonly now?: () => number;
}

export class Healing {
  private readonly restarters = new Map<string, Restarter>();
  private readonly notifier: WebhookNotifier | undefined;
  private readonly send: ((n: Notification) => void) | undefined;
  private readonly lastGood = new Map<string, readonly ConnectorView[]>();
  private readonly failed = new Map<string, FailedInstances>();
  private readonly closers: (() => void)[] = [];
  private readonly log: Logger;

  constructor(opts: HealingOptions) {
    const { config } = opts;
    this.log = opts.logger.child({ component: 'healing' });
    if (opts.notify) {
      this.send = opts.notify;
    } else if (config.notify.webhookUrls.length > 0) {
      const notifier = new WebhookNotifier({
        urls: config.notify.webhookUrls,
        timeoutMs: config.notify.timeoutMs,
        queueSize: config.notify.queueSize,
        logger: opts.logger.child({ component: 'webhook' }),
        userAgent: `connect-sentinel/${VERSION}`,
        ...(opts.webhook?.retryBaseMs === undefined ? {} : { retryBaseMs: opts.webhook.retryBaseMs }),
        ...(opts.webhook?.maxAttempts === undefined ? {} : { maxAttempts: opts.webhook.maxAttempts }),
      });
      this.notifier = notifier;
      this.send = (n) => notifier.notify(n);
    }
    for (const cluster of config.clusters) {
      if (!cluster.restart.enabled) continue;
      let client: RestartClient;
      if (opts.clientFor) {
        client = opts.clientFor(cluster);
      } else {
        const own = restartClientFor(cluster, config);
        this.closers.push(() => own.close());
        client = own;
      }
      const maxAttempts = cluster.restart.maxAttempts;
      const send = this.send;
      const options: RestarterOptions = {
        cluster: cluster.name,
        client,
        config: cluster.restart,
        logger: opts.logger,
        requestTimeoutMs: config.poll.timeoutMs,
        ...(opts.now ? { now: opts.now } : {}),
        ...(send ? { onEvent: (e) => send(restartNotification(e, maxAttempts)) } : {}),
      };
      this.restarters.set(cluster.name, new Restarter(options));
    }
  }

  /** Nothing to do: no cluster restarts and no webhook. */
  get inactive(): boolean {
    return this.restarters.size === 0 && this.send === undefined;
  }

  /**
   * Adds the restart counters to the snapshot of a cluster with restart enabled, and the notification
   * counters when a webhook is configured.
   */
  readonly decorate = (snapshot: ClusterSnapshot): ClusterSnapshot => {
    const r = this.restarters.get(snapshot.cluster);
    const withRestarts = r ? { ...snapshot, restarts: r.view(snapshot) } : snapshot;
    if (!this.notifier) return withRestarts;
    return { ...withRestarts, notifications: { ...this.notifier.counts(snapshot.cluster) } };
  };

  /** Notifies transitions and starts restarts; returns at once and never throws. */
  readonly onSnapshot = (snapshot: ClusterSnapshot): void => {
    // A failed poll carries old states: nothing new to tell or act on.
    if (!snapshot.connect.up || snapshot.connect.stale) return;
    const cluster = snapshot.cluster;
    try {
      if (this.send) {
        const { notifications, failed } = transitionNotifications(
          cluster,
          this.lastGood.get(cluster),
          snapshot.connect.connectors,
          this.failed.get(cluster) ?? new Set(),
          snapshot.takenAt,
        );
        this.failed.set(cluster, failed);
        for (const n of notifications) this.send(n);
      }
    } catch (err) {
      this.log.error({ err, cluster }, 'deriving notifications failed');
    }
    this.lastGood.set(cluster, snapshot.connect.connectors);
    try {
      this.restarters.get(cluster)?.observe(snapshot);
    } catch (err) {
      this.log.error({ err, cluster }, 'restart decision failed');
    }
  };

  hooks(): Pick<SentinelHooks, 'decorate' | 'onSnapshot'> {
    return { decorate: this.decorate, onSnapshot: this.onSnapshot };
  }

  /** Restarts in flight are finished; webhook queues get up to timeoutMs to drain. */
  async close(timeoutMs = 2_000): Promise<void> {
    await Promise.all([...this.restarters.values()].map((r) => r.idle));
    if (this.notifier) {
      await this.notifier.flush(timeoutMs);
      this.notifier.close();
    }
    for (const c of this.closers) c();
  }

  /** Resolves once the restarts decided so far have been sent (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.restarters.values()].map((r) => r.idle));
  }
}
