import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { defaultHooks } from '../../../src/hooks.js';
import { ClusterKafkaReader } from '../../../src/kafka/cluster-reader.js';
import { kafkaHooks } from '../../../src/kafka/hooks.js';
import { silentLogger } from '../../../src/log.js';

const config = (argv: string[]) =>
  loadConfig({ argv: ['--connect.url', 'http://127.0.0.1:1', ...argv], env: {} });

describe('kafka hooks', () => {
  it('makes a reader only for a cluster with Kafka brokers, and the default hooks wire it', async () => {
    const withKafka = config(['--kafka.brokers', '127.0.0.1:9']);
    const without = config([]);
    const hooks = kafkaHooks();
    const reader = hooks.kafkaReader(withKafka.clusters[0]!, withKafka, silentLogger());
    expect(reader).toBeInstanceOf(ClusterKafkaReader);
    expect(hooks.kafkaReader(without.clusters[0]!, without, silentLogger())).toBeUndefined();
    await reader?.close();

    const defaults = await defaultHooks(withKafka, silentLogger());
    const r2 = defaults.kafkaReader?.(withKafka.clusters[0]!, withKafka, silentLogger());
    expect(r2).toBeInstanceOf(ClusterKafkaReader);
    await r2?.close();
    expect(defaults.dlq?.(withKafka.clusters[0]!.name, undefined)).toBeDefined();
  });

  it('gives /api/v1/dlq its part per cluster with a reader, before any poll', async () => {
    const cfg = config(['--kafka.brokers', '127.0.0.1:9', '--connect.name', 'prod']);
    const hooks = kafkaHooks();
    const reader = hooks.kafkaReader(cfg.clusters[0]!, cfg, silentLogger());
    expect(hooks.dlq('prod', undefined)).toEqual({
      head: { name: 'prod', reader: { caughtUp: false, error: null, unattributed: 0 } },
      items: [],
    });
    expect(hooks.dlq('other', undefined)).toBeUndefined();
    await reader?.close();
  });

  it('fails the poll with a clear error when the brokers cannot be reached, within the deadline', async () => {
    const cfg = config(['--kafka.brokers', '127.0.0.1:9', '--poll.timeout', '1s']);
    const reader = kafkaHooks().kafkaReader(cfg.clusters[0]!, cfg, silentLogger())!;
    const started = Date.now();
    await expect(reader.read([], Date.now() + 1_000)).rejects.toThrow(
      /ECONNREFUSED|Connection error|within the poll deadline/,
    );
    expect(Date.now() - started).toBeLessThan(2_500);
    await reader.close();
  });
});
