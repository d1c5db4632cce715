/**
 * Composition root as a library: config → clients → pollers → exposition → HTTP. main.ts adds the
 * process concerns (argv, signals, exit codes); tests start a Sentinel in-process.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ClusterConfig, Config } from './config/schema.js';
import type { ConnectClient } from './connect/client.js';
import { connectClientFor } from './connect/factory.js';
import { ExpositionCache } from './exposition/cache.js';
import { ClusterRenderer } from './exposition/render.js';
import { JsonDocument, type JsonSection } from './http/json-document.js';
import { startHttpServer, type RunningServer } from './http/server.js';
import { statusJson, unpolledStatus } from './http/status.js';
import type { WebConfigRuntime } from './http/web-config.js';
import type { KafkaReader } from './kafka/reader.js';
import type { Logger } from './log.js';
import { ClusterPoller } from './poller/poller.js';
import type { ClusterSnapshot } from './state/snapshot.js';
import { REVISION, VERSION } from './version.js';
import { yieldToIo } from './yield.js';

export interface SentinelHooks {
  /** Makes the Kafka reader of a cluster with kafka settings. */
  readonly kafkaReader?: (cluster: ClusterConfig, config: Config, logger: Logger) => KafkaReader | undefined;
  /**
   * Sees every snapshot, in order, once /metrics shows it or a newer one (a snapshot superseded while a
   * rendering was running is not rendered itself), e.g. the restarter and notifications.
   */
  readonly onSnapshot?: (snapshot: ClusterSnapshot, previous: ClusterSnapshot | undefined) => void;
  /** Lets a stage after the poll add to the snapshot (restart counters) before it is rendered. */
  readonly decorate?: (snapshot: ClusterSnapshot) => ClusterSnapshot;
  /** A cluster's part of /api/v1/dlq, given its latest snapshot if any (undefined: the cluster has no DLQ reader). */
  readonly dlq?: (
    cluster: string,
    snapshot: ClusterSnapshot | undefined,
  ) => Required<JsonSection> | undefined;
  /** TLS, basic auth, headers and rate limit of the HTTP server (`--web.config.file`). */
  readonly webConfig?: WebConfigRuntime;
  /** Runs on stop, after the pollers stopped: lets the stages drain (webhook queues). */
  readonly close?: () => Promise<void>;
}

export class Sentinel {
  readonly cache = new ExpositionCache({ version: VERSION, revision: REVISION });
  /** /api/v1/status and /api/v1/dlq, made once per publication. */
  readonly status = new JsonDocument();
  readonly dlq = new JsonDocument();
  readonly pollers: ClusterPoller[] = [];
  readonly clients: ConnectClient[] = [];
  private readonly readers: KafkaReader[] = [];
  private readonly registry = new Registry();
  private server: RunningServer | undefined;
  private readonly snapshots: (ClusterSnapshot | undefined)[] = [];
  private readonly renderers = new Map<string, ClusterRenderer>();
  /** Per cluster: snapshots waiting to be published, and the publication running (rendering into the cache). */
  private readonly queued: { snapshot: ClusterSnapshot; previous: ClusterSnapshot | undefined }[][] = [];
  private readonly published: (Promise<void> | undefined)[] = [];
  private readonly rendered = new Set<string>();

  constructor(
    readonly config: Config,
    private readonly logger: Logger,
    private readonly hooks: SentinelHooks = {},
  ) {
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
    this.status.setClusters(config.clusters.map((c) => c.name));
    config.clusters.forEach((cluster, index) => {
      const client = connectClientFor(cluster, config);
      this.clients.push(client);
      this.status.setCluster(cluster.name, unpolledStatus(cluster.name).head);
      const reader = cluster.kafka ? hooks.kafkaReader?.(cluster, config, logger) : undefined;
      if (reader) this.readers.push(reader);
      this.snapshots.push(undefined);
      this.queued.push([]);
      this.pollers.push(
        new ClusterPoller({
          cluster: cluster.name,
          client,
          ...(reader ? { kafka: reader } : {}),
          intervalMs: config.poll.intervalMs,
          timeoutMs: config.poll.timeoutMs,
          staleAfterMs: config.poll.staleAfterMs,
          jitter: config.poll.jitter,
          ...(cluster.workerId !== undefined ? { workerId: cluster.workerId } : {}),
          logger: logger.child({ cluster: cluster.name }),
          onSnapshot: (raw, previous) => {
            const snapshot = hooks.decorate ? hooks.decorate(raw) : raw;
            this.snapshots[index] = snapshot;
            const queue = this.queued[index] as {
              snapshot: ClusterSnapshot;
              previous: ClusterSnapshot | undefined;
            }[];
            queue.push({ snapshot, previous });
            // One publication at a time per cluster, so renderings never overlap or land out of order; polls
            // that finish meanwhile wait in the queue and only the newest of them is rendered.
            this.published[index] ??= this.drain(index, queue);
          },
        }),
      );
    });
    // Only the clusters with a DLQ reader, listed (empty) from the start.
    const dlq = config.clusters.flatMap((c) => {
      const section = hooks.dlq?.(c.name, undefined);
      return section ? [{ name: c.name, section }] : [];
    });
    this.dlq.setClusters(dlq.map((d) => d.name));
    for (const { name, section } of dlq) this.dlq.setCluster(name, section.head, section.items);
  }

  get url(): string {
    if (!this.server) throw new Error('not started');
    return this.server.url;
  }

  /** Every cluster has been polled once and its metrics are on /metrics. */
  get ready(): boolean {
    return this.config.clusters.every((c) => this.rendered.has(c.name));
  }

  snapshot(cluster: string): ClusterSnapshot | undefined {
    return this.snapshots[this.config.clusters.findIndex((c) => c.name === cluster)];
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
      logger: this.logger,
      ...(this.hooks.webConfig ? { webConfig: this.hooks.webConfig } : {}),
    });
    for (const p of this.pollers) p.start();
    this.logger.info(
      {
        url: this.server.url,
        clusters: this.config.clusters.map((c) => ({
          name: c.name,
          url: c.url,
          kafka: c.kafka?.brokers ?? null,
        })),
      },
      'connect-sentinel started',
    );
  }

  /** Wait until every cluster has been polled once and its metrics are published. */
  async firstPolls(): Promise<void> {
    await Promise.all(this.pollers.map((p) => p.snapshot ?? p.pollOnce()));
    await Promise.all(this.published);
  }

  async stop(): Promise<void> {
    await Promise.all(this.pollers.map((p) => p.stop()));
    await this.hooks.close?.().catch(() => undefined);
    await this.server?.close();
    await Promise.all(this.readers.map((r) => r.close().catch(() => undefined)));
    for (const c of this.clients) c.close();
  }

  private async drain(
    index: number,
    queue: { snapshot: ClusterSnapshot; previous: ClusterSnapshot | undefined }[],
  ): Promise<void> {
    // No await between the last look at the queue and the reset: a snapshot queued later starts a new drain.
    for (;;) {
      if (queue.length === 0) {
        this.published[index] = undefined;
        return;
      }
      const batch = queue.splice(0);
      await this.publish((batch[batch.length - 1] as (typeof batch)[number]).snapshot);
      for (const { snapshot, previous } of batch) {
        try {
          this.hooks.onSnapshot?.(snapshot, previous);
        } catch (err) {
          this.logger.error({ err, cluster: snapshot.cluster }, 'snapshot consumer failed');
        }
      }
    }
  }

  private async publish(snapshot: ClusterSnapshot): Promise<void> {
    try {
      // Process metrics are refreshed with each poll so a scrape never renders anything.
      // In a task of its own, not the one that parsed the answer: scrapes that arrived meanwhile go first.
      await yieldToIo();
      await this.refreshProcessMetrics(false);
      let renderer = this.renderers.get(snapshot.cluster);
      if (!renderer) {
        renderer = new ClusterRenderer();
        this.renderers.set(snapshot.cluster, renderer);
      }
      this.cache.setCluster(snapshot.cluster, await renderer.renderAsync(snapshot, yieldToIo));
      await this.cache.compressed();
    } catch (err) {
      this.logger.error({ err, cluster: snapshot.cluster }, 'rendering metrics failed');
      return;
    }
    try {
      // In tasks of their own too: serializing thousands of connectors takes tens of milliseconds.
      await yieldToIo();
      const { head, items } = statusJson(snapshot, snapshot.restarts);
      await this.status.setClusterAsync(snapshot.cluster, head, items, yieldToIo);
      const dlq = this.hooks.dlq?.(snapshot.cluster, snapshot);
      if (dlq) await this.dlq.setClusterAsync(snapshot.cluster, dlq.head, dlq.items, yieldToIo);
    } catch (err) {
      this.logger.error({ err, cluster: snapshot.cluster }, 'making the status JSON failed');
    }
    this.rendered.add(snapshot.cluster);
  }

  private async refreshProcessMetrics(assemble = true): Promise<void> {
    const text = (await this.registry.metrics()).replace(/\n{2,}/g, '\n');
    this.cache.setExtra(text, assemble);
  }
}
