/** The one place a kafkajs client is made, so that every client decodes every compression codec. */
import { Kafka, type KafkaConfig } from 'kafkajs';
import { registerCodecs } from './codecs.js';

export function newKafka(config: KafkaConfig): Kafka {
  registerCodecs();
  return new Kafka(config);
}
