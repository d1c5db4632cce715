/**
 * The composition: every part of connect-sentinel built once, explicitly, in this file. Data flows one way:
 *
 *   per cluster: sources (Connect REST poll, status topic, Kafka reader) ──► ClusterSnapshot ──► consumers
 *   consumers:   exposition (the snapshot's series), status and DLQ JSON, healing (restarts), notifications
 *
 * A consumer never writes into a snapshot: healing and notifications publish their own exposition fragments
 * (and healing its part of the status JSON) when their counters change, so a restart made after poll N is on
 * /metrics at once, not with poll N+1. main.ts adds the process concerns (argv, signals, exit codes); tests
 * start a Sentinel in-process.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ClusterConfig, Config } from './config/schema.js';
import type { ConnectClient } from './connect/client.js';
import { connectClientFor } from './connect/factory.js';
import type { ConnectorView } from './connect/types.js';
import { ExpositionCache } from './exposition/cache.js';
import { ClusterRenderer, renderNotifications, renderRestarts } from './exposition/render.js';
import { dlqJson, dlqNotConfigured } from './http/dlq.js';
import { JsonDocument } from './http/json-document.js';
import { PageDocument } from './http/page-document.js';
import { pageLinks } from './http/paths.js';
import { startHttpServer, type RunningServer } from './http/server.js';
import { statusJson, unpolledStatus } from './http/status.js';
import { clusterSection, clusterSectionSlices, type PageCluster } from './http/status-page.js';
import { WebConfigRuntime } from './http/web-config.js';
import { createKafkaReader, type ClusterKafkaReader } from './kafka/cluster-reader.js';
import { createStatusFollower, type StatusFollower } from './kafka/status-follower.js';
import { DEFAULT_RUNBOOK_BASE_URL } from './lib/runbook.js';
import type { Logger } from './log.js';
import { restartNotification, transitionNotifications, type FailedInstances } from './notify/events.js';
import { WebhookNotifier } from './notify/webhook.js';
import { ClusterPoller } from './poller/poller.js';
import { restartClientFor } from './restarter/client.js';
import { Restarter } from './restarter/restarter.js';
import { ClusterHistory } from './state/history.js';
import type { RestartView } from './state/restarts.js';
import type { ClusterSnapshot } from './state/snapshot.js';
import { REVISION, VERSION } from './version.js';
import { yieldToIo } from './yield.js';

/** Test seams; production passes none. */
export interface SentinelOptions {
  /** The restart policy's clock. */
  readonly now?: () => number;
  /** The webhook sender's retries. */
  readonly webhook?: { readonly retryBaseMs?: number; readonly maxAttempts?: number };
  /** Sees every snapshot, in order, once /metrics shows it or a newer one (tests and benches observe polls). */
  readonly onSnapshot?: (snapshot: ClusterSnapshot) => void;
}

/** One Connect cluster: its sources, its latest snapshot, its publication queue and its consumers' state. */
class ClusterPipeline {
  readonly name: string;
  readonly client: ConnectClient;
  readonly kafka: ClusterKafkaReader | undefined;
  readonly poller: ClusterPoller;
  /** Follows Connect's status topic; undefined without Kafka (REST only). */
  readonly status: StatusFollower | undefined;
  readonly renderer: ClusterRenderer;
  readonly restarter: Restarter | undefined;
  private readonly restartClient: ConnectClient | undefined;
  /** The latest snapshot of the sources, what the snapshots so far tell over time, and healing's latest counters. */
  latest: ClusterSnapshot | undefined;
  private readonly history = new ClusterHistory();
  restarts: RestartView | undefined;
  private readonly restartConfig: ClusterConfig['restart'];
  /** Rendered once: /readyz. */
  rendered = false;
  /** Snapshots waiting to be published, and the publication running. */
  private queue: { snapshot: ClusterSnapshot; previous: ClusterSnapshot | undefined }[] = [];
  private publishing: Promise<void> | undefined;
  /** The JSON documents' updates for this cluster, one after another, each from the newest data at its start. */
  private json: Promise<void> = Promise.resolve();
  /** For notifications: the connectors of the latest successful poll and the instances seen FAILED. */
  private lastGood: readonly ConnectorView[] | undefined;
  private failed: FailedInstances = new Set();

  constructor(
    private readonly sentinel: Sentinel,
    cluster: ClusterConfig,
    config: Config,
    logger: Logger,
    private readonly options: SentinelOptions,
  ) {
    this.name = cluster.name;
    this.restartConfig = cluster.restart;
    this.renderer = new ClusterRenderer(config.exposition);
    const log = logger.child({ cluster: cluster.name });
    this.client = connectClientFor(cluster, config);
    this.kafka = createKafkaReader(cluster, config, logger);
    // Each status record becomes snapshots through the poller, so rendering, healing and notifications
    // see it as they see a poll.
    this.status = createStatusFollower(cluster, config, logger, {
      connectorNames: () => this.poller.polledNames(),
      onUpdate: (update) => this.poller.applyStatus(update),
    });
    if (!this.status)
      log.info(
        cluster.statusTopic === undefined
          ? 'status topic not followed: no Kafka configured for this cluster (REST poll only)'
          : `status topic ${cluster.statusTopic} not followed: connect.statusTopic needs kafka.brokers (REST poll only)`,
      );
    this.poller = new ClusterPoller({
      cluster: cluster.name,
      client: this.client,
      ...(this.kafka ? { kafka: this.kafka } : {}),
      intervalMs: config.poll.intervalMs,
      timeoutMs: config.poll.timeoutMs,
      staleAfterMs: config.poll.staleAfterMs,
      jitter: config.poll.jitter,
      ...(cluster.workerId !== undefined ? { workerId: cluster.workerId } : {}),
      ...(this.status ? { statusSettled: this.status.settled } : {}),
      logger: log,
      onSnapshot: (snapshot, previous) => this.enqueue(snapshot, previous),
    });
    // Dry-run on its own also gets a restarter: it decides and logs, and its config makes it send nothing.
    if (cluster.restart.enabled || cluster.restart.dryRun) {
      // Its own client: the poll's request count (a metric) must not include restarts sent meanwhile.
      this.restartClient = restartClientFor(cluster, config);
      const notifier = sentinel.notifier;
      this.restarter = new Restarter({
        cluster: cluster.name,
        client: this.restartClient,
        config: cluster.restart,
        logger,
        requestTimeoutMs: config.poll.timeoutMs,
        ...(options.now ? { now: options.now } : {}),
        ...(notifier
          ? { onEvent: (e) => notifier.notify(restartNotification(e, cluster.restart.maxAttempts)) }
          : {}),
        onView: (view) => this.publishRestarts(view),
      });
    }
  }

  /** Every snapshot reaches the consumers in order; renderings never overlap, and only the newest is rendered. */
  private enqueue(snapshot: ClusterSnapshot, previous: ClusterSnapshot | undefined): void {
    this.latest = snapshot;
    this.queue.push({ snapshot, previous });
    this.publishing ??= this.drain();
  }

  /** Resolves once every snapshot made so far, and healing's latest counters, are published. */
  get published(): Promise<void> {
    return (this.publishing ?? Promise.resolve()).then(() => this.json);
  }

  private async drain(): Promise<void> {
    // No await between the last look at the queue and the reset: a snapshot queued later starts a new drain.
    for (;;) {
      if (this.queue.length === 0) {
        this.publishing = undefined;
        return;
      }
      const batch = this.queue.splice(0);
      await this.render(batch.map((b) => b.snapshot));
      for (const { snapshot } of batch) this.consume(snapshot);
    }
  }

  /** Renders the newest of `snapshots`; the status page's history sees every one of them, in order. */
  private async render(snapshots: readonly ClusterSnapshot[]): Promise<void> {
    const snapshot = snapshots[snapshots.length - 1] as ClusterSnapshot;
    try {
      // In a task of its own, not the one that parsed the answer: scrapes that arrived meanwhile go first.
      await yieldToIo();
      this.recordHistory(snapshots);
      await this.sentinel.refreshProcessMetrics(false);
      const cache = this.sentinel.cache;
      cache.setCluster(this.name, await this.renderer.renderAsync(snapshot, yieldToIo));
      await cache.compressed();
    } catch (err) {
      this.sentinel.logger.error({ err, cluster: this.name }, 'rendering metrics failed');
    }
    this.documentsChanged();
    this.rendered = true;
  }

  private recordHistory(snapshots: readonly ClusterSnapshot[]): void {
    try {
      for (const s of snapshots) this.history.record(s);
    } catch (err) {
      this.sentinel.logger.error(
        { err, cluster: this.name },
        'recording the poll for the status page failed',
      );
    }
  }

  /** The status and DLQ JSON and the page section show an older publication than the latest. */
  private documentsStale = false;
  /** The making of the documents last asked for; requests that come meanwhile wait for the same one. */
  private documentsMade: Promise<void> = Promise.resolve();

  /** A new publication (or new restart counters): the documents are made again when next asked for. */
  private documentsChanged(): void {
    this.documentsStale = true;
  }

  /**
   * /api/v1/status, /api/v1/dlq and the status page for this cluster, brought up to the latest publication:
   * made on the first request after it (the JSON in slices that let scrapes through), never between
   * requests. A sidecar nobody asks for JSON or the page makes neither (at 5,000 × 8 they are ~20 MB of
   * its peak memory).
   */
  documents(): Promise<void> {
    if (!this.documentsStale) return this.documentsMade;
    this.documentsStale = false;
    this.documentsMade = this.documentsMade.then(() => this.makeDocuments());
    return this.documentsMade;
  }

  private async makeDocuments(): Promise<void> {
    const snapshot = this.latest;
    if (!snapshot) return;
    try {
      const { head, items } = statusJson(snapshot, this.restarts);
      await this.sentinel.status.setClusterAsync(this.name, head, items, yieldToIo);
      if (this.kafka) {
        const dlq = dlqJson(this.name, snapshot);
        await this.sentinel.dlq.setClusterAsync(this.name, dlq.head, dlq.items, yieldToIo);
      }
    } catch (err) {
      this.sentinel.logger.error({ err, cluster: this.name }, 'making the status JSON failed');
    }
    try {
      // The history may move on during the pauses (the next poll's publication records it): the page then
      // shows an age one poll newer.
      const slices = this.sentinel.pageSection(this.pageInput(snapshot));
      let r = slices.next();
      while (!r.done) {
        await yieldToIo();
        r = slices.next();
      }
      this.sentinel.page.setCluster(this.name, r.value);
    } catch (err) {
      this.sentinel.logger.error({ err, cluster: this.name }, 'making the status page failed');
    }
  }

  pageInput(snapshot: ClusterSnapshot | undefined): PageCluster {
    const r = this.restartConfig;
    return {
      name: this.name,
      snapshot,
      history: this.history,
      restart: this.restarter
        ? { maxAttempts: r.maxAttempts, dryRun: r.dryRun, view: this.restarts }
        : undefined,
    };
  }

  /** Healing and notifications see every snapshot of a successful poll, once /metrics shows it or a newer one. */
  private consume(snapshot: ClusterSnapshot): void {
    this.options.onSnapshot?.(snapshot);
    // A failed poll carries old states: nothing new to tell or act on.
    if (!snapshot.connect.up || snapshot.connect.stale) return;
    const notifier = this.sentinel.notifier;
    if (notifier) {
      try {
        const { notifications, failed } = transitionNotifications(
          this.name,
          this.lastGood,
          snapshot.connect.connectors,
          this.failed,
          snapshot.takenAt,
        );
        this.failed = failed;
        for (const n of notifications) notifier.notify(n);
      } catch (err) {
        this.sentinel.logger.error({ err, cluster: this.name }, 'deriving notifications failed');
      }
    }
    this.lastGood = snapshot.connect.connectors;
    try {
      this.restarter?.observe(snapshot);
    } catch (err) {
      this.sentinel.logger.error({ err, cluster: this.name }, 'restart decision failed');
    }
  }

  private publishRestarts(view: RestartView): void {
    this.restarts = view;
    this.sentinel.cache.setCluster(this.name, renderRestarts(this.name, view), 'restarts');
    this.documentsChanged();
  }

  start(): void {
    this.poller.start();
    this.status?.start();
  }

  async close(): Promise<void> {
    const following = this.status?.stop();
    const stopped = this.poller.stop();
    // Aborts the requests in flight, so a poll waiting on a slow worker ends now rather than at its deadline.
    this.client.close();
    await stopped;
    await following;
    await this.restarter?.idle;
    await this.kafka?.close().catch(() => undefined);
    this.client.close();
    this.restartClient?.close();
  }
}

export class Sentinel {
  readonly cache = new ExpositionCache({ version: VERSION, revision: REVISION });
  /** /api/v1/status and /api/v1/dlq, made on the first request after a publication, served as shared buffers. */
  readonly status = new JsonDocument();
  readonly dlq = new JsonDocument();
  /** The status page at `/`, one section per cluster, made like the JSON documents. */
  readonly page: PageDocument;
  /** Where the page's runbook links point (the shipped alerts' default). */
  private readonly runbookBaseUrl = DEFAULT_RUNBOOK_BASE_URL;
  readonly notifier: WebhookNotifier | undefined;
  private readonly clusters: readonly ClusterPipeline[];
  private readonly registry = new Registry();
  private readonly web: WebConfigRuntime | undefined;
  private server: RunningServer | undefined;

  /** Builds every part; throws the web config's ConfigError (exit 2) before anything starts. */
  constructor(
    readonly config: Config,
    readonly logger: Logger,
    options: SentinelOptions = {},
  ) {
    this.web = config.web.configFile ? WebConfigRuntime.load(config.web.configFile, { logger }) : undefined;
    this.page = new PageDocument({
      links: pageLinks(config.web.telemetryPath),
      // As often as new data can come, within what a person watching the page finds useful.
      refreshSeconds: Math.min(60, Math.max(5, Math.ceil(config.poll.intervalMs / 1000))),
      version: VERSION,
    });
    collectDefaultMetrics({ register: this.registry });
    // prom-client also exposes gauges named *_total, which promtool rightly flags; the same counts
    // stay available per type as nodejs_active_handles / _requests / _resources.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.registry.removeSingleMetric(name);
    }
    if (config.notify.webhookUrls.length > 0) {
      this.notifier = new WebhookNotifier({
        urls: config.notify.webhookUrls,
        timeoutMs: config.notify.timeoutMs,
        queueSize: config.notify.queueSize,
        logger: logger.child({ component: 'webhook' }),
        userAgent: `connect-sentinel/${VERSION}`,
        onCount: (cluster, counts) =>
          this.cache.setCluster(cluster, renderNotifications(cluster, counts), 'notifications'),
        ...(options.webhook?.retryBaseMs === undefined ? {} : { retryBaseMs: options.webhook.retryBaseMs }),
        ...(options.webhook?.maxAttempts === undefined ? {} : { maxAttempts: options.webhook.maxAttempts }),
      });
      // Zeros from the start, so an alert on increase() sees the first event.
      for (const c of config.clusters)
        this.cache.setCluster(
          c.name,
          renderNotifications(c.name, this.notifier.counts(c.name)),
          'notifications',
        );
    }
    this.clusters = config.clusters.map((c) => new ClusterPipeline(this, c, config, logger, options));
    this.status.setClusters(config.clusters.map((c) => c.name));
    for (const c of config.clusters) this.status.setCluster(c.name, unpolledStatus(c.name).head);
    this.page.setClusters(config.clusters.map((c) => c.name));
    for (const c of this.clusters)
      this.page.setCluster(
        c.name,
        clusterSection(c.pageInput(undefined), { now: Date.now(), runbookBaseUrl: this.runbookBaseUrl }),
      );
    // Every cluster from the start: those without a Kafka source say so, once.
    this.dlq.setClusters(config.clusters.map((c) => c.name));
    for (const c of this.clusters) {
      const { head, items } = c.kafka ? dlqJson(c.name, undefined) : dlqNotConfigured(c.name);
      this.dlq.setCluster(c.name, head, items);
    }
  }

  get url(): string {
    if (!this.server) throw new Error('not started');
    return this.server.url;
  }

  /** Every cluster has been polled once and its metrics are on /metrics. */
  get ready(): boolean {
    return this.clusters.every((c) => c.rendered);
  }

  snapshot(cluster: string): ClusterSnapshot | undefined {
    return this.clusters.find((c) => c.name === cluster)?.latest;
  }

  async start(): Promise<void> {
    await this.refreshProcessMetrics();
    this.server = await startHttpServer({
      ...(this.config.web.host ? { host: this.config.web.host } : {}),
      port: this.config.web.port,
      telemetryPath: this.config.web.telemetryPath,
      metrics: this.cache,
      ready: () => this.ready,
      status: this.status,
      dlq: this.dlq,
      page: this.page,
      documents: () => this.documents(),
      logger: this.logger,
      ...(this.web ? { webConfig: this.web } : {}),
    });
    for (const c of this.clusters) c.start();
    this.logger.info(
      {
        url: this.server.url,
        clusters: this.config.clusters.map((c) => ({
          name: c.name,
          url: c.url,
          kafka: c.kafka?.brokers ?? null,
          restart: c.restart.dryRun ? 'dry-run' : c.restart.enabled ? 'on' : 'off',
        })),
      },
      'connect-sentinel started',
    );
  }

  /** Wait until every cluster has been polled once and its metrics are published. */
  async firstPolls(): Promise<void> {
    await Promise.all(this.clusters.map((c) => c.latest ?? c.poller.pollOnce()));
    await this.published();
  }

  /** Brings /api/v1/status, /api/v1/dlq and the page up to every cluster's latest publication. */
  async documents(): Promise<void> {
    await Promise.all(this.clusters.map((c) => c.documents()));
  }

  /** Polls every cluster now (unless a poll is running) and waits until the result is published. */
  async pollNow(): Promise<void> {
    await Promise.all(this.clusters.map((c) => c.poller.pollOnce()));
    await this.published();
  }

  /** Resolves once every snapshot made so far is published and the restarts decided so far were sent. */
  async published(): Promise<void> {
    await Promise.all(this.clusters.map((c) => c.published));
    await Promise.all(this.clusters.map((c) => c.restarter?.idle));
  }

  private stopping: Promise<void> | undefined;

  /** Stops polling, lets restarts in flight and the webhook queues finish (up to 2 s), closes the server. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.clusters.map((c) => c.close()));
      if (this.notifier) {
        await this.notifier.flush(2_000);
        this.notifier.close();
      }
      await this.server?.close();
    })();
    return this.stopping;
  }

  /** A cluster's section of the status page in slices, with ages counted to now. */
  pageSection(cluster: PageCluster): Generator<void, string> {
    return clusterSectionSlices(cluster, { now: Date.now(), runbookBaseUrl: this.runbookBaseUrl });
  }

  /** Process metrics are refreshed with each publication so a scrape never renders anything. */
  async refreshProcessMetrics(assemble = true): Promise<void> {
    const text = (await this.registry.metrics()).replace(/\n{2,}/g, '\n');
    this.cache.setExtra(text, assemble);
  }
}
