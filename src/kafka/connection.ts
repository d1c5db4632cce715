/**
 * One Kafka cluster as the reader sees it: connected lazily, rebuilt after a failure, every call bounded
 * by the poll deadline, requests grouped per partition leader, round trips counted.
 */
import { Kafka, type KafkaConfig as KafkaJsConfig } from 'kafkajs';
import { KafkaDeadlineError, mapLimit, within } from './async.js';
import {
  createWireCluster,
  EARLIEST,
  LATEST,
  READ_UNCOMMITTED,
  type WireBroker,
  type WireCluster,
  type WireFetchResponse,
  type WireMetadata,
} from './kafkajs-internal.js';

/** Per partition of one topic, by partition id. */
export type PartitionOffsets = ReadonlyMap<number, number>;

export interface TopicLayout {
  readonly topic: string;
  /** partition id → leader node id (-1 when the partition has no leader). */
  readonly leaders: ReadonlyMap<number, number>;
}

export interface ClusterMetadata {
  /** Every topic of the cluster. */
  readonly topics: ReadonlyMap<string, TopicLayout>;
}

export interface OffsetsResult {
  /** topic → partition → offset, for topics every partition of which was answered. */
  readonly offsets: Map<string, Map<number, number>>;
  /** Topics left out, with the reason. */
  readonly failed: Map<string, string>;
}

export interface FetchRequest {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface ConnectionOptions {
  readonly config: KafkaJsConfig;
  /** Parallel OffsetFetch requests (one per consumer group) in flight at most. */
  readonly groupConcurrency?: number;
  readonly now?: () => number;
}

/** A kafkajs protocol error (answered by a broker) as opposed to a transport failure. */
function protocolType(err: unknown): string | undefined {
  const e = err as { name?: string; type?: string } | undefined;
  return e?.name === 'KafkaJSProtocolError' || e?.name === 'KafkaJSOffsetOutOfRange' ? e.type : undefined;
}

const COORDINATOR_MOVED = new Set(['NOT_COORDINATOR_FOR_GROUP', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR']);

/** What the reader needs from a connection (a fake in unit tests). */
export type KafkaSource = Pick<KafkaConnection, 'metadata' | 'listOffsets' | 'committedOffsets' | 'fetch' | 'close'>;

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

  /** All topics with their partition leaders: one Metadata request. */
  async metadata(deadline: number): Promise<ClusterMetadata> {
    const cluster = await this.connected(deadline);
    await this.guard(cluster.refreshMetadata(), deadline, 'metadata');
    const meta = (cluster.brokerPool.metadata ?? { brokers: [], topicMetadata: [] }) as WireMetadata;
    const topics = new Map<string, TopicLayout>();
    for (const t of meta.topicMetadata) {
      const leaders = new Map<number, number>();
      for (const p of t.partitionMetadata) leaders.set(p.partitionId, p.leader ?? -1);
      topics.set(t.topic, { topic: t.topic, leaders });
    }
    return { topics };
  }

  /**
   * Earliest or latest offset of every partition of `topics`: one ListOffsets request per leader for all
   * of them. A broker answers a whole request with an error when one partition has one (a topic deleted
   * since the metadata, a moved leader), so a failed leader request is split per topic to keep the rest.
   */
  async listOffsets(topics: readonly TopicLayout[], which: 'earliest' | 'latest', deadline: number): Promise<OffsetsResult> {
    const cluster = await this.connected(deadline);
    const timestamp = which === 'earliest' ? EARLIEST : LATEST;
    const offsets = new Map<string, Map<number, number>>();
    const failed = new Map<string, string>();
    const byLeader = new Map<number, TopicLayout[]>();
    for (const t of topics) {
      if (t.leaders.size === 0) {
        failed.set(t.topic, 'topic has no partitions');
        continue;
      }
      const leaderless = [...t.leaders.values()].some((l) => l < 0);
      if (leaderless) {
        failed.set(t.topic, 'a partition has no leader');
        continue;
      }
      for (const leader of new Set(t.leaders.values())) {
        let arr = byLeader.get(leader);
        if (!arr) byLeader.set(leader, (arr = []));
        arr.push(t);
      }
    }
    const send = async (broker: WireBroker, leader: number, ts: readonly TopicLayout[]): Promise<void> => {
      const res = await this.guard(
        broker.listOffsets({
          isolationLevel: READ_UNCOMMITTED,
          topics: ts.map((t) => ({
            topic: t.topic,
            partitions: [...t.leaders].filter(([, l]) => l === leader).map(([partition]) => ({ partition, timestamp })),
          })),
        }),
        deadline,
        `ListOffsets (${which}) to broker ${leader}`,
      );
      for (const r of res.responses) {
        let m = offsets.get(r.topic);
        if (!m) offsets.set(r.topic, (m = new Map()));
        for (const p of r.partitions) m.set(p.partition, Number(p.offset));
      }
    };
    await Promise.all(
      [...byLeader].map(async ([leader, ts]) => {
        const broker = await this.guard(cluster.findBroker({ nodeId: leader }), deadline, `connect to broker ${leader}`);
        try {
          await send(broker, leader, ts);
        } catch (err) {
          if (protocolType(err) === undefined || ts.length === 1) {
            if (protocolType(err) === undefined) throw err;
            failed.set(ts[0]?.topic ?? '', protocolType(err) ?? String(err));
            return;
          }
          await mapLimit(ts, 8, async (t) => {
            try {
              await send(broker, leader, [t]);
            } catch (e) {
              if (protocolType(e) === undefined) throw e;
              failed.set(t.topic, protocolType(e) ?? String(e));
            }
          });
        }
      }),
    );
    // A topic is usable only when every partition was answered.
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
      const request = {
        groupId,
        topics: topics.map((t) => ({ topic: t.topic, partitions: [...t.leaders.keys()].map((partition) => ({ partition })) })),
      };
      for (let attempt = 0; ; attempt++) {
        try {
          const broker = await this.coordinator(cluster, groupId, deadline);
          const res = await this.guard(broker.offsetFetch(request), deadline, `OffsetFetch ${groupId}`);
          const byTopic = new Map<string, Map<number, number>>();
          for (const r of res.responses) {
            const m = new Map<number, number>();
            for (const p of r.partitions) m.set(p.partition, Number(p.offset));
            byTopic.set(r.topic, m);
          }
          out.set(groupId, byTopic);
          return;
        } catch (err) {
          const type = protocolType(err);
          if (type === undefined) throw err;
          this.coordinators.delete(groupId);
          if (attempt === 0 && (COORDINATOR_MOVED.has(type) || type === 'COORDINATOR_LOAD_IN_PROGRESS')) continue;
          out.set(groupId, new Error(`group ${groupId}: ${type}`));
          return;
        }
      }
    });
    return out;
  }

  /**
   * Records from `partitions` at their offsets: one Fetch per leader, answered at once (maxWait 0).
   * `leaders` says where each topic's partitions live.
   */
  async fetch(
    requests: readonly FetchRequest[],
    leaders: ReadonlyMap<string, TopicLayout>,
    limits: { partitionMaxBytes: number; maxBytes: number },
    deadline: number,
  ): Promise<{ responses: WireFetchResponse['responses']; failed: { leader: number; error: unknown }[] }> {
    const cluster = await this.connected(deadline);
    const byLeader = new Map<number, FetchRequest[]>();
    for (const r of requests) {
      const leader = leaders.get(r.topic)?.leaders.get(r.partition);
      if (leader === undefined || leader < 0) continue;
      let arr = byLeader.get(leader);
      if (!arr) byLeader.set(leader, (arr = []));
      arr.push(r);
    }
    const responses: WireFetchResponse['responses'][number][] = [];
    const failed: { leader: number; error: unknown }[] = [];
    await Promise.all(
      [...byLeader].map(async ([leader, rs]) => {
        const topics = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
        for (const r of rs) {
          let arr = topics.get(r.topic);
          if (!arr) topics.set(r.topic, (arr = []));
          arr.push({ partition: r.partition, fetchOffset: String(r.offset), maxBytes: limits.partitionMaxBytes });
        }
        try {
          const broker = await this.guard(cluster.findBroker({ nodeId: leader }), deadline, `connect to broker ${leader}`);
          const res = await this.guard(
            broker.fetch({
              isolationLevel: READ_UNCOMMITTED,
              maxWaitTime: 0,
              minBytes: 1,
              maxBytes: limits.maxBytes,
              topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
            }),
            deadline,
            `Fetch from broker ${leader}`,
          );
          responses.push(...res.responses);
        } catch (error) {
          failed.push({ leader, error });
        }
      }),
    );
    return { responses, failed };
  }

  private async coordinator(cluster: WireCluster, groupId: string, deadline: number): Promise<WireBroker> {
    const known = this.coordinators.get(groupId);
    if (known !== undefined) return this.guard(cluster.findBroker({ nodeId: known }), deadline, `connect to coordinator of ${groupId}`);
    const found = await this.guard(
      cluster.brokerPool.withBroker(({ broker }) => broker.findGroupCoordinator({ groupId, coordinatorType: 0 })),
      deadline,
      `FindCoordinator ${groupId}`,
    );
    if (!found) throw Object.assign(new Error(`no coordinator for group ${groupId}`), { name: 'KafkaJSProtocolError', type: 'COORDINATOR_NOT_AVAILABLE' });
    this.coordinators.set(groupId, found.coordinator.nodeId);
    return this.guard(cluster.findBroker({ nodeId: found.coordinator.nodeId }), deadline, `connect to coordinator of ${groupId}`);
  }

  /** Bounds a kafkajs call by the deadline; a timeout or transport failure marks the connection broken. */
  private async guard<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
    try {
      return await within(p, deadline, what, this.now);
    } catch (err) {
      // An answer with an error leaves the connections fine; anything else (timeout, closed socket) does not.
      const name = (err as { name?: string } | undefined)?.name;
      if (err instanceof KafkaDeadlineError || (protocolType(err) === undefined && name !== 'KafkaJSNotImplemented')) {
        this.broken = true;
      }
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
      const kafka = new Kafka(this.opts.config);
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
