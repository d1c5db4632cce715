/**
 * Exactly once across runs. A replay's position per DLQ partition lives in a consumer group and moves
 * only after the broker acknowledged what was sent. Before sending, the run commits the same position
 * again with a marker in the commit's metadata: which DLQ offsets are in flight, to which topics, since
 * when. A run that stopped between the send and the commit (broker gone, process killed, ack lost) leaves
 * that marker; the next run reads the target topics from that time on, recognizes the records it already
 * wrote by their `connect-sentinel.replay.dlq.*` headers, and does not send them again.
 */
import type { KafkaIo } from './kafka-io.js';
import { replayedFrom } from './plan.js';

export interface InFlight {
  /** DLQ offsets [from, to) of one partition being sent. */
  readonly from: number;
  readonly to: number;
  /** Epoch ms before the send: every record of it has a timestamp at or after this. */
  readonly at: number;
  readonly topics: readonly string[];
}

const VERSION = 1;
/** Brokers and clocks disagree a little; records are looked for from this much before the marker. */
const CLOCK_SLACK_MS = 60_000;
/** Kafka's default offset.metadata.max.bytes is 4096. */
const METADATA_MAX = 4000;

export function encodeInFlight(f: InFlight): string {
  const text = JSON.stringify({ v: VERSION, from: f.from, to: f.to, at: f.at, topics: f.topics });
  if (text.length <= METADATA_MAX) return text;
  // Too many target topics to list: an empty list means "every topic a record of it names".
  return JSON.stringify({ v: VERSION, from: f.from, to: f.to, at: f.at, topics: [] });
}

export function decodeInFlight(metadata: string): InFlight | undefined {
  if (!metadata.startsWith('{')) return undefined;
  try {
    const m = JSON.parse(metadata) as Record<string, unknown>;
    const ok =
      m.v === VERSION &&
      Number.isSafeInteger(m.from) &&
      Number.isSafeInteger(m.to) &&
      Number.isSafeInteger(m.at) &&
      Array.isArray(m.topics) &&
      m.topics.every((t) => typeof t === 'string');
    return ok
      ? { from: m.from as number, to: m.to as number, at: m.at as number, topics: m.topics as string[] }
      : undefined;
  } catch {
    return undefined;
  }
}

/** `partition:offset` of the DLQ records a stopped run wrote to `fallbackTopics`/the marked topics. */
export async function alreadySent(
  io: KafkaIo,
  dlqTopic: string,
  inFlight: ReadonlyMap<number, InFlight>,
  fallbackTopics: readonly string[],
): Promise<Set<string>> {
  const done = new Set<string>();
  const byTopic = new Map<string, number>();
  for (const f of inFlight.values())
    for (const t of f.topics.length > 0 ? f.topics : fallbackTopics)
      byTopic.set(t, Math.min(byTopic.get(t) ?? Infinity, f.at - CLOCK_SLACK_MS));
  for (const [topic, since] of byTopic) {
    const layout = await io.layout(topic, true);
    if (!layout) continue;
    const [starts, bounds] = await Promise.all([io.offsetsAt(layout, since), io.bounds(layout)]);
    const ranges = bounds
      .map((b) => ({ partition: b.partition, from: starts.get(b.partition) ?? -1, end: b.end }))
      .filter((r) => r.from >= 0 && r.from < r.end);
    const reader = io.reader(layout, ranges);
    for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
      for (const rec of chunk.records) {
        const from = replayedFrom(rec.headers);
        if (!from || from.topic !== dlqTopic) continue;
        const f = inFlight.get(from.partition);
        if (f && from.offset >= f.from && from.offset < f.to) done.add(`${from.partition}:${from.offset}`);
      }
    }
  }
  return done;
}
