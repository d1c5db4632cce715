import { expect, test } from 'vitest';
import { jmxMetricNames, knownMetrics, parseMetricTable } from './known-metrics.js';

test('parses metric rows, with or without backticks, and adds counter and histogram samples', () => {
  const names = parseMetricTable(
    [
      '| metric | type | labels | meaning |',
      '|---|---|---|---|',
      '| kafka_connect_up | gauge | | 1 if up |',
      '| `x_failures` | counter | connector | |',
      '| `x_seconds` | histogram | | |',
      '| connect_cluster | label | | not a metric row |',
    ].join('\n'),
  );
  expect([...names].sort()).toEqual(
    [
      'kafka_connect_up',
      'x_failures',
      'x_failures_total',
      'x_seconds',
      'x_seconds_bucket',
      'x_seconds_count',
      'x_seconds_sum',
    ].sort(),
  );
});

test('known metrics include Prometheus up', () => {
  expect(knownMetrics()).toContain('up');
});

test('JMX series come from the JMX exporter configuration and are none of the sidecar metrics', () => {
  const jmx = jmxMetricNames();
  expect(jmx).toContain('kafka_connect_jmx_task_records_skipped_total');
  expect([...jmx].filter((m) => knownMetrics().has(m))).toEqual([]);
});
