/**
 * What every dlq command starts from: the sidecar's configuration (file < environment < flags), the
 * cluster picked with --cluster, its connectors' DLQs found the way the sidecar finds them, and a Kafka
 * connection with every codec.
 */
import { loadConfig } from '../config/load.js';
import type { ClusterConfig } from '../config/schema.js';
import { connectClientFor } from '../connect/factory.js';
import { kafkaClientConfig } from '../kafka/client-config.js';
import { newKafka } from '../kafka/client.js';
import { KafkaConnection } from '../kafka/connection.js';
import { dlqTargets, type DlqTarget } from '../kafka/discovery.js';
import { UsageError } from './args.js';
import { KafkaIo } from './kafka-io.js';

export interface Session {
  readonly cluster: ClusterConfig;
  /** Every sink with a DLQ, by connector name. */
  readonly targets: readonly DlqTarget[];
  readonly io: KafkaIo;
}

export interface SessionSources {
  readonly sidecarArgv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cluster?: string;
}

/** Throws ConfigError (bad configuration) or UsageError (--cluster); a Connect failure is an Error. */
export async function openSession(src: SessionSources): Promise<Session> {
  const config = loadConfig({ argv: src.sidecarArgv, env: src.env });
  const cluster = pickCluster(config.clusters, src.cluster);
  if (!cluster.kafka)
    throw new UsageError(
      '--kafka.brokers',
      `cluster ${cluster.name} has no Kafka settings: set --kafka.brokers (or kafka: in its clusters entry)`,
    );
  const connect = connectClientFor(cluster, config, { purpose: 'dlq' });
  let targets: DlqTarget[];
  try {
    const { connectors } = await connect.listConnectors(Date.now() + config.poll.timeoutMs);
    targets = dlqTargets(connectors);
  } catch (err) {
    throw new Error(
      `cannot list the connectors of ${cluster.url}: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    connect.close();
  }
  const clientConfig = kafkaClientConfig(cluster.kafka, { timeoutMs: config.poll.timeoutMs });
  const kafka = newKafka(clientConfig);
  const io = new KafkaIo(new KafkaConnection({ config: clientConfig }), kafka, config.poll.timeoutMs);
  return { cluster, targets, io };
}

export function pickCluster(clusters: readonly ClusterConfig[], name: string | undefined): ClusterConfig {
  const names = clusters.map((c) => c.name).join(', ');
  if (name !== undefined) {
    const found = clusters.find((c) => c.name === name);
    if (!found) throw new UsageError('--cluster', `no cluster named "${name}" (configured: ${names})`);
    return found;
  }
  const [only, ...more] = clusters;
  if (!only || more.length > 0)
    throw new UsageError('--cluster', `${clusters.length} clusters are configured (${names}): name one`);
  return only;
}

/** The DLQ of `connector`, or a UsageError listing the connectors that have one. */
export function targetOf(targets: readonly DlqTarget[], connector: string, cluster: string): DlqTarget {
  const found = targets.find((t) => t.connector === connector);
  if (found) return found;
  const known = targets.map((t) => t.connector).join(', ') || 'none';
  throw new UsageError(
    '--connector',
    `no sink connector "${connector}" with a dead letter queue in cluster ${cluster} (with one: ${known})`,
  );
}
