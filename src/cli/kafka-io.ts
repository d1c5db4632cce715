/**
 * The dlq commands' Kafka I/O: topic layouts and offsets, reading partitions by offset (no consumer group
 * joined, so nothing rebalances and Connect's groups are never touched), a group's positions and commits,
 * and the producer that republishes. Every call is bounded by the configured Kafka timeout.
 */
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { KafkaConnection, TopicLayout } from '../kafka/connection.js';
import type { DlqRecordIn } from '../kafka/dlq-headers.js';
import { ERROR, errorName } from '../kafka/kafkajs-internal.js';
import type { PartitionRange } from './filter.js';
import type { OutMessage } from './plan.js';

export interface PartitionBounds {
  readonly partition: number;
  readonly start: number;
  readonly end: number;
}

/** Records of one partition from one fetch, in offset order. */
export interface Chunk {
  readonly partition: number;
  readonly records: readonly DlqRecordIn[];
  /** The position after this chunk (past trailing control records too). */
  readonly next: number;
}

/** A Kafka answer the command cannot go on without; the message says what was asked. */
export class KafkaIoError extends Error {
  override readonly name = 'KafkaIoError';
}

const PARTITION_MAX_BYTES = 1 << 20;
const FETCH_MAX_BYTES = 8 << 20;
/**
 * Bytes per produce request: kafkajs sends one record batch per partition per request and does not split
 * it, and a batch over the broker's message.max.bytes (1 MiB by default) is refused whole.
 */
const SEND_MAX_BYTES = 512 << 10;

export class KafkaIo {
  private producer: Producer | undefined;
  private layouts: Map<string, TopicLayout> | undefined;

  constructor(
    private readonly conn: KafkaConnection,
    private readonly kafka: Kafka,
    private readonly timeoutMs: number,
  ) {}

  private deadline(): number {
    return Date.now() + this.timeoutMs;
  }

  /** The topic's partitions and leaders; undefined when it does not exist. `fresh` asks the broker again. */
  async layout(topic: string, fresh = false): Promise<TopicLayout | undefined> {
    if (!this.layouts || fresh || !this.layouts.has(topic))
      this.layouts = new Map((await this.conn.metadata(this.deadline())).topics);
    return this.layouts.get(topic);
  }

  /** First and end offset of every partition. */
  async bounds(layout: TopicLayout): Promise<PartitionBounds[]> {
    const [start, end] = await Promise.all([
      this.offsets(layout, 'earliest'),
      this.offsets(layout, 'latest'),
    ]);
    return [...end].map(([partition, e]) => ({ partition, start: start.get(partition) ?? 0, end: e }));
  }

  /** Per partition, the first offset whose timestamp is at or after `timestamp`, or -1 when none is. */
  async offsetsAt(layout: TopicLayout, timestamp: number): Promise<Map<number, number>> {
    return this.offsets(layout, { timestamp });
  }

  private async offsets(
    layout: TopicLayout,
    which: 'earliest' | 'latest' | { timestamp: number },
  ): Promise<Map<number, number>> {
    const res = await this.conn.listOffsets([layout], which, this.deadline());
    const got = res.offsets.get(layout.topic);
    if (!got)
      throw new KafkaIoError(`offsets of ${layout.topic}: ${res.failed.get(layout.topic) ?? 'no answer'}`);
    return got;
  }

  /** Reads `ranges` of a topic, each partition in offset order, one fetch ahead of the caller. */
  reader(layout: TopicLayout, ranges: readonly PartitionRange[]): PartitionReader {
    return new PartitionReader(
      this.conn,
      layout,
      ranges,
      () => this.deadline(),
      (l) => this.offsets(l, 'earliest'),
    );
  }

  /** The group's committed offset (-1: none) and metadata per partition of `layout`. */
  async positions(
    group: string,
    layout: TopicLayout,
  ): Promise<Map<number, { offset: number; metadata: string }>> {
    try {
      return await this.conn.groupPositions(group, layout, this.deadline());
    } catch (err) {
      throw new KafkaIoError(`reading the offsets of group ${group}: ${message(err)}`);
    }
  }

  async commit(
    group: string,
    topic: string,
    entries: readonly { partition: number; offset: number; metadata?: string }[],
  ): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.conn.commitOffsets(group, topic, entries, this.deadline());
    } catch (err) {
      throw new KafkaIoError(`committing the position of group ${group}: ${message(err)}`);
    }
  }

  /** Sends every message, acknowledged by all in-sync replicas; throws unless all of them were. */
  async send(messages: readonly OutMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.connectedProducer();
    const requests: { topic: string; messages: Message[] }[][] = [];
    let current = new Map<string, Message[]>();
    let bytes = 0;
    const flush = (): void => {
      if (current.size > 0) requests.push([...current].map(([topic, msgs]) => ({ topic, messages: msgs })));
      current = new Map();
      bytes = 0;
    };
    for (const m of messages) {
      let size = (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64;
      for (const [name, v] of Object.entries(m.headers))
        for (const b of Array.isArray(v) ? v : [v]) size += name.length + b.length + 8;
      if (bytes + size > SEND_MAX_BYTES && bytes > 0) flush();
      let arr = current.get(m.topic);
      if (!arr) current.set(m.topic, (arr = []));
      arr.push({ key: m.key, value: m.value, headers: m.headers });
      bytes += size;
    }
    flush();
    try {
      // One connection per broker: requests in flight are answered in order, so they go together.
      await Promise.all(
        requests.map((topicMessages) =>
          producer.sendBatch({ topicMessages, acks: -1, timeout: this.timeoutMs }),
        ),
      );
    } catch (err) {
      throw new KafkaIoError(`producing ${messages.length} record(s): ${message(err)}`);
    }
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    const producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await producer.connect();
    } catch (err) {
      throw new KafkaIoError(`connecting the producer: ${message(err)}`);
    }
    this.producer = producer;
    return producer;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    await this.conn.close();
  }
}

/** Reads partition ranges by offset, handing out one partition's records of one fetch at a time. */
export class PartitionReader {
  private readonly positions = new Map<number, number>();
  private readonly ends = new Map<number, number>();
  private readonly empty = new Map<number, number>();
  private queue: Chunk[] = [];
  private ahead: Promise<Chunk[]> | undefined;

  constructor(
    private readonly conn: Pick<KafkaConnection, 'fetch'>,
    private readonly layout: TopicLayout,
    ranges: readonly PartitionRange[],
    private readonly deadline: () => number,
    private readonly earliest: (l: TopicLayout) => Promise<Map<number, number>>,
  ) {
    for (const r of ranges) {
      this.positions.set(r.partition, r.from);
      this.ends.set(r.partition, r.end);
    }
  }

  /** Records left to read, as far as the ranges go. */
  get remaining(): number {
    let n = 0;
    for (const [p, pos] of this.positions) n += Math.max(0, (this.ends.get(p) ?? 0) - pos);
    return n;
  }

  /** The next chunk, or undefined when every range was read. */
  async next(): Promise<Chunk | undefined> {
    while (this.queue.length === 0) {
      const round = await (this.ahead ?? this.fetchRound());
      this.ahead = undefined;
      if (round.length === 0 && this.pending().length === 0) return undefined;
      this.queue = round;
      // The next fetch goes out while the caller works on this one.
      if (this.pending().length > 0) {
        this.ahead = this.fetchRound();
        this.ahead.catch(() => undefined);
      }
    }
    return this.queue.shift();
  }

  private pending(): { topic: string; partition: number; offset: number }[] {
    const out: { topic: string; partition: number; offset: number }[] = [];
    for (const [partition, offset] of this.positions)
      if (offset < (this.ends.get(partition) ?? 0)) out.push({ topic: this.layout.topic, partition, offset });
    return out;
  }

  private async fetchRound(): Promise<Chunk[]> {
    const pending = this.pending();
    if (pending.length === 0) return [];
    const topic = this.layout.topic;
    const res = await this.conn.fetch(
      pending,
      new Map([[topic, this.layout]]),
      { partitionMaxBytes: PARTITION_MAX_BYTES, maxBytes: FETCH_MAX_BYTES },
      this.deadline(),
    );
    const failed = res.failed[0];
    if (failed)
      throw new KafkaIoError(`reading ${topic} from broker ${failed.leader}: ${message(failed.error)}`);
    const chunks: Chunk[] = [];
    for (const r of res.responses) {
      for (const p of r.partitions) {
        const from = this.positions.get(p.partition);
        const end = this.ends.get(p.partition);
        if (from === undefined || end === undefined) continue;
        if (p.errorCode === ERROR.OFFSET_OUT_OF_RANGE) {
          // Retention deleted what was left to read: go on from the new first offset. Past the log's end
          // instead (the topic was truncated or recreated), the position cannot move: that is no answer.
          const start = (await this.earliest(this.layout)).get(p.partition) ?? end;
          const moved = Math.max(from, Math.min(start, end));
          if (moved > from) {
            this.positions.set(p.partition, moved);
            continue;
          }
          this.noRecord(p.partition, from, end);
          continue;
        }
        if (p.errorCode !== 0)
          throw new KafkaIoError(
            `reading ${topic}/${p.partition} at offset ${from}: ${errorName(p.errorCode)}`,
          );
        const records: DlqRecordIn[] = [];
        let next = from;
        for (const m of p.messages) {
          const offset = Number(m.offset);
          if (offset < next || offset >= end) continue;
          next = offset + 1;
          if (m.isControlRecord) continue;
          records.push({
            topic,
            partition: p.partition,
            offset,
            timestamp: Number(m.timestamp),
            key: m.key,
            value: m.value,
            headers: m.headers,
          });
        }
        if (next === from) {
          this.noRecord(p.partition, from, end);
          continue;
        }
        this.empty.delete(p.partition);
        this.positions.set(p.partition, next);
        chunks.push({ partition: p.partition, records, next });
      }
    }
    return chunks;
  }

  /** A fetch below the end that returned nothing: a few more tries, then say so rather than spin. */
  private noRecord(partition: number, from: number, end: number): void {
    const n = (this.empty.get(partition) ?? 0) + 1;
    this.empty.set(partition, n);
    if (n >= 3)
      throw new KafkaIoError(
        `reading ${this.layout.topic}/${partition}: no record returned at offset ${from} (end ${end})`,
      );
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
