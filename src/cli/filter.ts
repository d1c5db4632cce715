/** Which DLQ records a command works on: the filter flags as a predicate and as offset bounds. Pure. */
import type { DlqRecordIn, ErrantContext } from '../kafka/dlq-headers.js';

export interface Filters {
  /** Stage names, `unknown` included. */
  readonly stage?: ReadonlySet<string>;
  readonly exceptionClass?: RegExp;
  readonly originalTopic?: string;
  /** Epoch ms, inclusive, on the DLQ record's timestamp. */
  readonly since?: number;
  readonly until?: number;
  readonly partition?: number;
  /** DLQ offsets, inclusive. */
  readonly offset?: { readonly from?: number; readonly to?: number };
  /** Matching records at most. */
  readonly limit?: number;
}

export function matches(rec: DlqRecordIn, ctx: ErrantContext, f: Filters): boolean {
  if (f.partition !== undefined && rec.partition !== f.partition) return false;
  if (f.offset?.from !== undefined && rec.offset < f.offset.from) return false;
  if (f.offset?.to !== undefined && rec.offset > f.offset.to) return false;
  if (f.since !== undefined && !(rec.timestamp >= f.since)) return false;
  if (f.until !== undefined && !(rec.timestamp <= f.until)) return false;
  if (f.stage && !f.stage.has(ctx.stage)) return false;
  if (f.exceptionClass && !f.exceptionClass.test(ctx.exceptionClass)) return false;
  if (f.originalTopic !== undefined && ctx.original?.topic !== f.originalTopic) return false;
  return true;
}

export interface PartitionRange {
  readonly partition: number;
  /** First offset to read. */
  readonly from: number;
  /** One past the last offset to read. */
  readonly end: number;
}

/**
 * The part of each partition [start, end) the partition and offset filters leave to read: nothing is
 * fetched outside it. Partitions left with nothing to read are dropped.
 */
export function ranges(
  partitions: Iterable<{ partition: number; start: number; end: number }>,
  f: Filters,
): PartitionRange[] {
  const out: PartitionRange[] = [];
  for (const p of partitions) {
    if (f.partition !== undefined && p.partition !== f.partition) continue;
    const from = Math.max(p.start, f.offset?.from ?? 0);
    const end = Math.min(p.end, f.offset?.to !== undefined ? f.offset.to + 1 : Infinity);
    if (from < end) out.push({ partition: p.partition, from, end });
  }
  return out.sort((a, b) => a.partition - b.partition);
}
