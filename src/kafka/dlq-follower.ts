/**
 * Follows the DLQ topics and feeds every new record to the tally. It reads by partition offsets with
 * plain Fetch requests, joining no consumer group: nothing to rebalance when the set of DLQ topics changes
 * with the connectors, nothing ever committed (on Connect's groups or any other), and the start position
 * is ours to choose. It fetches only partitions whose end offset (already known from this poll's
 * ListOffsets) is past our position, so a quiet DLQ costs no request at all.
 */
import type { Logger } from '../log.js';
import type { KafkaSource, TopicLayout } from './connection.js';
import type { DlqTarget } from './discovery.js';
import type { DlqTally } from './dlq-tally.js';
import { ERROR, errorName } from './kafkajs-internal.js';

export interface FollowerOptions {
  /** On first sight of a partition that existed before we watched it, read at most this many of its newest records. */
  readonly backlogPerPartition: number;
  readonly partitionMaxBytes?: number;
  readonly maxBytes?: number;
  /** Fetch rounds per poll at most; the rest waits for the next poll. */
  readonly maxRounds?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export interface FollowInput {
  /** Every DLQ topic the connectors name this poll (existing or not) → its connectors. */
  readonly targets: ReadonlyMap<string, readonly DlqTarget[]>;
  readonly layouts: ReadonlyMap<string, TopicLayout>;
  /** Offsets of this poll for the DLQ topics that could be read. */
  readonly start: ReadonlyMap<string, ReadonlyMap<number, number>>;
  readonly end: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

export interface FollowResult {
  readonly records: number;
  readonly rounds: number;
  /** Every partition was read up to this poll's end offset. */
  readonly caughtUp: boolean;
  readonly error?: string;
}

export class DlqFollower {
  /** topic → partition → next offset to read */
  private readonly positions = new Map<string, Map<number, number>>();
  /** DLQ topics named by a connector in an earlier poll: whatever appears in them now is new. */
  private readonly watched = new Set<string>();
  /** `topic\0partition` holding a batch no codec decodes (corrupt, or an unknown codec): skipped, warned once. */
  private readonly undecodable = new Set<string>();
  private readonly now: () => number;

  constructor(
    private readonly conn: Pick<KafkaSource, 'fetch'>,
    private readonly tally: DlqTally,
    private readonly opts: FollowerOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async follow(input: FollowInput, deadline: number): Promise<FollowResult> {
    for (const topic of this.positions.keys()) if (!input.targets.has(topic)) this.positions.delete(topic);
    for (const topic of this.watched) if (!input.targets.has(topic)) this.watched.delete(topic);

    for (const [topic, ends] of input.end) {
      const starts = input.start.get(topic);
      if (!starts || !input.targets.has(topic)) continue;
      let pos = this.positions.get(topic);
      if (!pos) this.positions.set(topic, (pos = new Map()));
      for (const [partition, end] of ends) {
        const start = starts.get(partition) ?? 0;
        const cur = pos.get(partition);
        if (cur === undefined) {
          pos.set(
            partition,
            this.watched.has(topic) ? start : Math.max(start, end - this.opts.backlogPerPartition),
          );
        } else if (cur < start || cur > end) {
          // Retention deleted what we had not read yet, or the topic was deleted and created again.
          pos.set(partition, start);
        }
      }
      for (const partition of pos.keys()) if (!ends.has(partition)) pos.delete(partition);
    }
    for (const topic of input.targets.keys()) this.watched.add(topic);

    let records = 0;
    let rounds = 0;
    const maxRounds = this.opts.maxRounds ?? 20;
    const stuck = new Set<string>();
    const solo = new Set<string>();
    try {
      for (; rounds < maxRounds && this.now() < deadline; rounds++) {
        const pending: { topic: string; partition: number; offset: number }[] = [];
        for (const [topic, pos] of this.positions) {
          const ends = input.end.get(topic);
          if (!ends) continue;
          for (const [partition, offset] of pos) {
            const k = `${topic}\u0000${partition}`;
            if (offset < (ends.get(partition) ?? 0) && !stuck.has(k) && !this.undecodable.has(k))
              pending.push({ topic, partition, offset });
          }
        }
        if (pending.length === 0) return { records, rounds, caughtUp: stuck.size === 0 };
        const grouped = pending.filter((p) => !solo.has(`${p.topic}\u0000${p.partition}`));
        const single = pending.filter((p) => solo.has(`${p.topic}\u0000${p.partition}`));
        const limits = {
          partitionMaxBytes: this.opts.partitionMaxBytes ?? 1 << 20,
          maxBytes: this.opts.maxBytes ?? 4 << 20,
        };
        const batches = [grouped, ...single.map((p) => [p])].filter((b) => b.length > 0);
        const results = await Promise.all(
          batches.map((b) => this.conn.fetch(b, input.layouts, limits, deadline)),
        );
        const progressed = new Set<string>();
        let fault: string | undefined;
        for (const [i, res] of results.entries()) {
          for (const r of res.responses) {
            const pos = this.positions.get(r.topicName);
            const targets = input.targets.get(r.topicName);
            if (!pos || !targets) continue;
            for (const p of r.partitions) {
              let next = pos.get(p.partition);
              if (next === undefined) continue;
              if (p.errorCode === ERROR.OFFSET_OUT_OF_RANGE) {
                // Deleted by retention between our ListOffsets and this Fetch: resume at the start.
                pos.set(p.partition, input.start.get(r.topicName)?.get(p.partition) ?? 0);
                progressed.add(`${r.topicName}\u0000${p.partition}`);
                continue;
              }
              if (p.errorCode !== 0) {
                // A moved leader or similar: the next poll's metadata will know better.
                fault ??= `Fetch ${r.topicName}/${p.partition}: ${errorName(p.errorCode)}`;
                continue;
              }
              for (const m of p.messages) {
                const offset = Number(m.offset);
                if (offset < next) continue;
                next = offset + 1;
                if (m.isControlRecord) continue;
                this.tally.add(
                  {
                    topic: r.topicName,
                    partition: p.partition,
                    offset,
                    timestamp: Number(m.timestamp),
                    key: m.key,
                    value: m.value,
                    headers: m.headers,
                  },
                  targets,
                );
                records++;
              }
              if (next > (pos.get(p.partition) ?? 0)) progressed.add(`${r.topicName}\u0000${p.partition}`);
              pos.set(p.partition, next);
            }
          }
          for (const f of res.failed) this.onFetchFailure(f.error, batches[i] ?? [], solo);
        }
        for (const p of pending) {
          const k = `${p.topic}\u0000${p.partition}`;
          const failedNow = results.some((res) => res.failed.length > 0);
          if (!progressed.has(k) && !solo.has(k) && !failedNow) stuck.add(k);
        }
        // A transport failure, the deadline, a moved leader: the next poll starts over with fresh metadata.
        const fatal = results.flatMap((res) => res.failed).find((f) => !undecodable(f.error));
        if (fatal) return { records, rounds: rounds + 1, caughtUp: false, error: errorText(fatal.error) };
        if (fault) return { records, rounds: rounds + 1, caughtUp: false, error: fault };
      }
      return { records, rounds, caughtUp: false };
    } catch (err) {
      return { records, rounds, caughtUp: false, error: errorText(err) };
    }
  }

  private onFetchFailure(
    error: unknown,
    batch: readonly { topic: string; partition: number }[],
    solo: Set<string>,
  ): void {
    if (undecodable(error)) {
      if (batch.length === 1 && batch[0]) {
        const { topic, partition } = batch[0];
        this.undecodable.add(`${topic}\u0000${partition}`);
        this.opts.logger?.warn(
          { topic, partition, err: errorText(error) },
          'DLQ partition holds a record batch that cannot be decoded; its records are not counted by stage',
        );
        return;
      }
      // Find the partition(s) at fault: ask for each on its own from now on.
      for (const p of batch) solo.add(`${p.topic}\u0000${p.partition}`);
    }
  }
}

/** A batch of a codec kafkajs does not know (KafkaJSNotImplemented), or one ours cannot decode (CodecError). */
function undecodable(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'KafkaJSNotImplemented' || name === 'CodecError';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
