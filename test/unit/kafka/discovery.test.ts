import { describe, expect, it } from 'vitest';
import type { ConnectorView } from '../../../src/connect/types.js';
import {
  connectorsByDlqTopic,
  dlqTargets,
  sinkGroupId,
  sinkPlans,
  sinkTopics,
} from '../../../src/kafka/discovery.js';

function connector(name: string, type: 'sink' | 'source', config: Record<string, string>): ConnectorView {
  return { name, type, state: 'RUNNING', workerId: 'w:1', tasks: [], className: 'x.Y', config };
}

describe('dlqTargets', () => {
  it('finds the DLQ of each sink from its config, never of a source', () => {
    const cs = [
      connector('b-sink', 'sink', {
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': ' dlq-b ',
        'errors.deadletterqueue.context.headers.enable': 'true',
      }),
      connector('a-sink', 'sink', {
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': 'dlq-a',
      }),
      connector('no-dlq', 'sink', { 'errors.tolerance': 'all' }),
      connector('src', 'source', { 'errors.deadletterqueue.topic.name': 'ignored' }),
    ];
    expect(dlqTargets(cs)).toEqual([
      { connector: 'a-sink', topic: 'dlq-a', contextHeaders: false },
      { connector: 'b-sink', topic: 'dlq-b', contextHeaders: true },
    ]);
  });

  it('groups connectors sharing one DLQ topic', () => {
    const cs = ['x', 'y', 'z'].map((n) =>
      connector(n, 'sink', { 'errors.deadletterqueue.topic.name': n === 'z' ? 'other' : 'shared' }),
    );
    const m = connectorsByDlqTopic(dlqTargets(cs));
    expect([...m].map(([t, cs2]) => [t, cs2.map((c) => c.connector)])).toEqual([
      ['shared', ['x', 'y']],
      ['other', ['z']],
    ]);
  });
});

describe('sink consumer groups and topics', () => {
  it("uses Connect's connect-<name> group unless consumer.override.group.id is set", () => {
    expect(sinkGroupId({ name: 'orders', config: {} })).toBe('connect-orders');
    expect(sinkGroupId({ name: 'orders', config: { 'consumer.override.group.id': 'team-orders' } })).toBe(
      'team-orders',
    );
    expect(sinkGroupId({ name: 'orders', config: { 'consumer.override.group.id': '  ' } })).toBe(
      'connect-orders',
    );
  });

  const existing = ['orders', 'orders-eu', 'payments', '__consumer_offsets', 'orders.v2'];

  it('keeps the listed topics that exist', () => {
    expect(sinkTopics({ config: { topics: 'payments, orders,missing' } }, existing)).toEqual({
      topics: ['orders', 'payments'],
    });
  });

  it('matches topics.regex against the whole topic name, as Java does, leaving out internal topics', () => {
    expect(sinkTopics({ config: { 'topics.regex': 'orders.*' } }, existing)).toEqual({
      topics: ['orders', 'orders-eu', 'orders.v2'],
    });
    expect(sinkTopics({ config: { 'topics.regex': 'ord' } }, existing)).toEqual({ topics: [] });
    expect(sinkTopics({ config: { 'topics.regex': '.*' } }, existing).topics).not.toContain(
      '__consumer_offsets',
    );
  });

  it('names the problem when the subscription cannot be resolved', () => {
    expect(sinkTopics({ config: { 'topics.regex': '(unclosed' } }, existing).problem).toMatch(
      /topics\.regex "\(unclosed" is not a regular expression/,
    );
    expect(sinkTopics({ config: {} }, existing)).toEqual({
      topics: [],
      problem: 'neither topics nor topics.regex is set',
    });
  });

  it('plans sinks only, with their reset policy', () => {
    const plans = sinkPlans(
      [
        connector('s1', 'sink', { topics: 'orders', 'consumer.override.auto.offset.reset': 'latest' }),
        connector('s2', 'sink', { 'topics.regex': 'pay.*', 'consumer.override.group.id': 'g2' }),
        connector('src', 'source', { topic: 'orders' }),
      ],
      existing,
    );
    expect(plans).toEqual([
      { connector: 's1', groupId: 'connect-s1', topics: ['orders'], resetToLatest: true },
      { connector: 's2', groupId: 'g2', topics: ['payments'], resetToLatest: false },
    ]);
  });
});
