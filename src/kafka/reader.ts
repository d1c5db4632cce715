import type { ConnectorView } from '../connect/types.js';
import type { KafkaView, SourceHealth } from '../state/snapshot.js';

export type KafkaData = Omit<KafkaView, keyof SourceHealth>;

/**
 * What a poller asks of Kafka once per poll: DLQ offsets, DLQ error counts, sink lag, for the connectors
 * the poll just saw. Throws when Kafka cannot be read; the poller turns that into kafka_up 0.
 */
export interface KafkaReader {
  read(connectors: readonly ConnectorView[], deadline: number): Promise<KafkaData>;
  close(): Promise<void>;
}
