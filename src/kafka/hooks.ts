/** The Kafka stage as Sentinel hooks: a reader per cluster with Kafka settings, and `/api/v1/dlq`. */
import type { ClusterConfig, Config } from '../config/schema.js';
import type { JsonRoute } from '../http/server.js';
import type { Logger } from '../log.js';
import { createKafkaReader, type ClusterKafkaReader } from './cluster-reader.js';

export const DLQ_PATH = '/api/v1/dlq';

export interface KafkaHooks {
  readonly kafkaReader: (
    cluster: ClusterConfig,
    config: Config,
    logger: Logger,
  ) => ClusterKafkaReader | undefined;
  readonly json: ReadonlyMap<string, JsonRoute>;
}

/**
 * `GET /api/v1/dlq[?connector=NAME]`: per cluster, each DLQ-enabled sink's DLQ topic, its size, why it
 * could not be read if it could not, and its last errant records (stage, exception, original
 * coordinates; keys and values only with dlq.showPayload).
 */
export function kafkaHooks(): KafkaHooks {
  const readers = new Map<string, ClusterKafkaReader>();
  const route: JsonRoute = (url) => {
    const only = url.searchParams.get('connector');
    return {
      clusters: [...readers].map(([name, r]) => {
        const s = r.dlqStatus();
        return {
          name,
          ...s,
          connectors: only === null ? s.connectors : s.connectors.filter((c) => c.connector === only),
        };
      }),
    };
  };
  return {
    kafkaReader: (cluster, config, logger) => {
      const r = createKafkaReader(cluster, config, logger);
      if (r) readers.set(cluster.name, r);
      return r;
    },
    json: new Map([[DLQ_PATH, route]]),
  };
}
