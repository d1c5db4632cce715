/**
 * An in-memory Kafka behind the KafkaSource interface: topics, records with keys and headers, group offsets,
 * topic configs, partition leaders, denied reads, and long-poll fetches that answer when a record arrives.
 */
import type {
  ClusterMetadata,
  FetchRequest,
  FetchResult,
  KafkaSource,
  OffsetsResult,
  TopicLayout,
} from '../../../src/kafka/connection.js';
import { CodecError } from '../../../src/kafka/codecs.js';
import type { WireRecord } from '../../../src/kafka/kafkajs-internal.js';

interface FakeRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

export class FakeKafka implements KafkaSource {
  readonly topics = new Map<string, { start: number[]; records: FakeRecord[][] }>();
  readonly groups = new Map<string, Map<string, Map<number, number>>>();
  down = false;
  /** Topics whose partitions have no leader (an offline broker). */
  readonly offline = new Set<string>();
  /** Topics this client may describe but not read: fetches answer TOPIC_AUTHORIZATION_FAILED. */
  readonly denied = new Set<string>();
  /** Topic configs for DescribeConfigs; a topic absent here answers with its defaults (none). */
  readonly configs = new Map<string, Record<string, string>>();
  /** Leader of a partition (node 1 unless set here). */
  leaderOf: (topic: string, partition: number) => number = () => 1;
  /** Long polls waiting for a record. */
  private readonly waiting = new Set<() => void>();
  /** Runs before each fetch is answered (to change the log between ListOffsets and Fetch). */
  beforeFetch: (() => void) | undefined;
  calls = { metadata: 0, listOffsets: 0, committedOffsets: 0, fetch: 0, topicConfigs: 0 };
  /** `topic/partition` holding a batch that cannot be decoded: a fetch including it fails whole, as kafkajs's decoder does. */
  readonly corrupt = new Set<string>();
  /** Partitions asked for in fetches, as `topic/partition@offset`. */
  fetched: string[] = [];

  createTopic(topic: string, partitions = 1): void {
    this.topics.set(topic, {
      start: new Array<number>(partitions).fill(0),
      records: Array.from({ length: partitions }, () => []),
    });
  }

  deleteTopic(topic: string): void {
    this.topics.delete(topic);
  }

  produce(topic: string, partition: number, headers: Record<string, string> = {}, value = 'v'): void {
    const h: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(headers)) h[k] = Buffer.from(v);
    this.append(topic, partition, null, Buffer.from(value), h);
  }

  /** A keyed record, as Connect writes its status topic; a null value is a tombstone. */
  produceKeyed(
    topic: string,
    partition: number,
    key: string,
    value: string | null,
    timestamp?: number,
  ): void {
    this.append(
      topic,
      partition,
      Buffer.from(key),
      value === null ? null : Buffer.from(value),
      {},
      timestamp,
    );
  }

  private append(
    topic: string,
    partition: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: Record<string, Buffer>,
    timestamp?: number,
  ): void {
    const t = this.topics.get(topic);
    if (!t) throw new Error(`no topic ${topic}`);
    const log = t.records[partition]!;
    const offset = (log[log.length - 1]?.offset ?? t.start[partition]! - 1) + 1;
    log.push({ offset, timestamp: timestamp ?? 1_700_000_000_000 + offset, key, value, headers });
    for (const wake of [...this.waiting]) wake();
  }

  /** Retention: records below `offset` are gone. */
  deleteBefore(topic: string, partition: number, offset: number): void {
    const t = this.topics.get(topic)!;
    t.start[partition] = offset;
    t.records[partition] = t.records[partition]!.filter((r) => r.offset >= offset);
  }

  commit(group: string, topic: string, partition: number, offset: number): void {
    let g = this.groups.get(group);
    if (!g) this.groups.set(group, (g = new Map()));
    let t = g.get(topic);
    if (!t) g.set(topic, (t = new Map()));
    t.set(partition, offset);
  }

  private end(topic: string, p: number): number {
    const t = this.topics.get(topic)!;
    const log = t.records[p]!;
    return log.length ? log[log.length - 1]!.offset + 1 : t.start[p]!;
  }

  private check(): void {
    if (this.down)
      throw Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'), {
        name: 'KafkaJSConnectionError',
      });
  }

  async metadata(): Promise<ClusterMetadata> {
    this.calls.metadata++;
    this.check();
    const topics = new Map<string, TopicLayout>();
    for (const [topic, t] of this.topics) {
      topics.set(topic, {
        topic,
        leaders: new Map(t.start.map((_, i) => [i, this.offline.has(topic) ? -1 : this.leaderOf(topic, i)])),
      });
    }
    return { topics };
  }

  async listOffsets(topics: readonly TopicLayout[], which: 'earliest' | 'latest'): Promise<OffsetsResult> {
    this.calls.listOffsets++;
    this.check();
    const offsets = new Map<string, Map<number, number>>();
    const failed = new Map<string, string>();
    for (const l of topics) {
      const t = this.topics.get(l.topic);
      if (!t || [...l.leaders.values()].some((x) => x < 0)) {
        failed.set(l.topic, t ? 'a partition has no leader' : 'UNKNOWN_TOPIC_OR_PARTITION');
        continue;
      }
      offsets.set(
        l.topic,
        new Map(
          [...l.leaders.keys()].map((p) => [p, which === 'earliest' ? t.start[p]! : this.end(l.topic, p)]),
        ),
      );
    }
    return { offsets, failed };
  }

  async committedOffsets(
    groups: readonly { groupId: string; topics: readonly TopicLayout[] }[],
  ): Promise<Map<string, Map<string, Map<number, number>> | Error>> {
    this.calls.committedOffsets++;
    this.check();
    const out = new Map<string, Map<string, Map<number, number>> | Error>();
    for (const g of groups) {
      const m = new Map<string, Map<number, number>>();
      for (const l of g.topics) {
        m.set(
          l.topic,
          new Map(
            [...l.leaders.keys()].map((p) => [p, this.groups.get(g.groupId)?.get(l.topic)?.get(p) ?? -1]),
          ),
        );
      }
      out.set(g.groupId, m);
    }
    return out;
  }

  async topicConfigs(topics: readonly string[]): Promise<Map<string, ReadonlyMap<string, string>>> {
    this.calls.topicConfigs++;
    this.check();
    return new Map(topics.map((t) => [t, new Map(Object.entries(this.configs.get(t) ?? {}))]));
  }

  async fetch(
    requests: readonly FetchRequest[],
    _leaders?: unknown,
    limits?: { maxWaitMs?: number },
  ): Promise<FetchResult> {
    this.calls.fetch++;
    this.check();
    this.beforeFetch?.();
    const bad = requests.find((r) => this.corrupt.has(`${r.topic}/${r.partition}`));
    if (bad) {
      for (const r of requests) this.fetched.push(`${r.topic}/${r.partition}@${r.offset}`);
      return {
        responses: [],
        failed: [{ leader: 1, error: new CodecError('lz4', new Error('invalid magic number')) }],
      };
    }
    const wait = limits?.maxWaitMs ?? 0;
    if (wait > 0) {
      // Like KafkaConnection.fetch: one request per leader, all awaited; each leader holds its request
      // until one of its partitions has a record or maxWait passes.
      const byLeader = new Map<number, FetchRequest[]>();
      for (const r of requests) {
        const l = this.leaderOf(r.topic, r.partition);
        byLeader.set(l, [...(byLeader.get(l) ?? []), r]);
      }
      await Promise.all([...byLeader.values()].map((rs) => this.hold(rs, wait)));
      this.check();
    }
    const byTopic = new Map<
      string,
      { partition: number; errorCode: number; highWatermark: string; messages: WireRecord[] }[]
    >();
    for (const r of requests) {
      this.fetched.push(`${r.topic}/${r.partition}@${r.offset}`);
      const t = this.topics.get(r.topic);
      const arr = byTopic.get(r.topic) ?? [];
      byTopic.set(r.topic, arr);
      if (!t || this.denied.has(r.topic)) {
        // UNKNOWN_TOPIC_OR_PARTITION, TOPIC_AUTHORIZATION_FAILED
        arr.push({ partition: r.partition, errorCode: t ? 29 : 3, highWatermark: '-1', messages: [] });
        continue;
      }
      const highWatermark = String(this.end(r.topic, r.partition));
      if (r.offset < t.start[r.partition]! || r.offset > Number(highWatermark)) {
        arr.push({ partition: r.partition, errorCode: 1, highWatermark, messages: [] }); // OFFSET_OUT_OF_RANGE
        continue;
      }
      // Like a broker: a few records at a time, starting at the batch containing the offset.
      const messages = t.records[r.partition]!.filter((m) => m.offset >= r.offset - 1).slice(0, 3);
      arr.push({
        partition: r.partition,
        errorCode: 0,
        highWatermark,
        messages: messages.map((m) => ({ ...m, offset: String(m.offset), timestamp: String(m.timestamp) })),
      });
    }
    return {
      responses: [...byTopic].map(([topicName, partitions]) => ({ topicName, partitions })),
      failed: [],
    };
  }

  private hold(requests: readonly FetchRequest[], wait: number): Promise<void> {
    const ready = (): boolean =>
      requests.some((r) => {
        const t = this.topics.get(r.topic);
        return !t || this.denied.has(r.topic) || r.offset !== this.end(r.topic, r.partition);
      });
    if (ready()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve();
      };
      const wake = (): void => {
        if (ready()) done();
      };
      const timer = setTimeout(done, wait);
      timer.unref();
      this.waiting.add(wake);
    });
  }

  async close(): Promise<void> {}
}
