/**
 * What to read from Kafka for the connectors of one poll: each sink's DLQ topic and each sink's consumer
 * group and input topics. Pure: connector configs and the broker's topic list in, plans out.
 */
import { errorHandling } from '../connect/error-handling.js';
import type { ConnectorView } from '../connect/types.js';

export interface DlqTarget {
  readonly connector: string;
  readonly topic: string;
  /** The connector writes `__connect.errors.*` headers. */
  readonly contextHeaders: boolean;
}

/** Every sink connector with a DLQ, sorted by connector name. */
export function dlqTargets(connectors: readonly ConnectorView[]): DlqTarget[] {
  const out: DlqTarget[] = [];
  for (const c of connectors) {
    const eh = errorHandling(c);
    if (eh.dlqTopic !== '')
      out.push({ connector: c.name, topic: eh.dlqTopic, contextHeaders: eh.dlqContextHeaders });
  }
  return out.sort((a, b) => (a.connector < b.connector ? -1 : a.connector > b.connector ? 1 : 0));
}

/** DLQ topic → the connectors writing to it (several connectors may share one topic). */
export function connectorsByDlqTopic(targets: readonly DlqTarget[]): Map<string, DlqTarget[]> {
  const m = new Map<string, DlqTarget[]>();
  for (const t of targets) {
    const arr = m.get(t.topic);
    if (arr) arr.push(t);
    else m.set(t.topic, [t]);
  }
  return m;
}

const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

export interface SinkPlan {
  readonly connector: string;
  /** `consumer.override.group.id` when set, else Connect's `connect-<name>`. */
  readonly groupId: string;
  /** Existing topics the sink subscribes to, sorted. */
  readonly topics: readonly string[];
  /** Where nothing is committed yet, the consumer starts at the end (auto.offset.reset=latest) rather than the start. */
  readonly resetToLatest: boolean;
  /** Why the subscription could not be resolved, when it could not. */
  readonly problem?: string;
}

/** Connect's consumer group of a sink connector (`SinkUtils.consumerGroupId` + KIP-458 overrides). */
export function sinkGroupId(c: Pick<ConnectorView, 'name' | 'config'>): string {
  const override = c.config['consumer.override.group.id']?.trim();
  return override ? override : `connect-${c.name}`;
}

/**
 * The topics a sink reads: its `topics` list, or its `topics.regex` matched (whole name, as Java's
 * `Pattern.matcher().matches()`) against the broker's topics. Listed topics that do not exist are left
 * out: there is nothing to lag behind yet.
 */
export function sinkTopics(
  c: Pick<ConnectorView, 'config'>,
  existing: Iterable<string>,
): { topics: string[]; problem?: string } {
  const list = c.config.topics?.trim();
  const regex = c.config['topics.regex']?.trim();
  const all = [...existing];
  if (list) {
    const wanted = new Set(
      list
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    );
    return { topics: all.filter((t) => wanted.has(t)).sort() };
  }
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${regex})$`);
    } catch (err) {
      return {
        topics: [],
        problem: `topics.regex "${regex}" is not a regular expression this reader understands: ${(err as Error).message}`,
      };
    }
    // A pattern subscription leaves out Kafka's internal topics (exclude.internal.topics=true).
    return { topics: all.filter((t) => !INTERNAL_TOPICS.has(t) && re.test(t)).sort() };
  }
  return { topics: [], problem: 'neither topics nor topics.regex is set' };
}

export function sinkPlans(connectors: readonly ConnectorView[], existing: Iterable<string>): SinkPlan[] {
  const names = [...existing];
  const out: SinkPlan[] = [];
  for (const c of connectors) {
    if (c.type !== 'sink') continue;
    const { topics, problem } = sinkTopics(c, names);
    const reset = (c.config['consumer.override.auto.offset.reset'] ?? '').trim().toLowerCase();
    out.push({
      connector: c.name,
      groupId: sinkGroupId(c),
      topics,
      resetToLatest: reset === 'latest',
      ...(problem ? { problem } : {}),
    });
  }
  return out;
}
