/**
 * Finds a Connect cluster's status topic when it is not configured: a compacted topic whose records have
 * `status-connector-`/`status-task-` keys naming the connectors the cluster's REST API lists. Several Connect
 * clusters may share one Kafka cluster, so holding status records is not enough: the names must match, and
 * two topics that match equally well are a question for the user, not a guess.
 */
import { parseStatusRecord } from '../connect/status-record.js';
import type { KafkaConnection } from './connection.js';

export type DiscoverySource = Pick<KafkaConnection, 'metadata' | 'listOffsets' | 'fetch' | 'topicConfigs'>;

export interface Discovery {
  /** The topic chosen, if any. */
  readonly topic?: string;
  /** Why this topic, or why none (one line, for the log). */
  readonly reason: string;
}

/** Newest records read per partition of a candidate: the latest writes name the connectors that exist. */
const SAMPLE_PER_PARTITION = 1_000;
const MAX_ROUNDS = 5;
const LIMITS = { partitionMaxBytes: 1 << 20, maxBytes: 8 << 20 };

export async function discoverStatusTopic(
  conn: DiscoverySource,
  restNames: readonly string[],
  deadline: number,
): Promise<Discovery> {
  if (restNames.length === 0)
    return { reason: 'the REST API lists no connector yet to recognise a status topic by' };
  const meta = await conn.metadata(deadline);
  // Connect's own defaults and every distribution's (connect-status, _connect-status, <cluster>-status)
  // name it so; another name has to be configured.
  const named = [...meta.topics.keys()].filter((t) => /status/i.test(t) && !t.startsWith('__')).sort();
  if (named.length === 0) return { reason: 'no topic name contains "status"' };

  const configs = await conn.topicConfigs(named, ['cleanup.policy'], deadline).catch(() => undefined);
  const policy = (t: string): string | undefined => {
    const c = configs?.get(t);
    return c instanceof Map ? (c.get('cleanup.policy') ?? 'delete') : undefined;
  };
  // A topic whose configs we may not read stays a candidate: its records decide.
  const candidates = named.filter((t) => policy(t)?.includes('compact') ?? true);
  if (candidates.length === 0) return { reason: `no compacted topic among ${named.join(', ')}` };

  const layouts = candidates.map((t) => meta.topics.get(t)).filter((l) => l !== undefined);
  const [earliest, latest] = await Promise.all([
    conn.listOffsets(layouts, 'earliest', deadline),
    conn.listOffsets(layouts, 'latest', deadline),
  ]);
  const positions: { topic: string; partition: number; offset: number; end: number }[] = [];
  for (const [topic, ends] of latest.offsets) {
    const starts = earliest.offsets.get(topic);
    if (!starts) continue;
    for (const [partition, end] of ends) {
      const offset = Math.max(starts.get(partition) ?? 0, end - SAMPLE_PER_PARTITION);
      if (offset < end) positions.push({ topic, partition, offset, end });
    }
  }

  const seen = new Map<string, Set<string>>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const pending = positions.filter((p) => p.offset < p.end);
    if (pending.length === 0) break;
    const res = await conn.fetch(pending, meta.topics, LIMITS, deadline);
    let progressed = false;
    for (const r of res.responses) {
      for (const part of r.partitions) {
        const pos = pending.find((p) => p.topic === r.topicName && p.partition === part.partition);
        if (pos === undefined || part.errorCode !== 0) continue;
        for (const m of part.messages) {
          const offset = Number(m.offset);
          if (offset < pos.offset || offset >= pos.end) continue;
          pos.offset = offset + 1;
          progressed = true;
          const rec = parseStatusRecord(m.key, m.value);
          if (rec.kind !== 'connector' && rec.kind !== 'task') continue;
          let names = seen.get(r.topicName);
          if (!names) seen.set(r.topicName, (names = new Set()));
          names.add(rec.connector);
        }
      }
    }
    if (!progressed) break;
  }

  const scored = [...seen].map(([topic, names]) => ({
    topic,
    matched: restNames.filter((n) => names.has(n)).length,
  }));
  if (scored.length === 0) return { reason: `no Connect status records in ${candidates.join(', ')}` };
  const best = Math.max(...scored.map((s) => s.matched));
  if (best === 0)
    return {
      reason: `no connector the REST API lists is named in ${scored.map((s) => s.topic).join(', ')} (another Connect cluster's?)`,
    };
  const top = scored.filter((s) => s.matched === best);
  if (top.length > 1)
    return {
      reason: `${top.map((s) => s.topic).join(' and ')} each name ${best} of the connectors the REST API lists`,
    };
  const chosen = top[0] as (typeof top)[number];
  const p = policy(chosen.topic);
  return {
    topic: chosen.topic,
    reason: `${p === undefined ? 'cleanup.policy not readable' : `cleanup.policy ${p}`}; its latest records name ${best} of the ${restNames.length} connectors the REST API lists`,
  };
}
