/**
 * One Kafka cluster as the reader sees it: connected lazily, rebuilt after a failure, every call bounded
 * by the poll deadline, requests grouped per partition leader, errors kept per topic, round trips counted.
 */
import type { KafkaConfig as KafkaJsConfig } from 'kafkajs';
import { mapLimit } from '../lib/limit.js';
import { KafkaDeadlineError, within } from './async.js';
import { newKafka } from './client.js';
import {
  createWireCluster,
  EARLIEST,
  ERROR,
  errorName,
  LATEST,
  READ_UNCOMMITTED,
  sendUnparsed,
  TOPIC_RESOURCE,
  type DecodedDescribeConfigs,
  type DecodedFetch,
  type DecodedListOffsets,
  type DecodedMetadata,
  type DecodedOffsetFetch,
  type WireBroker,
  type WireCluster,
} from './kafkajs-internal.js';

export interface TopicLayout {
  readonly topic: string;
  /** partition id → leader node id (-1 when the partition has no leader). */
  readonly leaders: ReadonlyMap<number, number>;
}

export interface ClusterMetadata {
  /** Every topic of the cluster that the broker described without a topic-level error. */
  readonly topics: ReadonlyMap<string, TopicLayout>;
}

export interface OffsetsResult {
  /** topic → partition → offset, for topics every partition of which was answered without error. */
  readonly offsets: Map<string, Map<number, number>>;
  /** Topics left out, with the reason. */
  readonly failed: Map<string, string>;
}

export interface FetchRequest {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export type FetchedPartition = DecodedFetch['responses'][number]['partitions'][number];

export interface FetchResult {
  readonly responses: { readonly topicName: string; readonly partitions: readonly FetchedPartition[] }[];
  /** Leaders whose whole request failed (transport, deadline, an undecodable batch). */
  readonly failed: { leader: number; error: unknown }[];
}

export interface ConnectionOptions {
  readonly config: KafkaJsConfig;
  /** Parallel OffsetFetch requests (one per consumer group) in flight at most. */
  readonly groupConcurrency?: number;
  readonly now?: () => number;
}

/** What the reader needs from a connection (a fake in unit tests). */
export type KafkaSource = Pick<
  KafkaConnection,
  'metadata' | 'listOffsets' | 'committedOffsets' | 'fetch' | 'close'
>;

/** An answer with an error code, as opposed to a transport failure. */
export class KafkaAnswerError extends Error {
  override readonly name = 'KafkaAnswerError';
  constructor(
    readonly code: number,
    what: string,
  ) {
    super(`${what}: ${errorName(code)}`);
  }
}

function isProtocolError(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return (
    name === 'KafkaAnswerError' ||
    name === 'KafkaJSProtocolError' ||
    name === 'KafkaJSNotImplemented' ||
    name === 'CodecError'
  );
}

const COORDINATOR_MOVED = new Set<number>([
  ERROR.COORDINATOR_LOAD_IN_PROGRESS,
  ERROR.COORDINATOR_NOT_AVAILABLE,
  ERROR.NOT_COORDINATOR,
]);

export class KafkaConnection {
  private cluster: WireCluster | undefined;
  private connecting: Promise<WireCluster> | undefined;
  /** A transport failure or timeout happened: rebuild the connections before the next call. */
  private broken = false;
  private readonly coordinators = new Map<string, number>();
  private readonly now: () => number;
  /** Requests sent on the wire since start, by API name (ApiVersions, SASL handshakes included). */
  readonly requests = new Map<string, number>();

  constructor(private readonly opts: ConnectionOptions) {
    this.now = opts.now ?? Date.now;
  }

  get requestCount(): number {
    let n = 0;
    for (const v of this.requests.values()) n += v;
    return n;
  }

  async close(): Promise<void> {
    const c = this.cluster;
    this.cluster = undefined;
    this.connecting = undefined;
    await c?.disconnect().catch(() => undefined);
  }

  /**
   * All topics with their partition leaders: one Metadata request. kafkajs's broker list (which broker
   * object answers for a node id) is refreshed only when the brokers in the answer change.
   */
  async metadata(deadline: number): Promise<ClusterMetadata> {
    const cluster = await this.connected(deadline);
    const broker = await this.guard(cluster.brokerPool.findConnectedBroker(), deadline, 'connect');
    const meta = await this.guard(
      sendUnparsed<DecodedMetadata>(broker, 'Metadata', { topics: [], allowAutoTopicCreation: false }),
      deadline,
      'Metadata',
    );
    const topics = new Map<string, TopicLayout>();
    for (const t of meta.topicMetadata) {
      if (t.topicErrorCode !== 0) continue;
      const leaders = new Map<number, number>();
      for (const p of t.partitionMetadata) leaders.set(p.partitionId, p.leader >= 0 ? p.leader : -1);
      topics.set(t.topic, { topic: t.topic, leaders });
    }
    const nodes = meta.brokers
      .map((b) => String(b.nodeId))
      .sort()
      .join(',');
    if (nodes !== Object.keys(cluster.brokerPool.brokers).sort().join(',')) {
      // kafkajs builds its broker objects from a full refresh, which fails on any error code: ask it
      // about one healthy topic only (or all topics of a cluster that has none).
      const healthy = [...topics.values()].find((t) => [...t.leaders.values()].every((l) => l >= 0));
      await this.guard(
        cluster.brokerPool.refreshMetadata(healthy ? [healthy.topic] : []),
        deadline,
        'Metadata (brokers)',
      );
    }
    return { topics };
  }

  /**
   * Earliest or latest offset of every partition of `topics`, or the first offset whose record timestamp
   * is at or after `{ timestamp }` (-1: none): one ListOffsets request per leader for all of them. A
   * partition answered with an error, or without a leader, leaves out its topic only.
   */
  async listOffsets(
    topics: readonly TopicLayout[],
    which: 'earliest' | 'latest' | { readonly timestamp: number },
    deadline: number,
  ): Promise<OffsetsResult> {
    const cluster = await this.connected(deadline);
    const timestamp =
      which === 'earliest' ? EARLIEST : which === 'latest' ? LATEST : String(Math.max(0, which.timestamp));
    const label = typeof which === 'string' ? which : `at ${new Date(which.timestamp).toISOString()}`;
    const offsets = new Map<string, Map<number, number>>();
    const failed = new Map<string, string>();
    const byLeader = new Map<
      number,
      { topic: string; partitions: { partition: number; timestamp: string }[] }[]
    >();
    for (const t of topics) {
      if (t.leaders.size === 0) {
        failed.set(t.topic, 'topic has no partitions');
        continue;
      }
      if ([...t.leaders.values()].some((l) => l < 0)) {
        failed.set(t.topic, 'a partition has no leader');
        continue;
      }
      const perLeader = new Map<number, { partition: number; timestamp: string }[]>();
      for (const [partition, leader] of t.leaders) {
        let arr = perLeader.get(leader);
        if (!arr) perLeader.set(leader, (arr = []));
        arr.push({ partition, timestamp });
      }
      for (const [leader, partitions] of perLeader) {
        let arr = byLeader.get(leader);
        if (!arr) byLeader.set(leader, (arr = []));
        arr.push({ topic: t.topic, partitions });
      }
    }
    await Promise.all(
      [...byLeader].map(async ([leader, reqTopics]) => {
        const broker = await this.guard(
          cluster.findBroker({ nodeId: leader }),
          deadline,
          `connect to broker ${leader}`,
        );
        const res = await this.guard(
          sendUnparsed<DecodedListOffsets>(broker, 'ListOffsets', {
            isolationLevel: READ_UNCOMMITTED,
            topics: reqTopics,
          }),
          deadline,
          `ListOffsets (${label}) to broker ${leader}`,
        );
        for (const r of res.responses) {
          let m = offsets.get(r.topic);
          if (!m) offsets.set(r.topic, (m = new Map()));
          for (const p of r.partitions) {
            const offset = p.offset ?? p.offsets?.[0];
            if (p.errorCode !== 0 || offset === undefined) failed.set(r.topic, errorName(p.errorCode));
            else m.set(p.partition, Number(offset));
          }
        }
      }),
    );
    for (const t of topics) {
      if (failed.has(t.topic)) {
        offsets.delete(t.topic);
        continue;
      }
      const m = offsets.get(t.topic);
      if (!m || [...t.leaders.keys()].some((p) => !m.has(p))) {
        offsets.delete(t.topic);
        failed.set(t.topic, 'not every partition answered');
      }
    }
    return { offsets, failed };
  }

  /**
   * Committed offsets of each group for the given partitions: one OffsetFetch per group to its coordinator
   * (kafkajs speaks OffsetFetch ≤ v4, which takes one group per request), coordinators cached between polls.
   * A group that cannot be read maps to an Error; -1 means nothing committed.
   */
  async committedOffsets(
    groups: readonly { groupId: string; topics: readonly TopicLayout[] }[],
    deadline: number,
  ): Promise<Map<string, Map<string, Map<number, number>> | Error>> {
    const cluster = await this.connected(deadline);
    const out = new Map<string, Map<string, Map<number, number>> | Error>();
    await mapLimit(groups, this.opts.groupConcurrency ?? 32, async ({ groupId, topics }) => {
      try {
        const got = await this.offsetFetch(cluster, groupId, topics, deadline);
        const byTopic = new Map<string, Map<number, number>>();
        for (const [topic, parts] of got)
          byTopic.set(topic, new Map([...parts].map(([p, v]) => [p, v.offset])));
        out.set(groupId, byTopic);
      } catch (err) {
        if (!isProtocolError(err)) throw err;
        out.set(groupId, err instanceof Error ? err : new Error(String(err)));
      }
    });
    return out;
  }

  /** One OffsetFetch to the group's coordinator, asked again once when the coordinator moved. */
  private async offsetFetch(
    cluster: WireCluster,
    groupId: string,
    topics: readonly TopicLayout[],
    deadline: number,
  ): Promise<Map<string, Map<number, { offset: number; metadata: string }>>> {
    const args = {
      groupId,
      topics: topics.map((t) => ({
        topic: t.topic,
        partitions: [...t.leaders.keys()].map((partition) => ({ partition })),
      })),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const broker = await this.coordinator(cluster, groupId, deadline);
        const res = await this.guard(
          sendUnparsed<DecodedOffsetFetch>(broker, 'OffsetFetch', args),
          deadline,
          `OffsetFetch ${groupId}`,
        );
        const code =
          res.errorCode ||
          res.responses.flatMap((r) => r.partitions).find((p) => p.errorCode !== 0)?.errorCode ||
          0;
        if (code !== 0) throw new KafkaAnswerError(code, `group ${groupId}`);
        const byTopic = new Map<string, Map<number, { offset: number; metadata: string }>>();
        for (const r of res.responses)
          byTopic.set(
            r.topic,
            new Map(
              r.partitions.map((p) => [
                p.partition,
                { offset: Number(p.offset), metadata: p.metadata ?? '' },
              ]),
            ),
          );
        return byTopic;
      } catch (err) {
        if (!isProtocolError(err)) throw err;
        this.coordinators.delete(groupId);
        const c = (err as { code?: unknown }).code;
        if (attempt === 0 && typeof c === 'number' && COORDINATOR_MOVED.has(c)) continue;
        throw err;
      }
    }
  }

  /**
   * One group's committed offset and metadata for each partition of one topic (offset -1: nothing
   * committed). Unlike committedOffsets, an error is thrown: the caller cannot go on without it.
   */
  async groupPositions(
    groupId: string,
    topic: TopicLayout,
    deadline: number,
  ): Promise<Map<number, { offset: number; metadata: string }>> {
    const cluster = await this.connected(deadline);
    return (await this.offsetFetch(cluster, groupId, [topic], deadline)).get(topic.topic) ?? new Map();
  }

  /**
   * Commits offsets (and metadata) for a group without joining it, as Kafka's admin client does when it
   * alters a group's offsets: generation -1, no member id. The broker refuses it while the group has
   * members, which keeps this away from a group a consumer is using.
   */
  async commitOffsets(
    groupId: string,
    topic: string,
    entries: readonly { partition: number; offset: number; metadata?: string }[],
    deadline: number,
  ): Promise<void> {
    const cluster = await this.connected(deadline);
    const args = {
      groupId,
      groupGenerationId: -1,
      memberId: '',
      topics: [
        {
          topic,
          partitions: entries.map((e) => ({
            partition: e.partition,
            offset: String(e.offset),
            metadata: e.metadata ?? null,
          })),
        },
      ],
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const broker = await this.coordinator(cluster, groupId, deadline);
        await this.guard(broker.offsetCommit(args), deadline, `OffsetCommit ${groupId}`);
        return;
      } catch (err) {
        if (!isProtocolError(err)) throw err;
        this.coordinators.delete(groupId);
        const c = (err as { code?: unknown }).code;
        if (attempt === 0 && typeof c === 'number' && COORDINATOR_MOVED.has(c)) continue;
        throw err;
      }
    }
  }

  /**
   * The named configs of topics: one DescribeConfigs request. A topic the broker answered with an error
   * (e.g. TOPIC_AUTHORIZATION_FAILED) maps to a KafkaAnswerError.
   */
  async topicConfigs(
    topics: readonly string[],
    names: readonly string[],
    deadline: number,
  ): Promise<Map<string, ReadonlyMap<string, string> | KafkaAnswerError>> {
    const out = new Map<string, ReadonlyMap<string, string> | KafkaAnswerError>();
    if (topics.length === 0) return out;
    const cluster = await this.connected(deadline);
    const broker = await this.guard(cluster.brokerPool.findConnectedBroker(), deadline, 'connect');
    const res = await this.guard(
      sendUnparsed<DecodedDescribeConfigs>(broker, 'DescribeConfigs', {
        resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: [...names] })),
        includeSynonyms: false,
      }),
      deadline,
      'DescribeConfigs',
    );
    for (const r of res.resources) {
      if (r.errorCode !== 0) {
        out.set(r.resourceName, new KafkaAnswerError(r.errorCode, `configs of ${r.resourceName}`));
        continue;
      }
      const m = new Map<string, string>();
      for (const e of r.configEntries) if (e.configValue !== null) m.set(e.configName, e.configValue);
      out.set(r.resourceName, m);
    }
    return out;
  }

  /**
   * Records from partitions at the given offsets: one Fetch per leader. Answered at once unless
   * `maxWaitMs` is given: then a leader with nothing new holds the request up to that long (a long poll).
   * Per-partition error codes (e.g. OFFSET_OUT_OF_RANGE) come back in the answer for the caller.
   */
  async fetch(
    requests: readonly FetchRequest[],
    leaders: ReadonlyMap<string, TopicLayout>,
    limits: { partitionMaxBytes: number; maxBytes: number; maxWaitMs?: number },
    deadline: number,
  ): Promise<FetchResult> {
    const cluster = await this.connected(deadline);
    const byLeader = new Map<
      number,
      Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>
    >();
    for (const r of requests) {
      const leader = leaders.get(r.topic)?.leaders.get(r.partition);
      if (leader === undefined || leader < 0) continue;
      let topics = byLeader.get(leader);
      if (!topics) byLeader.set(leader, (topics = new Map()));
      let arr = topics.get(r.topic);
      if (!arr) topics.set(r.topic, (arr = []));
      arr.push({ partition: r.partition, fetchOffset: String(r.offset), maxBytes: limits.partitionMaxBytes });
    }
    const result: FetchResult = { responses: [], failed: [] };
    await Promise.all(
      [...byLeader].map(async ([leader, topics]) => {
        try {
          const broker = await this.guard(
            cluster.findBroker({ nodeId: leader }),
            deadline,
            `connect to broker ${leader}`,
          );
          const res = await this.guard(
            sendUnparsed<DecodedFetch>(broker, 'Fetch', {
              isolationLevel: READ_UNCOMMITTED,
              maxWaitTime: limits.maxWaitMs ?? 0,
              minBytes: 1,
              maxBytes: limits.maxBytes,
              topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
            }),
            deadline,
            `Fetch from broker ${leader}`,
          );
          if (res.errorCode) throw new KafkaAnswerError(res.errorCode, `Fetch from broker ${leader}`);
          result.responses.push(...res.responses);
        } catch (error) {
          result.failed.push({ leader, error });
        }
      }),
    );
    return result;
  }

  private async coordinator(cluster: WireCluster, groupId: string, deadline: number): Promise<WireBroker> {
    const known = this.coordinators.get(groupId);
    if (known !== undefined)
      return this.guard(
        cluster.findBroker({ nodeId: known }),
        deadline,
        `connect to coordinator of ${groupId}`,
      );
    const any = await this.guard(cluster.brokerPool.findConnectedBroker(), deadline, 'connect');
    const found = await this.guard(
      any.findGroupCoordinator({ groupId, coordinatorType: 0 }),
      deadline,
      `FindCoordinator ${groupId}`,
    );
    this.coordinators.set(groupId, found.coordinator.nodeId);
    return this.guard(
      cluster.findBroker({ nodeId: found.coordinator.nodeId }),
      deadline,
      `connect to coordinator of ${groupId}`,
    );
  }

  /** Bounds a kafkajs call by the deadline; a timeout or transport failure marks the connection broken. */
  private async guard<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
    try {
      return await within(p, deadline, what, this.now);
    } catch (err) {
      if (err instanceof KafkaDeadlineError || !isProtocolError(err)) this.broken = true;
      throw err;
    }
  }

  private async connected(deadline: number): Promise<WireCluster> {
    if (this.broken) {
      this.broken = false;
      await this.close();
    }
    if (this.cluster?.isConnected()) return this.cluster;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.guard(this.connecting, deadline, `connect to ${this.opts.config.brokers.toString()}`);
  }

  private async connect(): Promise<WireCluster> {
    if (!this.cluster) {
      const kafka = newKafka(this.opts.config);
      this.cluster = createWireCluster(kafka, {
        config: this.opts.config,
        onRequest: (api) => this.requests.set(api, (this.requests.get(api) ?? 0) + 1),
      });
      this.coordinators.clear();
    }
    const c = this.cluster;
    try {
      await c.connect();
    } catch (err) {
      this.broken = true;
      throw err;
    }
    return c;
  }
}
