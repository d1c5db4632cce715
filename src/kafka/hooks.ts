/** The Kafka stage as Sentinel hooks: a reader per cluster with Kafka settings, and its part of `/api/v1/dlq`. */
import type { ClusterConfig, Config } from '../config/schema.js';
import type { JsonSection } from '../http/json-document.js';
import type { Logger } from '../log.js';
import type { ClusterSnapshot } from '../state/snapshot.js';
import { createKafkaReader, type ClusterKafkaReader } from './cluster-reader.js';

export interface KafkaHooks {
  readonly kafkaReader: (
    cluster: ClusterConfig,
    config: Config,
    logger: Logger,
  ) => ClusterKafkaReader | undefined;
  /** Undefined for a cluster without a reader; `snapshot` (the latest, if any) gives the connectors' states. */
  readonly dlq: (cluster: string, snapshot: ClusterSnapshot | undefined) => Required<JsonSection> | undefined;
}

/**
 * `/api/v1/dlq`, per cluster: each DLQ-enabled sink's DLQ topic, its size, why it could not be read if it
 * could not, and its last errant records (stage, exception, original coordinates; keys and values only with
 * dlq.showPayload). Items carry the connector's and its tasks' states from the snapshot, for `?state=`.
 */
export function kafkaHooks(): KafkaHooks {
  const readers = new Map<string, ClusterKafkaReader>();
  return {
    kafkaReader: (cluster, config, logger) => {
      const r = createKafkaReader(cluster, config, logger);
      if (r) readers.set(cluster.name, r);
      return r;
    },
    dlq: (cluster, snapshot) => {
      const r = readers.get(cluster);
      if (!r) return undefined;
      const { connectors, reader } = r.dlqStatus();
      const states = new Map(
        snapshot?.connect.connectors.map((c) => [c.name, [c.state, ...c.tasks.map((t) => t.state)]]),
      );
      return {
        head: { name: cluster, reader },
        items: connectors.map((c) => ({
          connector: c.connector,
          states: states.get(c.connector) ?? [],
          value: c,
        })),
      };
    },
  };
}
