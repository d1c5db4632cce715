/** One cluster's DLQ status (what its Kafka source read) → its part of /api/v1/dlq. Pure. */
import type { ClusterSnapshot } from '../state/snapshot.js';
import type { JsonSection } from './json-document.js';

/**
 * Each DLQ-enabled sink's DLQ topic, its size, why it could not be read if it could not, and its last errant
 * records. Items carry the connector's and its tasks' states, for `?state=`. Before the first poll: no items.
 */
export function dlqJson(cluster: string, snapshot: ClusterSnapshot | undefined): Required<JsonSection> {
  const status = snapshot?.kafka?.dlqStatus;
  const states = new Map(
    snapshot?.connect.connectors.map((c) => [c.name, [c.state, ...c.tasks.map((t) => t.state)]]),
  );
  return {
    head: {
      name: cluster,
      kafka: 'configured',
      reader: status?.reader ?? { caughtUp: false, error: null, unattributed: 0 },
    },
    items: (status?.connectors ?? []).map((c) => ({
      connector: c.connector,
      states: states.get(c.connector) ?? [],
      value: c,
    })),
  };
}

/** A cluster without `kafka.brokers`: said so, rather than left out, so an empty answer explains itself. */
export function dlqNotConfigured(cluster: string): Required<JsonSection> {
  return { head: { name: cluster, kafka: 'not configured', reader: null }, items: [] };
}
