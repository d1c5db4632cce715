/** Offsets → DLQ sizes and sink lag. Pure arithmetic, documented in docs/lag.md and docs/dlq.md. */
import type { DlqTopicView, SinkLagView } from '../state/snapshot.js';

export interface PartitionPosition {
  readonly start: number;
  readonly end: number;
  /** The group's committed offset; undefined or negative when nothing is committed. */
  readonly committed?: number;
}

export interface TopicLag {
  readonly lag: number;
  readonly committed: number;
}

/**
 * One topic of one sink. Per partition:
 * - committed offset c ≥ 0: lag = end − max(c, start). Below the start, the records between were deleted by
 *   retention and the consumer will resume at the start, so they are not work left to do.
 * - nothing committed: the consumer starts at the start offset (Connect sets auto.offset.reset=earliest),
 *   so lag = end − start; with `resetToLatest` (a `consumer.override.auto.offset.reset=latest`) it is 0.
 * Committed sums only committed offsets, so it stays flat while the sink makes no progress.
 */
export function topicLag(partitions: Iterable<PartitionPosition>, resetToLatest = false): TopicLag {
  let lag = 0;
  let committed = 0;
  for (const p of partitions) {
    const c = p.committed;
    if (c !== undefined && c >= 0) {
      committed += c;
      lag += Math.max(0, p.end - Math.max(c, p.start));
    } else if (!resetToLatest) {
      lag += Math.max(0, p.end - p.start);
    }
  }
  return { lag, committed };
}

export function lagView(connector: string, topic: string, l: TopicLag): SinkLagView {
  return { connector, topic, lag: l.lag, committed: l.committed };
}

/** A DLQ topic's size: retained records (end − start) and records ever written (end), summed over partitions. */
export function dlqView(
  connector: string,
  topic: string,
  partitions: Iterable<{ start: number; end: number }>,
): DlqTopicView {
  let records = 0;
  let written = 0;
  let n = 0;
  for (const p of partitions) {
    records += Math.max(0, p.end - p.start);
    written += p.end;
    n++;
  }
  return { connector, topic, records, written, partitions: n };
}
