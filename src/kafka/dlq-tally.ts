/**
 * What the DLQ reader has seen since start: counts per (connector, topic, stage, exception class), the
 * newest record timestamp per (connector, topic), and the last N errant records per connector. Memory is
 * bounded by the connectors and their caps, never by the size of a DLQ. No I/O.
 */
import type { RecentRecord } from '../state/dlq.js';
import type { DlqErrorCount, DlqLastRecord } from '../state/snapshot.js';
import type { DlqTarget } from './discovery.js';
import {
  OTHER,
  parseContext,
  payloadJson,
  UNKNOWN,
  type DlqRecordIn,
  type ErrantContext,
} from './dlq-headers.js';

export interface TallyOptions {
  /** Distinct exception classes per connector; later new classes count as "other". */
  readonly maxExceptionClasses: number;
  /** Errant records kept per connector for /api/v1/dlq. */
  readonly recentRecords: number;
  readonly showPayload: boolean;
  /** Bytes of key and value kept when showPayload is on. */
  readonly payloadLimit: number;
}

/**
 * Which connector a DLQ record belongs to. The `connector.name` header decides when it names one of the
 * connectors configured with this topic. A record naming another connector (one deleted, or moved to
 * another DLQ) is attributed to nobody rather than to the wrong connector. Without the header, the
 * topic's connector decides; on a shared topic, the one sharer that writes no context headers (only it
 * can have written a headerless record), else the first by name.
 */
export function attribute(ctx: ErrantContext, targets: readonly DlqTarget[]): string | undefined {
  if (ctx.connector !== undefined)
    return targets.some((t) => t.connector === ctx.connector) ? ctx.connector : undefined;
  if (targets.length === 1) return targets[0]?.connector;
  const silent = targets.filter((t) => !t.contextHeaders);
  if (silent.length === 1) return silent[0]?.connector;
  return [...targets].map((t) => t.connector).sort()[0];
}

interface ConnectorTally {
  /** Exception classes given their own series, in the order first seen. */
  readonly classes: Set<string>;
  /** `topic\0stage\0class` → count */
  readonly counts: Map<string, number>;
  /** topic → newest record timestamp (ms) */
  readonly newest: Map<string, number>;
  readonly ring: RecentRecord[];
  ringNext: number;
}

export class DlqTally {
  private readonly byConnector = new Map<string, ConnectorTally>();
  /** Records read whose connector header named a connector not configured with their topic. */
  unattributed = 0;

  constructor(private readonly opts: TallyOptions) {}

  /** Counts one DLQ record read from `rec.topic`, whose configured connectors are `targets`. */
  add(rec: DlqRecordIn, targets: readonly DlqTarget[]): void {
    const ctx = parseContext(rec.headers);
    const connector = attribute(ctx, targets);
    if (connector === undefined) {
      this.unattributed++;
      return;
    }
    const t = this.tallyOf(connector);
    let cls = ctx.exceptionClass;
    if (cls !== UNKNOWN && !t.classes.has(cls)) {
      if (t.classes.size < this.opts.maxExceptionClasses) t.classes.add(cls);
      else cls = OTHER;
    }
    const key = `${rec.topic}\u0000${ctx.stage}\u0000${cls}`;
    t.counts.set(key, (t.counts.get(key) ?? 0) + 1);
    if (
      Number.isFinite(rec.timestamp) &&
      rec.timestamp >= 0 &&
      rec.timestamp > (t.newest.get(rec.topic) ?? -1)
    ) {
      t.newest.set(rec.topic, rec.timestamp);
    }
    if (this.opts.recentRecords > 0) this.remember(t, rec, ctx);
  }

  /** Forgets every (connector, topic) not in `live` (`connector\0topic`): deleted connectors, changed DLQs. */
  retain(live: ReadonlySet<string>): void {
    const connectors = new Set([...live].map((k) => k.slice(0, k.indexOf('\u0000'))));
    for (const [connector, t] of this.byConnector) {
      if (!connectors.has(connector)) {
        this.byConnector.delete(connector);
        continue;
      }
      for (const key of t.counts.keys()) {
        if (!live.has(`${connector}\u0000${key.slice(0, key.indexOf('\u0000'))}`)) t.counts.delete(key);
      }
      for (const topic of t.newest.keys())
        if (!live.has(`${connector}\u0000${topic}`)) t.newest.delete(topic);
    }
  }

  counts(): DlqErrorCount[] {
    const out: DlqErrorCount[] = [];
    for (const [connector, t] of [...this.byConnector].sort(byKey)) {
      for (const [key, count] of [...t.counts].sort(byKey)) {
        const [topic, stage, exceptionClass] = key.split('\u0000') as [string, string, string];
        out.push({ connector, topic, stage, exceptionClass, count });
      }
    }
    return out;
  }

  newest(): DlqLastRecord[] {
    const out: DlqLastRecord[] = [];
    for (const [connector, t] of [...this.byConnector].sort(byKey)) {
      for (const [topic, ms] of [...t.newest].sort(byKey))
        out.push({ connector, topic, timestampSeconds: ms / 1000 });
    }
    return out;
  }

  /** The last errant records of each connector, newest first. */
  recent(): Map<string, RecentRecord[]> {
    const out = new Map<string, RecentRecord[]>();
    for (const [connector, t] of [...this.byConnector].sort(byKey)) {
      const n = t.ring.length;
      const ordered: RecentRecord[] = [];
      for (let i = 1; i <= n; i++) ordered.push(t.ring[(t.ringNext - i + n) % n] as RecentRecord);
      out.set(connector, ordered);
    }
    return out;
  }

  private tallyOf(connector: string): ConnectorTally {
    let t = this.byConnector.get(connector);
    if (!t) {
      t = { classes: new Set(), counts: new Map(), newest: new Map(), ring: [], ringNext: 0 };
      this.byConnector.set(connector, t);
    }
    return t;
  }

  private remember(t: ConnectorTally, rec: DlqRecordIn, ctx: ErrantContext): void {
    const entry: RecentRecord = {
      topic: rec.topic,
      partition: rec.partition,
      offset: rec.offset,
      timestamp:
        Number.isFinite(rec.timestamp) && rec.timestamp >= 0 ? new Date(rec.timestamp).toISOString() : null,
      stage: ctx.stage,
      exceptionClass: ctx.exceptionClass,
      exceptionMessage: ctx.exceptionMessage ?? null,
      executingClass: ctx.executingClass ?? null,
      taskId: ctx.taskId ?? null,
      original: ctx.original ?? null,
      stacktrace: ctx.stacktrace ?? null,
      ...(this.opts.showPayload
        ? {
            key: payloadJson(rec.key, this.opts.payloadLimit),
            value: payloadJson(rec.value, this.opts.payloadLimit),
          }
        : {}),
    };
    if (t.ring.length < this.opts.recentRecords) {
      t.ring.push(entry);
      t.ringNext = t.ring.length % this.opts.recentRecords;
    } else {
      t.ring[t.ringNext] = entry;
      t.ringNext = (t.ringNext + 1) % this.opts.recentRecords;
    }
  }
}

function byKey<V>(a: [string, V], b: [string, V]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
