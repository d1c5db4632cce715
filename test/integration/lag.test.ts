/**
 * Integration (issue 5): sink lag and committed offsets labelled by connector, read by a real Sentinel
 * with the Kafka reader from the real broker behind real Connect workers. Asserts on /metrics and
 * /api/v1/status only (plus the broker itself, to check the group the figures come from).
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { value, type Sample } from '../helpers/exposition.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';
import '../stack/context.js';
import {
  allRunning,
  createTopic,
  healthySink,
  kafkaClient,
  pausedSink,
  produce,
  putConnector,
  resumeConnector,
  someTaskState,
  waitForConnectorState,
  waitForScenarios,
  type Scenario,
} from '../stack/scenarios.js';

const stack = inject('stack');
const worker = stack.workers[0]!;
const prefix = `lag-${Date.now().toString(36)}`;
const ctx = { target: worker.url, bootstrap: stack.bootstrap, prefix };

const FILE_SINK = 'org.apache.kafka.connect.file.FileStreamSinkConnector';
const lagOf = (m: Sample[], s: Scenario): number | undefined =>
  value(m, 'kafka_connect_sink_lag_records', { connector: s.name, topic: s.topics[0]! });
const committedOf = (m: Sample[], s: Scenario): number | undefined =>
  value(m, 'kafka_connect_sink_committed_offsets_total', { connector: s.name, topic: s.topics[0]! });
const many = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `${tag}-${i}`);
const json = (n: number, tag: string): string[] =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ tag, i }));

interface StatusLag {
  clusters: { connectors: { name: string; lag: { topic: string; lag: number; committed: number }[] }[] }[];
}

describe('sink lag by connector', () => {
  let sentinel: TestSentinel;
  let healthy: Scenario;
  let paused: Scenario;
  let stalled: Scenario;
  let custom: Scenario;
  const customGroup = `${prefix}-custom-group`;

  beforeAll(async () => {
    const customTopic = `${prefix}-custom-in`;
    [healthy, paused] = await Promise.all([healthySink(ctx), pausedSink(ctx)]);
    const stalledTopic = `${prefix}-stall-in`;
    await createTopic(stack.bootstrap, stalledTopic);
    await putConnector(worker.url, `${prefix}-stall`, {
      'connector.class': FILE_SINK,
      'tasks.max': '1',
      topics: stalledTopic,
      file: `/tmp/${prefix}-stall.txt`,
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      'errors.tolerance': 'none',
    });
    stalled = { name: `${prefix}-stall`, topics: [stalledTopic], produced: 0, expect: allRunning(1) };
    await produce(stack.bootstrap, customTopic, many(4, 'c'));
    await putConnector(worker.url, `${prefix}-custom`, {
      'connector.class': FILE_SINK,
      'tasks.max': '1',
      topics: customTopic,
      file: `/tmp/${prefix}-custom.txt`,
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'consumer.override.group.id': customGroup,
    });
    custom = { name: `${prefix}-custom`, topics: [customTopic], produced: 4, expect: allRunning(1) };
    await waitForScenarios(worker.url, { healthy, paused, custom, stalled });
    sentinel = await startSentinel([
      '--connect.url',
      worker.url,
      '--connect.name',
      'it',
      '--kafka.brokers',
      stack.bootstrap,
    ]);
  });
  afterAll(async () => {
    await sentinel?.stop();
  });

  test("a healthy sink's lag returns to 0 once it has written what was produced", async () => {
    await produce(stack.bootstrap, healthy.topics[0]!, many(20, 'h'));
    const m = await sentinel.waitForMetrics(
      (x) => committedOf(x, healthy) === 23 && lagOf(x, healthy) === 0,
      60_000,
      'healthy sink caught up',
    );
    expect(value(m, 'kafka_connect_kafka_up')).toBe(1);
    const status = (await (await fetch(`${sentinel.url}/api/v1/status`)).json()) as StatusLag;
    const c = status.clusters[0]!.connectors.find((x) => x.name === healthy.name)!;
    expect(c.lag).toEqual([{ topic: healthy.topics[0], lag: 0, committed: 23 }]);
  });

  test("a PAUSED sink's lag equals the records produced while paused, and drains after resume", async () => {
    await sentinel.waitForMetrics((x) => lagOf(x, paused) === 0, 30_000, 'paused sink at 0');
    await produce(stack.bootstrap, paused.topics[0]!, many(7, 'p'));
    await sentinel.waitForMetrics((x) => lagOf(x, paused) === 7, 30_000, 'lag 7 while paused');
    // Still 7 a few polls later: nothing moves while paused.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(lagOf(await sentinel.metrics(), paused)).toBe(7);
    await resumeConnector(worker.url, paused.name);
    const m = await sentinel.waitForMetrics(
      (x) => lagOf(x, paused) === 0,
      60_000,
      'lag drained after resume',
    );
    expect(committedOf(m, paused)).toBe(7);
  });

  test('a sink whose task FAILED keeps a flat committed offset while its lag grows', async () => {
    await produce(stack.bootstrap, stalled.topics[0]!, json(5, 'a'));
    await sentinel.waitForMetrics(
      (x) => committedOf(x, stalled) === 5 && lagOf(x, stalled) === 0,
      60_000,
      'stalling sink committed 5',
    );
    // One record the JsonConverter cannot read, with errors.tolerance=none: the task dies on it.
    await produce(stack.bootstrap, stalled.topics[0]!, ['this is {not json']);
    await waitForConnectorState(worker.url, stalled.name, someTaskState('FAILED'), 60_000);
    await sentinel.waitForMetrics((x) => lagOf(x, stalled) === 1, 30_000, 'lag 1 after the failure');
    await produce(stack.bootstrap, stalled.topics[0]!, json(10, 'b'));
    await sentinel.waitForMetrics((x) => lagOf(x, stalled) === 11, 30_000, 'lag 11');
    await produce(stack.bootstrap, stalled.topics[0]!, json(6, 'c'));
    const m = await sentinel.waitForMetrics((x) => lagOf(x, stalled) === 17, 30_000, 'lag 17');
    // The stall signal: lag grows from poll to poll, committed does not move.
    expect(committedOf(m, stalled)).toBe(5);
  });

  test('a connector with consumer.override.group.id is tracked under its real group', async () => {
    const m = await sentinel.waitForMetrics(
      (x) => committedOf(x, custom) === 4 && lagOf(x, custom) === 0,
      60_000,
      'custom group committed 4',
    );
    expect(lagOf(m, custom)).toBe(0);
    const admin = kafkaClient(stack.bootstrap).admin();
    await admin.connect();
    try {
      const real = await admin.fetchOffsets({ groupId: customGroup, topics: [custom.topics[0]!] });
      expect(real[0]!.partitions.map((p) => p.offset)).toEqual(['4']);
      const def = await admin.fetchOffsets({
        groupId: `connect-${custom.name}`,
        topics: [custom.topics[0]!],
      });
      expect(def[0]!.partitions.map((p) => p.offset)).toEqual(['-1']);
    } finally {
      await admin.disconnect();
    }
    // Produce more: the lag shows under the connector, read from the overridden group.
    await produce(stack.bootstrap, custom.topics[0]!, many(3, 'c2'));
    await sentinel.waitForMetrics(
      (x) => committedOf(x, custom) === 7 && lagOf(x, custom) === 0,
      60_000,
      'custom group committed 7',
    );
  });
});
