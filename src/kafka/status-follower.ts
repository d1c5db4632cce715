/**
 * Follows one Connect cluster's status topic: every connector and task state change, the moment a worker
 * writes it. No consumer group: every partition is read by offset with plain Fetch requests, so the
 * follower never commits and never rebalances anybody. It reads the compacted topic from the beginning
 * once (the bootstrap, handed over as one batch), then long-polls the end, one request loop per partition
 * leader so that a quiet broker never delays another's records.
 *
 * Never throws out of its loop: a missing topic, denied reads or a broken connection make it report itself
 * down (the sidecar then runs on the REST poll alone), say why once, and try again with backoff.
 */
import type { ClusterConfig, Config } from '../config/schema.js';
import { parseStatusRecord, type InstanceRecord } from '../connect/status-record.js';
import type { Logger } from '../log.js';
import type { StatusSourceView } from '../state/snapshot.js';
import { kafkaClientConfig } from './client-config.js';
import { KafkaConnection, type FetchResult, type TopicLayout } from './connection.js';
import { ERROR, errorName, type WireRecord } from './kafkajs-internal.js';
import { discoverStatusTopic, type DiscoverySource } from './status-discovery.js';

export type StatusSource = DiscoverySource & Pick<KafkaConnection, 'close'>;

export interface StatusUpdate {
  /** Connector and task records in the order they were written (per partition); empty when only the view changed. */
  readonly records: readonly InstanceRecord[];
  readonly readAt: number;
  /** The end state of the compacted topic, read from its beginning: only the last record of each key. */
  readonly bootstrap: boolean;
  readonly view: StatusSourceView;
}

export interface StatusFollowerOptions {
  readonly connection: StatusSource;
  /** Configured topic; discovered when undefined. */
  readonly topic?: string;
  /** The connectors the REST API lists, once it has answered (discovery matches topics against them). */
  readonly connectorNames: () => Promise<readonly string[]>;
  readonly onUpdate: (update: StatusUpdate) => void;
  readonly logger: Logger;
  /** Deadline of one request (a long poll gets its wait on top). */
  readonly timeoutMs: number;
  /** How long a broker may hold a Fetch while nothing is new. */
  readonly maxWaitMs?: number;
  /** Backoff after a failure: doubles from min to max. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly now?: () => number;
}

const LIMITS = { partitionMaxBytes: 1 << 20, maxBytes: 1 << 20 };

/** A reason to stop following for now; the message is what the log and the view say. */
class FollowError extends Error {
  override readonly name = 'FollowError';
}

/** stop() was called: unwinds whatever was in progress. */
class Halted extends Error {
  override readonly name = 'Halted';
}

export class StatusFollower {
  private readonly now: () => number;
  private readonly maxWaitMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private topic: string | undefined;
  /** partition → next offset, once the topic was read to its end; kept across failures to resume there. */
  private positions: Map<number, number> | undefined;
  private readonly lag = new Map<number, number>();
  private events = 0;
  private skipped = 0;
  private lastEventAt: number | undefined;
  private caughtUp = false;
  private failure: string | undefined;
  private logged: string | undefined;
  private warnedSkip = false;
  private lastView: StatusSourceView | undefined;
  private running: Promise<void> | undefined;
  /** Rejections of the calls in progress (see io): stop() ends them without waiting for Kafka. */
  private readonly waiting = new Set<(err: Halted) => void>();
  private stopped = true;
  private settle: (() => void) | undefined;
  /** Resolves once the topic was read to its end, or the follower reported itself down, or stop(). */
  readonly settled: Promise<void>;

  constructor(private readonly opts: StatusFollowerOptions) {
    this.now = opts.now ?? Date.now;
    // The Java consumer's fetch.max.wait.ms. Also bounds stop(): kafkajs closes a connection only once
    // its requests are answered.
    this.maxWaitMs = opts.maxWaitMs ?? 500;
    this.retryMinMs = opts.retryMinMs ?? 1_000;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.topic = opts.topic;
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.opts.topic !== undefined)
      this.opts.logger.info(
        { topic: this.opts.topic },
        `following Connect status topic ${this.opts.topic} (configured: connect.statusTopic)`,
      );
    this.running = this.run();
  }

  /** Ends the loop at once; closing the connection then waits for a long poll in flight (≤ maxWaitMs). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const reject of this.waiting) reject(new Halted('stopped'));
    this.settle?.();
    await this.running;
    await this.opts.connection.close().catch(() => undefined);
  }

  get view(): StatusSourceView {
    const garbage = this.skipped > 0 && this.events === 0;
    const error =
      this.failure ??
      (garbage
        ? `no Connect status record among the ${this.skipped} records read from ${this.topic ?? '?'}: is it this cluster's status.storage.topic?`
        : undefined);
    return {
      ...(this.topic !== undefined ? { topic: this.topic } : {}),
      up: this.caughtUp && error === undefined,
      ...(error !== undefined ? { error } : {}),
      eventsTotal: this.events,
      skippedTotal: this.skipped,
      ...(this.lastEventAt !== undefined ? { lastEventAt: this.lastEventAt } : {}),
      lagRecords: [...this.lag.values()].reduce((a, b) => a + b, 0),
    };
  }

  private async run(): Promise<void> {
    let backoff = this.retryMinMs;
    while (!this.stopped) {
      try {
        const topic = await this.chooseTopic();
        await this.follow(topic, () => {
          backoff = this.retryMinMs;
        });
      } catch (err) {
        if (this.stopped || err instanceof Halted) return;
        this.down(err instanceof Error ? err.message : String(err));
        await this.sleep(backoff).catch(() => undefined);
        backoff = Math.min(backoff * 2, this.retryMaxMs);
      }
    }
  }

  private async chooseTopic(): Promise<string> {
    if (this.topic !== undefined) return this.topic;
    const names = await this.io(this.opts.connectorNames());
    const found = await this.io(discoverStatusTopic(this.opts.connection, names, this.deadline(0)));
    if (found.topic === undefined)
      throw new FollowError(`no status topic found (${found.reason}); set connect.statusTopic`);
    this.opts.logger.info(
      { topic: found.topic, why: found.reason },
      `following Connect status topic ${found.topic} (discovered: ${found.reason})`,
    );
    this.topic = found.topic;
    return found.topic;
  }

  private async follow(topic: string, onCaughtUp: () => void): Promise<void> {
    const conn = this.opts.connection;
    const meta = await this.io(conn.metadata(this.deadline(0)));
    const layout = meta.topics.get(topic);
    if (layout === undefined) {
      this.forget();
      throw new FollowError(
        `status topic ${topic} does not exist, or this client may not describe it (REST only)`,
      );
    }
    if (layout.leaders.size === 0 || [...layout.leaders.values()].some((l) => l < 0))
      throw new FollowError(`a partition of status topic ${topic} has no leader`);
    const [earliest, latest] = await this.io(
      Promise.all([
        conn.listOffsets([layout], 'earliest', this.deadline(0)),
        conn.listOffsets([layout], 'latest', this.deadline(0)),
      ]),
    );
    const starts = earliest.offsets.get(topic);
    const ends = latest.offsets.get(topic);
    if (!starts || !ends)
      throw new FollowError(
        `offsets of status topic ${topic}: ${earliest.failed.get(topic) ?? latest.failed.get(topic) ?? 'not answered'}`,
      );
    // Resume where a failure left off, unless the topic changed under us (recreated, or more partitions).
    const pos = this.positions;
    const resumable =
      pos !== undefined &&
      pos.size === ends.size &&
      [...ends].every(([p, end]) => {
        const at = pos.get(p);
        return at !== undefined && at >= (starts.get(p) ?? 0) && at <= end;
      });
    if (!resumable) await this.bootstrap(topic, layout, starts, ends);
    this.caughtUp = true;
    this.failure = undefined;
    onCaughtUp();
    this.publish([], false);
    await this.tail(topic, layout);
  }

  /** Reads the topic from its start to the end offsets of now, and hands over the last record of each key. */
  private async bootstrap(
    topic: string,
    layout: TopicLayout,
    starts: ReadonlyMap<number, number>,
    ends: ReadonlyMap<number, number>,
  ): Promise<void> {
    this.positions = undefined;
    this.caughtUp = false;
    const pos = new Map([...ends.keys()].map((p) => [p, starts.get(p) ?? 0]));
    const latest = new Map<string, InstanceRecord>();
    for (;;) {
      for (const [p, end] of ends) this.lag.set(p, Math.max(0, end - (pos.get(p) ?? 0)));
      const pending = [...pos]
        .filter(([p, offset]) => offset < (ends.get(p) ?? 0))
        .map(([partition, offset]) => ({ topic, partition, offset }));
      if (pending.length === 0) break;
      const res = await this.io(
        this.opts.connection.fetch(pending, new Map([[topic, layout]]), LIMITS, this.deadline(0)),
      );
      this.check(topic, res);
      let progressed = false;
      for (const r of res.responses) {
        for (const part of r.partitions) {
          const before = pos.get(part.partition);
          if (before === undefined) continue;
          const after = this.read(part.messages, before, (rec) => {
            const key = rec.kind === 'connector' ? rec.connector : `${rec.connector}\u0000${rec.task}`;
            // Re-inserted so that the map keeps the order of each key's last write.
            latest.delete(key);
            latest.set(key, rec);
          });
          if (after > before) progressed = true;
          pos.set(part.partition, after);
        }
      }
      if (!progressed)
        throw new FollowError(
          `reading status topic ${topic} made no progress at offsets ${pending.map((p) => `${p.partition}@${p.offset}`).join(', ')}`,
        );
    }
    this.positions = pos;
    this.caughtUp = true;
    this.failure = undefined;
    this.publish([...latest.values()], true);
  }

  /** Long-polls the end of every partition, one loop per leader, until a failure or stop(). */
  private async tail(topic: string, layout: TopicLayout): Promise<void> {
    const byLeader = new Map<number, number[]>();
    for (const [partition, leader] of layout.leaders) {
      let arr = byLeader.get(leader);
      if (!arr) byLeader.set(leader, (arr = []));
      arr.push(partition);
    }
    const session: { failed: boolean } = { failed: false };
    const loops = [...byLeader.values()].map((partitions) =>
      this.tailLeader(topic, layout, partitions, session).catch((err: unknown) => {
        session.failed = true;
        throw err;
      }),
    );
    const results = await Promise.allSettled(loops);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async tailLeader(
    topic: string,
    layout: TopicLayout,
    partitions: readonly number[],
    session: { readonly failed: boolean },
  ): Promise<void> {
    const layouts = new Map([[topic, layout]]);
    const pos = this.positions as Map<number, number>;
    while (!this.stopped && !session.failed) {
      const requests = partitions.map((partition) => ({ topic, partition, offset: pos.get(partition) ?? 0 }));
      const res = await this.io(
        this.opts.connection.fetch(
          requests,
          layouts,
          { ...LIMITS, maxWaitMs: this.maxWaitMs },
          this.deadline(this.maxWaitMs),
        ),
      );
      if (session.failed) return;
      this.check(topic, res);
      const records: InstanceRecord[] = [];
      for (const r of res.responses) {
        for (const part of r.partitions) {
          const before = pos.get(part.partition);
          if (before === undefined) continue;
          const after = this.read(part.messages, before, (rec) => records.push(rec));
          pos.set(part.partition, after);
          this.lag.set(part.partition, Math.max(0, Number(part.highWatermark) - after));
        }
      }
      this.publish(records, false);
    }
  }

  /** Parses records from `offset` on; returns the next offset. */
  private read(messages: readonly WireRecord[], offset: number, sink: (r: InstanceRecord) => void): number {
    let next = offset;
    for (const m of messages) {
      const at = Number(m.offset);
      // A fetch answers from the start of the batch holding the offset asked for.
      if (at < next) continue;
      next = at + 1;
      if (m.isControlRecord) continue;
      const rec = parseStatusRecord(m.key, m.value);
      if (rec.kind === 'other') continue;
      if (rec.kind === 'unparsable') {
        this.skipped++;
        if (!this.warnedSkip) {
          this.warnedSkip = true;
          this.opts.logger.warn(
            { topic: this.topic, offset: at, reason: rec.reason },
            'skipping unparsable records of the status topic (counted in connect_sentinel_status_records_skipped_total)',
          );
        }
        continue;
      }
      this.events++;
      const ts = Number(m.timestamp);
      if (Number.isFinite(ts) && ts > (this.lastEventAt ?? -Infinity)) this.lastEventAt = ts;
      sink(rec);
    }
    return next;
  }

  /** Throws the first problem of a fetch answer: the reason the follower stops for now. */
  private check(topic: string, res: FetchResult): void {
    const f = res.failed[0];
    if (f !== undefined)
      throw new FollowError(
        `reading status topic ${topic} from broker ${f.leader}: ${f.error instanceof Error ? f.error.message : String(f.error)}`,
      );
    for (const r of res.responses) {
      for (const p of r.partitions) {
        switch (p.errorCode) {
          case 0:
            continue;
          case ERROR.TOPIC_AUTHORIZATION_FAILED:
            throw new FollowError(
              `reads of status topic ${topic} are denied (TOPIC_AUTHORIZATION_FAILED): grant this client READ on it`,
            );
          case ERROR.OFFSET_OUT_OF_RANGE:
          case ERROR.UNKNOWN_TOPIC_OR_PARTITION:
            // Deleted records or a recreated topic: read it again from the start.
            this.positions = undefined;
            throw new FollowError(`reading status topic ${topic}/${p.partition}: ${errorName(p.errorCode)}`);
          default:
            throw new FollowError(`reading status topic ${topic}/${p.partition}: ${errorName(p.errorCode)}`);
        }
      }
    }
  }

  /** The topic is gone: start over, and look for it again if it was discovered. */
  private forget(): void {
    this.positions = undefined;
    if (this.opts.topic === undefined) this.topic = undefined;
  }

  private down(reason: string): void {
    this.caughtUp = false;
    this.failure = reason;
    this.publish([], false);
  }

  /** Hands records and the view to the pipeline when either is new; logs each change of health once. */
  private publish(records: readonly InstanceRecord[], bootstrap: boolean): void {
    const view = this.view;
    const health = view.up ? 'up' : (view.error ?? 'down');
    if (health !== this.logged) {
      if (view.up)
        this.opts.logger.info(
          { topic: view.topic, events: view.eventsTotal },
          'status follower up: state changes are published as they are written',
        );
      else
        this.opts.logger.warn(
          { topic: view.topic, reason: view.error },
          `status follower down, REST poll only: ${view.error ?? 'not caught up'}`,
        );
      this.logged = health;
    }
    if (records.length === 0 && !bootstrap && sameView(view, this.lastView)) return;
    this.lastView = view;
    try {
      this.opts.onUpdate({ records, readAt: this.now(), bootstrap, view });
    } catch (err) {
      this.opts.logger.error({ err }, 'status update consumer failed');
    }
    this.settle?.();
  }

  private deadline(extraMs: number): number {
    return this.now() + extraMs + this.opts.timeoutMs;
  }

  /** `p`, unless stop() comes first: then a Halted error at once. */
  private io<T>(p: Promise<T>): Promise<T> {
    p.catch(() => undefined);
    if (this.stopped) return Promise.reject(new Halted('stopped'));
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      p.then(resolve, reject).finally(() => this.waiting.delete(reject));
    });
  }

  private sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return this.io(
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        timer.unref();
      }),
    ).finally(() => clearTimeout(timer));
  }
}

function sameView(a: StatusSourceView, b: StatusSourceView | undefined): boolean {
  return (
    b !== undefined &&
    a.topic === b.topic &&
    a.up === b.up &&
    a.error === b.error &&
    a.eventsTotal === b.eventsTotal &&
    a.skippedTotal === b.skippedTotal &&
    a.lastEventAt === b.lastEventAt &&
    a.lagRecords === b.lagRecords
  );
}

/** The follower of a cluster with Kafka settings; undefined (REST only) for a cluster without. */
export function createStatusFollower(
  cluster: ClusterConfig,
  config: Config,
  logger: Logger,
  hooks: Pick<StatusFollowerOptions, 'connectorNames' | 'onUpdate'>,
): StatusFollower | undefined {
  if (!cluster.kafka) return undefined;
  const log = logger.child({ cluster: cluster.name, source: 'status' });
  // A connection of its own: a long poll must not hold up the DLQ and lag reads on a shared socket.
  const connection = new KafkaConnection({
    config: kafkaClientConfig(cluster.kafka, { timeoutMs: config.poll.timeoutMs, logger: log }),
  });
  return new StatusFollower({
    connection,
    ...(cluster.statusTopic !== undefined ? { topic: cluster.statusTopic } : {}),
    logger: log,
    timeoutMs: config.poll.timeoutMs,
    ...hooks,
  });
}
