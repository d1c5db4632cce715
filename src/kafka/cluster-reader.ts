/**
 * The KafkaReader of one Connect cluster: per poll, one Metadata request, one ListOffsets (latest) and one
 * (earliest) per partition leader for every DLQ and sink input topic together, one OffsetFetch per sink
 * group, and Fetch requests only for DLQ partitions that grew.
 */
import type { ClusterConfig, Config } from '../config/schema.js';
import type { ConnectorView } from '../connect/types.js';
import type { Logger } from '../log.js';
import type { DlqStatus } from '../state/dlq.js';
import type { DlqTopicView, SinkLagView } from '../state/snapshot.js';
import { kafkaClientConfig } from './client-config.js';
import { KafkaConnection, type KafkaSource, type TopicLayout } from './connection.js';
import { connectorsByDlqTopic, dlqTargets, sinkPlans, type DlqTarget } from './discovery.js';
import { DlqFollower, type FollowResult } from './dlq-follower.js';
import { DlqTally, type TallyOptions } from './dlq-tally.js';
import { dlqView, lagView, topicLag } from './lag.js';
import type { KafkaData, KafkaReader } from './reader.js';

export interface ClusterReaderOptions extends TallyOptions {
  readonly backlogPerPartition: number;
  readonly logger?: Logger;
  /** Parallel OffsetFetch requests at most. */
  readonly groupConcurrency?: number;
  readonly now?: () => number;
}

export class ClusterKafkaReader implements KafkaReader {
  private readonly tally: DlqTally;
  private readonly follower: DlqFollower;
  private readonly now: () => number;
  private reportedProblems = '';

  constructor(
    readonly connection: KafkaSource,
    private readonly opts: ClusterReaderOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.tally = new DlqTally(opts);
    this.follower = new DlqFollower(connection, this.tally, {
      backlogPerPartition: opts.backlogPerPartition,
      ...(opts.logger ? { logger: opts.logger } : {}),
      now: this.now,
    });
  }

  async read(connectors: readonly ConnectorView[], deadline: number): Promise<KafkaData> {
    const conn = this.connection;
    const targets = dlqTargets(connectors);
    const byTopic = connectorsByDlqTopic(targets);
    // Always one request, even with nothing to read: kafka_up says whether Kafka answers.
    const meta = await conn.metadata(deadline);
    const plans = sinkPlans(connectors, meta.topics.keys());

    const problems = new Map<string, string>();
    const layouts = new Map<string, TopicLayout>();
    for (const topic of byTopic.keys()) {
      const l = meta.topics.get(topic);
      if (l) layouts.set(topic, l);
      else
        problems.set(
          `dlq ${topic}`,
          'topic does not exist (Connect creates it when a task of the connector starts)',
        );
    }
    for (const p of plans) {
      if (p.problem) problems.set(`sink ${p.connector}`, p.problem);
      for (const t of p.topics) {
        const l = meta.topics.get(t);
        if (l) layouts.set(t, l);
      }
    }
    const wanted = [...layouts.values()];
    const [latest, earliest] = await Promise.all([
      conn.listOffsets(wanted, 'latest', deadline),
      conn.listOffsets(wanted, 'earliest', deadline),
    ]);
    for (const [topic, why] of [...latest.failed, ...earliest.failed]) problems.set(`offsets ${topic}`, why);

    const dlq: DlqTopicView[] = [];
    const dlqByKey = new Map<string, DlqTopicView>();
    for (const t of targets) {
      const ends = latest.offsets.get(t.topic);
      const starts = earliest.offsets.get(t.topic);
      if (!ends || !starts) continue; // absent rather than 0: we could not read it (see docs/dlq.md)
      const v = dlqView(
        t.connector,
        t.topic,
        [...ends].map(([p, end]) => ({ start: starts.get(p) ?? 0, end })),
      );
      dlq.push(v);
      dlqByKey.set(`${t.connector}\u0000${t.topic}`, v);
    }

    const started = this.now();
    const followDeadline = started + Math.max(0, (deadline - started) * 0.8);
    const [lag, follow] = await Promise.all([
      this.readLag(plans, latest.offsets, earliest.offsets, layouts, problems, deadline),
      this.follower
        .follow({ targets: byTopic, layouts, start: earliest.offsets, end: latest.offsets }, followDeadline)
        .catch((err: unknown): FollowResult => ({
          records: 0,
          rounds: 0,
          caughtUp: false,
          error: String(err),
        })),
    ]);
    if (follow.error) problems.set('dlq reader', follow.error);
    this.tally.retain(new Set(targets.map((t) => `${t.connector}\u0000${t.topic}`)));

    this.report(problems);
    return {
      dlq,
      dlqErrors: this.tally.counts(),
      dlqLast: this.tally.newest(),
      lag,
      dlqStatus: this.dlqStatus(targets, dlqByKey, problems, follow),
    };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** What /api/v1/dlq shows for this cluster after this poll. */
  private dlqStatus(
    targets: readonly DlqTarget[],
    dlqByKey: ReadonlyMap<string, DlqTopicView>,
    problems: ReadonlyMap<string, string>,
    follow: FollowResult,
  ): DlqStatus {
    const recent = this.tally.recent();
    return {
      connectors: targets.map((t) => {
        const v = dlqByKey.get(`${t.connector}\u0000${t.topic}`);
        return {
          connector: t.connector,
          topic: t.topic,
          contextHeaders: t.contextHeaders,
          records: v?.records ?? null,
          written: v?.written ?? null,
          problem: problems.get(`dlq ${t.topic}`) ?? problems.get(`offsets ${t.topic}`) ?? null,
          recent: recent.get(t.connector)?.filter((r) => r.topic === t.topic) ?? [],
        };
      }),
      reader: {
        caughtUp: follow.caughtUp,
        error: follow.error ?? null,
        unattributed: this.tally.unattributed,
      },
    };
  }

  private async readLag(
    plans: ReturnType<typeof sinkPlans>,
    latest: ReadonlyMap<string, ReadonlyMap<number, number>>,
    earliest: ReadonlyMap<string, ReadonlyMap<number, number>>,
    layouts: ReadonlyMap<string, TopicLayout>,
    problems: Map<string, string>,
    deadline: number,
  ): Promise<SinkLagView[]> {
    // A sink's group is asked only about the topics whose offsets we have, so every sum is complete.
    const readable = plans
      .map((p) => ({ plan: p, topics: p.topics.filter((t) => latest.has(t) && earliest.has(t)) }))
      .filter((x) => x.topics.length > 0);
    // Two sinks may share a group (consumer.override.group.id): one request serves both.
    const groups = new Map<string, Set<string>>();
    for (const { plan, topics } of readable) {
      let s = groups.get(plan.groupId);
      if (!s) groups.set(plan.groupId, (s = new Set()));
      for (const t of topics) s.add(t);
    }
    const committed = await this.connection.committedOffsets(
      [...groups].map(([groupId, topics]) => ({
        groupId,
        topics: [...topics].sort().map((t) => layouts.get(t) as TopicLayout),
      })),
      deadline,
    );
    const out: SinkLagView[] = [];
    for (const { plan, topics } of readable) {
      const group = committed.get(plan.groupId);
      if (group === undefined || group instanceof Error) {
        problems.set(`sink ${plan.connector}`, group?.message ?? `group ${plan.groupId} was not read`);
        continue;
      }
      for (const topic of topics) {
        const ends = latest.get(topic) as ReadonlyMap<number, number>;
        const starts = earliest.get(topic) as ReadonlyMap<number, number>;
        const c = group.get(topic);
        const parts = [...ends].map(([p, end]) => {
          const committedOffset = c?.get(p);
          return {
            start: starts.get(p) ?? 0,
            end,
            ...(committedOffset !== undefined ? { committed: committedOffset } : {}),
          };
        });
        out.push(lagView(plan.connector, topic, topicLag(parts, plan.resetToLatest)));
      }
    }
    return out;
  }

  /** Logs partial problems when they change, not every poll. */
  private report(problems: ReadonlyMap<string, string>): void {
    const text = [...problems]
      .map(([k, v]) => `${k}: ${v}`)
      .sort()
      .join('; ');
    if (text !== this.reportedProblems && text !== '')
      this.opts.logger?.warn(
        { problems: [...problems].map(([k, v]) => `${k}: ${v}`) },
        'some Kafka data could not be read',
      );
    this.reportedProblems = text;
  }
}

/** The Kafka reader of a cluster with Kafka settings; undefined for a cluster without. */
export function createKafkaReader(
  cluster: ClusterConfig,
  config: Config,
  logger: Logger,
): ClusterKafkaReader | undefined {
  if (!cluster.kafka) return undefined;
  const log = logger.child({ cluster: cluster.name, source: 'kafka' });
  const connection = new KafkaConnection({
    config: kafkaClientConfig(cluster.kafka, { timeoutMs: config.poll.timeoutMs, logger: log }),
  });
  return new ClusterKafkaReader(connection, {
    ...config.dlq,
    logger: log,
  });
}
