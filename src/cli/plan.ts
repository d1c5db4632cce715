/**
 * What replay does with one DLQ record, decided without I/O: where it goes, which headers it carries, or
 * why it is left for review. The user's fix runs between `prepare` and `decide`; its answer is checked
 * here, so a fix returning nonsense leaves the record for review instead of sending garbage.
 */
import { headerText, type DlqRecordIn, type ErrantContext, type HeaderValue } from '../kafka/dlq-headers.js';

const REPLAY_PREFIX = 'connect-sentinel.replay.';
export const REPLAY_HEADER = {
  /** How many times the record was replayed, this time included. */
  count: `${REPLAY_PREFIX}count`,
  /** The DLQ record it was replayed from: a rerun recognizes what it already sent by these. */
  dlqTopic: `${REPLAY_PREFIX}dlq.topic`,
  dlqPartition: `${REPLAY_PREFIX}dlq.partition`,
  dlqOffset: `${REPLAY_PREFIX}dlq.offset`,
} as const;

const ERROR_PREFIX = '__connect.errors.';

export type OutHeaders = Record<string, Buffer | Buffer[]>;

/** What a fix module receives, and returns (changed) to republish it. */
export interface ReplayRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  /** The record's own headers: Connect's `__connect.errors.*` and ours are not among them. */
  headers: OutHeaders;
  /** Replays before this one. */
  readonly replayCount: number;
  readonly dlq: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
    readonly timestamp: number;
  };
  /** Why it failed: stage, exception class and message, original coordinates. */
  readonly error: ErrantContext;
}

export interface OutMessage {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: OutHeaders;
}

export interface PlanOptions {
  readonly dlqTopic: string;
  /** `--to`: every record goes there instead of its original topic. */
  readonly to?: string;
  readonly maxReplays: number;
}

export type Prepared = { kind: 'review'; reason: string } | { kind: 'fix'; record: ReplayRecord };
export type Decision = { kind: 'republish'; message: OutMessage } | { kind: 'review'; reason: string };

/** The record as the fix will see it, or why it goes to review without being offered to the fix. */
export function prepare(rec: DlqRecordIn, ctx: ErrantContext, o: PlanOptions): Prepared {
  const countText = headerText(rec.headers, REPLAY_HEADER.count);
  const replayCount = countText === undefined ? 0 : Number(countText.trim());
  if (!/^\d{1,9}$/.test(countText?.trim() ?? '0'))
    return { kind: 'review', reason: `unreadable ${REPLAY_HEADER.count} header "${countText ?? ''}"` };
  if (replayCount >= o.maxReplays)
    return {
      kind: 'review',
      reason: `replayed ${replayCount} time${replayCount === 1 ? '' : 's'} already (--max-replays ${o.maxReplays})`,
    };
  const topic = o.to ?? ctx.original?.topic;
  if (topic === undefined || topic === '')
    return {
      kind: 'review',
      reason: 'no original topic: the connector writes no context headers; name the topic with --to',
    };
  return {
    kind: 'fix',
    record: {
      topic,
      key: rec.key,
      value: rec.value,
      headers: ownHeaders(rec.headers),
      replayCount,
      dlq: { topic: rec.topic, partition: rec.partition, offset: rec.offset, timestamp: rec.timestamp },
      error: ctx,
    },
  };
}

/** The fix's answer (or the prepared record itself, without a fix) → the message to send, or review. */
export function decide(fixed: unknown, input: ReplayRecord, o: PlanOptions): Decision {
  if (fixed === null) return { kind: 'review', reason: 'the fix returned null (left for review)' };
  if (typeof fixed !== 'object' || fixed === undefined)
    return { kind: 'review', reason: `the fix returned ${describe(fixed)}, not a record or null` };
  const f = fixed as Record<string, unknown>;
  const topic = f.topic;
  if (typeof topic !== 'string' || topic.trim() === '')
    return { kind: 'review', reason: 'the fix returned a record without a topic' };
  if (topic === o.dlqTopic)
    return {
      kind: 'review',
      reason: `the target topic ${topic} is the DLQ itself; the DLQ is never written to`,
    };
  const key = bytes(f.key);
  const value = bytes(f.value);
  if (key === false) return { kind: 'review', reason: `the fix returned a key of ${describe(f.key)}` };
  if (value === false) return { kind: 'review', reason: `the fix returned a value of ${describe(f.value)}` };
  const headers = headersOf(f.headers);
  if (headers === false)
    return { kind: 'review', reason: 'the fix returned headers that are not name → bytes' };
  return {
    kind: 'republish',
    message: {
      topic,
      key,
      value,
      headers: {
        ...ownHeaders(headers),
        [REPLAY_HEADER.count]: Buffer.from(String(input.replayCount + 1)),
        [REPLAY_HEADER.dlqTopic]: Buffer.from(input.dlq.topic),
        [REPLAY_HEADER.dlqPartition]: Buffer.from(String(input.dlq.partition)),
        [REPLAY_HEADER.dlqOffset]: Buffer.from(String(input.dlq.offset)),
      },
    },
  };
}

/** The DLQ coordinates a replayed record carries, if it is one of ours. */
export function replayedFrom(
  headers: Readonly<Record<string, HeaderValue>>,
): { topic: string; partition: number; offset: number } | undefined {
  const topic = headerText(headers, REPLAY_HEADER.dlqTopic);
  const partition = headerText(headers, REPLAY_HEADER.dlqPartition);
  const offset = headerText(headers, REPLAY_HEADER.dlqOffset);
  if (topic === undefined || !/^\d+$/.test(partition ?? '') || !/^\d+$/.test(offset ?? '')) return undefined;
  return { topic, partition: Number(partition), offset: Number(offset) };
}

/** Headers without Connect's error context and without our replay headers (they are set anew). */
function ownHeaders(headers: Readonly<Record<string, unknown>>): OutHeaders {
  const out: OutHeaders = {};
  for (const [name, v] of Object.entries(headers)) {
    if (name.startsWith(ERROR_PREFIX) || name.startsWith(REPLAY_PREFIX)) continue;
    const values = (Array.isArray(v) ? v : [v]).map(bytes).filter((b): b is Buffer => b instanceof Buffer);
    if (values.length === 1) out[name] = values[0] as Buffer;
    else if (values.length > 1) out[name] = values;
  }
  return out;
}

/** Buffer, Uint8Array or string → Buffer; null/undefined → null; anything else → false. */
function bytes(v: unknown): Buffer | null | false {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return false;
}

function headersOf(v: unknown): Record<string, unknown> | false {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return false;
  for (const x of Object.values(v as Record<string, unknown>)) {
    const values = Array.isArray(x) ? x : [x];
    if (values.some((y) => y !== null && bytes(y) === false)) return false;
  }
  return v as Record<string, unknown>;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}
