import { describe, expect, it } from 'vitest';
import { pickCluster, targetOf } from '../../../src/cli/session.js';
import type { ClusterConfig } from '../../../src/config/schema.js';

const cluster = (name: string) => ({ name, url: `http://${name}:8083` }) as unknown as ClusterConfig;

describe('cluster and connector selection', () => {
  it('takes the only cluster, or the one named; several need --cluster', () => {
    expect(pickCluster([cluster('a')], undefined).name).toBe('a');
    expect(pickCluster([cluster('a'), cluster('b')], 'b').name).toBe('b');
    expect(() => pickCluster([cluster('a'), cluster('b')], undefined)).toThrow(
      '--cluster: 2 clusters are configured (a, b): name one',
    );
    expect(() => pickCluster([cluster('a')], 'c')).toThrow('--cluster: no cluster named "c" (configured: a)');
  });

  it("finds the connector's DLQ, or names the connectors that have one", () => {
    const targets = [
      { connector: 'orders-sink', topic: 'orders-dlq', contextHeaders: true },
      { connector: 'pay-sink', topic: 'pay-dlq', contextHeaders: false },
    ];
    expect(targetOf(targets, 'pay-sink', 'prod').topic).toBe('pay-dlq');
    expect(() => targetOf(targets, 'nope', 'prod')).toThrow(
      '--connector: no sink connector "nope" with a dead letter queue in cluster prod (with one: orders-sink, pay-sink)',
    );
    expect(() => targetOf([], 'nope', 'prod')).toThrow(/\(with one: none\)/);
  });
});
