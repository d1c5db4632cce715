/**
 * Integration (issue 4): DLQ growth and why records land there, read by a real Sentinel with the Kafka
 * reader from the real broker behind real Connect workers. Asserts on /metrics and /api/v1/dlq only.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { kafkaClientConfig } from '../../src/kafka/client-config.js';
import { KafkaConnection } from '../../src/kafka/connection.js';
import { samples, value, type Sample } from '../helpers/exposition.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';
import '../stack/context.js';
import { startPrivateStack, type PrivateStack } from '../stack/control.js';
import { TEST_PLUGINS } from '../stack/launcher.js';
import {
  allRunning,
  createTopic,
  dlqConverterSink,
  dlqNoHeadersSink,
  dlqThreePartitionSink,
  dlqTransformSink,
  errantReporterSink,
  kafkaClient,
  produce,
  toleranceAllNoDlqSink,
  waitForConnectorState,
  waitForScenarios,
  type Scenario,
} from '../stack/scenarios.js';

const stack = inject('stack');
const worker = stack.workers[0]!;
const DATA_EXCEPTION = 'org.apache.kafka.connect.errors.DataException';

interface DlqJson {
  clusters: {
    name: string;
    connectors: {
      connector: string;
      topic: string;
      contextHeaders: boolean;
      records: number | null;
      written: number | null;
      problem: string | null;
      recent: {
        topic: string;
        partition: number;
        offset: number;
        stage: string;
        exceptionClass: string;
        exceptionMessage: string | null;
        executingClass: string | null;
        taskId: number | null;
        original: { topic: string; partition?: number; offset?: number } | null;
        key?: unknown;
        value?: unknown;
      }[];
    }[];
    reader: { caughtUp: boolean; error: string | null; unattributed: number };
  }[];
}

async function dlqJson(s: TestSentinel, connector?: string): Promise<DlqJson> {
  const q = connector ? `?connector=${encodeURIComponent(connector)}` : '';
  const res = await fetch(`${s.url}/api/v1/dlq${q}`);
  expect(res.status).toBe(200);
  return (await res.json()) as DlqJson;
}

const errorsOf = (m: Sample[], connector: string): number =>
  samples(m, 'kafka_connect_dlq_errors_total', { connector }).reduce((n, s) => n + s.value, 0);

describe('DLQ metrics on the shared stack', () => {
  const prefix = `dlq-${Date.now().toString(36)}`;
  const ctx = { target: worker.url, bootstrap: stack.bootstrap, prefix };
  let sentinel: TestSentinel;
  let sc: Record<'converter' | 'smt' | 'noHeaders' | 'threeP' | 'errant' | 'tolerant', Scenario>;

  beforeAll(async () => {
    const [converter, smt, noHeaders, threeP, errant, tolerant] = await Promise.all([
      dlqConverterSink(ctx),
      dlqTransformSink(ctx),
      dlqNoHeadersSink(ctx),
      dlqThreePartitionSink(ctx),
      errantReporterSink(ctx),
      toleranceAllNoDlqSink(ctx),
    ]);
    sc = { converter, smt, noHeaders, threeP, errant, tolerant };
    await waitForScenarios(worker.url, sc);
    sentinel = await startSentinel([
      '--connect.url',
      worker.url,
      '--connect.name',
      'it',
      '--kafka.brokers',
      stack.bootstrap,
    ]);
    // Every scenario's DLQ holds what its poison records produce, and the reader has counted all of them.
    await sentinel.waitForMetrics(
      (m) =>
        value(m, 'kafka_connect_dlq_records_written_total', { connector: converter.name }) === 2 &&
        errorsOf(m, converter.name) === 2 &&
        errorsOf(m, smt.name) === 1 &&
        errorsOf(m, noHeaders.name) === 2 &&
        errorsOf(m, threeP.name) === 6 &&
        errorsOf(m, errant.name) === 3,
      90_000,
      'every DLQ read',
    );
  });
  afterAll(async () => {
    await sentinel?.stop();
  });

  test('converter failures count as VALUE_CONVERTER with DataException, and /api/v1/dlq says where they came from', async () => {
    const m = await sentinel.metrics();
    const name = sc.converter.name;
    expect(value(m, 'kafka_connect_kafka_up', { connect_cluster: 'it' })).toBe(1);
    expect(samples(m, 'kafka_connect_dlq_errors_total', { connector: name })).toEqual([
      {
        name: 'kafka_connect_dlq_errors_total',
        labels: {
          connect_cluster: 'it',
          connector: name,
          topic: sc.converter.dlqTopic!,
          stage: 'VALUE_CONVERTER',
          exception_class: DATA_EXCEPTION,
        },
        value: 2,
      },
    ]);
    expect(value(m, 'kafka_connect_dlq_records', { connector: name, topic: sc.converter.dlqTopic! })).toBe(2);
    const ts = value(m, 'kafka_connect_dlq_last_record_timestamp_seconds', { connector: name })!;
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(600);

    const json = await dlqJson(sentinel, name);
    const c = json.clusters[0]!.connectors;
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({
      connector: name,
      topic: sc.converter.dlqTopic,
      contextHeaders: true,
      records: 2,
      written: 2,
      problem: null,
    });
    const recent = c[0]!.recent;
    expect(recent.map((r) => r.original)).toEqual([
      { topic: sc.converter.topics[0]!, partition: 0, offset: 2 },
      { topic: sc.converter.topics[0]!, partition: 0, offset: 1 },
    ]);
    expect(recent[0]).toMatchObject({
      stage: 'VALUE_CONVERTER',
      exceptionClass: DATA_EXCEPTION,
      executingClass: 'org.apache.kafka.connect.json.JsonConverter',
      taskId: 0,
    });
    expect(recent[0]!.exceptionMessage).toMatch(
      /Converting byte\[\] to Kafka Connect data failed due to serialization error/,
    );
    // Keys and values stay hidden unless dlq.show-payload is on.
    expect(recent[0]).not.toHaveProperty('key');
    expect(recent[0]).not.toHaveProperty('value');
  });

  test('an SMT failure counts as TRANSFORMATION', async () => {
    const m = await sentinel.metrics();
    expect(
      samples(m, 'kafka_connect_dlq_errors_total', { connector: sc.smt.name }).map((s) => [
        s.labels.stage,
        s.labels.exception_class,
        s.value,
      ]),
    ).toEqual([['TRANSFORMATION', DATA_EXCEPTION, 1]]);
    const recent = (await dlqJson(sentinel, sc.smt.name)).clusters[0]!.connectors[0]!.recent;
    expect(recent[0]!.executingClass).toBe('org.apache.kafka.connect.transforms.ExtractField$Value');
    expect(recent[0]!.exceptionMessage).toMatch(/Only Map objects supported/);
  });

  test('ErrantRecordReporter records (KIP-610) count as TASK_PUT, from SinkTask', async () => {
    const m = await sentinel.metrics();
    expect(
      samples(m, 'kafka_connect_dlq_errors_total', { connector: sc.errant.name }).map((s) => [
        s.labels.stage,
        s.labels.exception_class,
        s.value,
      ]),
    ).toEqual([['TASK_PUT', TEST_PLUGINS.errantException, 3]]);
    const recent = (await dlqJson(sentinel, sc.errant.name)).clusters[0]!.connectors[0]!.recent;
    expect(recent).toHaveLength(3);
    expect(
      recent.every(
        (r) =>
          r.executingClass === 'org.apache.kafka.connect.sink.SinkTask' &&
          r.exceptionMessage === TEST_PLUGINS.errantMessage,
      ),
    ).toBe(true);
  });

  test('a DLQ without context headers counts as unknown, and error_handling_info says headers are off', async () => {
    const m = await sentinel.metrics();
    const name = sc.noHeaders.name;
    expect(
      samples(m, 'kafka_connect_dlq_errors_total', { connector: name }).map((s) => [
        s.labels.stage,
        s.labels.exception_class,
        s.value,
      ]),
    ).toEqual([['unknown', 'unknown', 2]]);
    expect(
      value(m, 'kafka_connect_connector_error_handling_info', {
        connector: name,
        dlq_context_headers: 'false',
        dlq_topic: sc.noHeaders.dlqTopic!,
      }),
    ).toBe(1);
  });

  test('a 3-partition DLQ is summed over its partitions', async () => {
    const m = await sentinel.metrics();
    const topic = sc.threeP.dlqTopic!;
    const admin = kafkaClient(stack.bootstrap).admin();
    await admin.connect();
    const parts = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
    expect(parts).toHaveLength(3);
    const sum = parts.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    expect(sum).toBe(6);
    expect(value(m, 'kafka_connect_dlq_records', { connector: sc.threeP.name, topic })).toBe(sum);
    expect(value(m, 'kafka_connect_dlq_records_written_total', { connector: sc.threeP.name, topic })).toBe(
      sum,
    );
    expect(errorsOf(m, sc.threeP.name)).toBe(6);
    const recent = (await dlqJson(sentinel, sc.threeP.name)).clusters[0]!.connectors[0]!.recent;
    expect(new Set(recent.map((r) => r.partition)).size).toBe(parts.filter((p) => Number(p.high) > 0).length);
  });

  test('DLQ growth equals the number of poison records produced, exactly', async () => {
    const name = sc.converter.name;
    const before = await sentinel.metrics();
    const written0 = value(before, 'kafka_connect_dlq_records_written_total', { connector: name })!;
    const errors0 = errorsOf(before, name);
    await produce(stack.bootstrap, sc.converter.topics[0]!, [
      '{"fine":true}',
      ...Array.from({ length: 5 }, (_, i) => ({ key: `poison-${i}`, value: `poison {${i}` })),
      '{"fine":true}',
    ]);
    await sentinel.waitForMetrics(
      (m) =>
        value(m, 'kafka_connect_dlq_records_written_total', { connector: name }) === written0 + 5 &&
        errorsOf(m, name) === errors0 + 5,
      60_000,
      'five more DLQ records',
    );
    // And not one more, a few polls later.
    await new Promise((r) => setTimeout(r, 2_000));
    const after = await sentinel.metrics();
    expect(value(after, 'kafka_connect_dlq_records_written_total', { connector: name })).toBe(written0 + 5);
    expect(errorsOf(after, name)).toBe(errors0 + 5);
  });

  test('tolerance=all without a DLQ is visible in error_handling_info and has no DLQ series', async () => {
    const m = await sentinel.metrics();
    const name = sc.tolerant.name;
    expect(
      value(m, 'kafka_connect_connector_error_handling_info', {
        connector: name,
        errors_tolerance: 'all',
        errors_log_enable: 'true',
        dlq_topic: '',
        dlq_context_headers: 'false',
      }),
    ).toBe(1);
    expect(samples(m, 'kafka_connect_dlq_records', { connector: name })).toHaveLength(0);
    expect((await dlqJson(sentinel, name)).clusters[0]!.connectors).toEqual([]);
  });
});

describe('the broker stopped and started again (private broker and worker)', () => {
  let priv: PrivateStack;
  let sentinel: TestSentinel;
  let sc: Scenario;

  beforeAll(async () => {
    priv = await startPrivateStack({ workers: 1 });
    const w = priv.workers[0]!;
    sc = await dlqConverterSink({
      target: w.url,
      bootstrap: priv.kafka.bootstrap,
      prefix: `dlqr-${Date.now().toString(36)}`,
    });
    await waitForConnectorState(w.url, sc.name, allRunning(1), 90_000);
    sentinel = await startSentinel([
      '--connect.url',
      w.url,
      '--connect.name',
      'priv',
      '--kafka.brokers',
      priv.kafka.bootstrap,
      '--poll.timeout',
      '2s',
    ]);
    await sentinel.waitForMetrics(
      (m) => errorsOf(m, sc.name) === 2,
      60_000,
      'DLQ read before the broker stops',
    );
  });
  afterAll(async () => {
    await sentinel?.stop();
    await priv?.stop();
  });

  test('kafka_up goes 0 then 1 while kafka_connect_up stays 1, and the DLQ figures come back', async () => {
    await priv.kafka.stop();
    const down = await sentinel.waitForMetrics(
      (m) => value(m, 'kafka_connect_kafka_up') === 0,
      30_000,
      'kafka_up 0',
    );
    expect(value(down, 'kafka_connect_up')).toBe(1);
    expect(value(down, 'kafka_connect_connector_state', { connector: sc.name, state: 'RUNNING' })).toBe(1);
    expect(value(down, 'connect_sentinel_poll_errors_total', { source: 'kafka' })).toBeGreaterThanOrEqual(1);

    await priv.kafka.start();
    const answering = Date.now();
    const up = await sentinel.waitForMetrics(
      (m) =>
        value(m, 'kafka_connect_kafka_up') === 1 &&
        value(m, 'kafka_connect_dlq_records_written_total', { connector: sc.name }) === 2,
      90_000,
      'kafka_up 1 again',
    );
    // Reconnected within a few polls of the broker answering again (poll interval 500 ms).
    expect(Date.now() - answering).toBeLessThan(20_000);
    expect(value(up, 'kafka_connect_up')).toBe(1);
    // The reader resumes where it was: the restart neither loses nor double-counts records.
    expect(errorsOf(up, sc.name)).toBe(2);
    await produce(priv.kafka.bootstrap, sc.topics[0]!, ['still {bad']);
    const more = await sentinel.waitForMetrics(
      (m) => errorsOf(m, sc.name) === 3,
      90_000,
      'a DLQ record after the restart',
    );
    expect(value(more, 'kafka_connect_dlq_records_written_total', { connector: sc.name })).toBe(3);
  });
});

describe('the Kafka client on the real broker', () => {
  test('one Metadata and one ListOffsets per leader, and a bad topic costs only itself', async () => {
    const p = `dlqc-${Date.now().toString(36)}`;
    await createTopic(stack.bootstrap, `${p}-a`, 3);
    await createTopic(stack.bootstrap, `${p}-b`, 1);
    await produce(stack.bootstrap, `${p}-a`, [
      { value: 'x', partition: 0 },
      { value: 'y', partition: 2 },
      { value: 'z', partition: 2 },
    ]);
    const conn = new KafkaConnection({
      config: kafkaClientConfig({ brokers: [stack.bootstrap], clientId: 'it' }, { timeoutMs: 10_000 }),
    });
    try {
      const deadline = Date.now() + 10_000;
      const meta = await conn.metadata(deadline);
      const a = meta.topics.get(`${p}-a`)!;
      const b = meta.topics.get(`${p}-b`)!;
      expect([...a.leaders.keys()].sort()).toEqual([0, 1, 2]);
      const before = conn.requestCount;
      // A topic the broker does not have, asked for in the same request as two that exist.
      const ghost = { topic: `${p}-ghost`, leaders: new Map([[0, [...a.leaders.values()][0]!]]) };
      const latest = await conn.listOffsets([a, b, ghost], 'latest', deadline);
      expect(conn.requestCount - before).toBe(1);
      expect(latest.offsets.get(`${p}-a`)).toEqual(
        new Map([
          [0, 1],
          [1, 0],
          [2, 2],
        ]),
      );
      expect(latest.offsets.get(`${p}-b`)).toEqual(new Map([[0, 0]]));
      expect(latest.failed.get(`${p}-ghost`)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      // A group that never committed: -1 everywhere, no error.
      const committed = await conn.committedOffsets([{ groupId: `${p}-nobody`, topics: [a] }], deadline);
      expect(committed.get(`${p}-nobody`)).toEqual(
        new Map([
          [
            `${p}-a`,
            new Map([
              [0, -1],
              [1, -1],
              [2, -1],
            ]),
          ],
        ]),
      );
    } finally {
      await conn.close();
    }
  });
});
