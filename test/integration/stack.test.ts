/**
 * The real test stack (test/stack): one Kafka broker + two Connect workers started by the global
 * setup. Creates every scenario through the REST API and checks its state; reads DLQs, offsets and
 * group offsets with kafkajs (which proves kafkajs against this broker version).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type {} from '../stack/context.js';
import { stopAll, targetOf, startExtraWorker, type ConnectWorker } from '../stack/control.js';
import { TEST_PLUGINS } from '../stack/launcher.js';
import {
  allRunning,
  consume,
  createAllScenarios,
  deleteConnector,
  healthySink,
  kafkaClient,
  rest,
  waitForConnectorState,
  type AllScenarios,
  type ConnectorStatus,
} from '../stack/scenarios.js';

const stack = inject('stack');
const [w0, w1] = stack.workers;
const url0 = w0!.url;
const prefix = `it-${Date.now().toString(36)}`;
let sc: AllScenarios;

const ERR = '__connect.errors.';

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(
    `condition not met in ${timeoutMs} ms; last=${JSON.stringify(last)} err=${String(lastErr)}`,
  );
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

beforeAll(async () => {
  sc = await createAllScenarios({
    target: url0,
    bootstrap: stack.bootstrap,
    prefix,
    dir: path.join(stack.baseDir, 'scenario-files'),
  });
}, 120_000);

afterAll(async () => {
  if (sc)
    await Promise.all(Object.values(sc).map((s) => deleteConnector(url0, s.name).catch(() => undefined)));
});

describe('shared stack', () => {
  test('both workers answer, report the Kafka version and form one Connect cluster', async () => {
    expect(stack.workers).toHaveLength(2);
    for (const w of stack.workers) {
      const root = await rest(w.url, 'GET', '');
      expect(root.status).toBe(200);
      expect((root.body as { version: string }).version).toBe(stack.kafkaVersion);
    }
    // same cluster: a connector created through worker 0 is listed by worker 1
    const names = await eventually(
      async () => (await rest(w1!.url, 'GET', 'connectors')).body as string[],
      (list) => list.includes(sc.healthySink.name),
    );
    expect(names).toContain(sc.poisonPillSink.name);
  });
});

describe('scenario states through the REST API', () => {
  test('healthy FileStreamSink is RUNNING on one of the two workers and writes the records', async () => {
    const s = await waitForConnectorState(url0, sc.healthySink.name, allRunning(1));
    expect([w0!.workerId, w1!.workerId]).toContain(s.tasks[0]!.worker_id);
    const lines = await eventually(
      async () => readLines(sc.healthySink.file!),
      (l) => l.length >= 3,
    );
    expect(lines).toEqual(['hello', 'from', 'sentinel']);
  });

  test('healthy FileStreamSource is RUNNING and its records reach Kafka', async () => {
    await waitForConnectorState(url0, sc.healthySource.name, sc.healthySource.expect);
    const records = await consume(stack.bootstrap, sc.healthySource.topics[0]!, 3);
    expect(records.map((r) => r.value)).toEqual(['line one', 'line two', 'line three']);
  });

  test('poison record: task FAILED with the converter error in its trace, connector RUNNING', async () => {
    const s = await waitForConnectorState(url0, sc.poisonPillSink.name, sc.poisonPillSink.expect);
    expect(s.connector.state).toBe('RUNNING');
    const trace = s.tasks[0]!.trace ?? '';
    expect(trace).toContain(
      'org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler',
    );
    expect(trace).toContain('org.apache.kafka.connect.errors.DataException');
  });

  test('connector-failure: connector FAILED with a RuntimeException trace', async () => {
    const s = await waitForConnectorState(url0, sc.failingConnector.name, sc.failingConnector.expect);
    expect(s.connector.trace).toContain(
      `java.lang.RuntimeException: ${TEST_PLUGINS.connectorFailureMessage}`,
    );
  });

  test('task-failure: task FAILED with a RuntimeException trace', async () => {
    const s = await waitForConnectorState(url0, sc.failingTask.name, sc.failingTask.expect);
    expect(s.tasks[0]!.trace).toContain(`java.lang.RuntimeException: ${TEST_PLUGINS.taskFailureMessage}`);
  });

  test('PAUSED connector and tasks; STOPPED connector with 0 tasks', async () => {
    const p = await waitForConnectorState(url0, sc.pausedSink.name, sc.pausedSink.expect);
    expect(p.tasks.map((t) => t.state)).toEqual(['PAUSED']);
    const s = await waitForConnectorState(url0, sc.stoppedSink.name, sc.stoppedSink.expect);
    expect(s.connector.state).toBe('STOPPED');
    expect(s.tasks).toEqual([]);
  });

  test('errors.tolerance=all without DLQ: RUNNING, bad record skipped, all 3 offsets committed', async () => {
    await waitForConnectorState(url0, sc.toleranceAllNoDlqSink.name, allRunning(1));
    const lines = await eventually(
      async () => readLines(sc.toleranceAllNoDlqSink.file!),
      (l) => l.length >= 2,
    );
    expect(lines).toHaveLength(2);
    const admin = kafkaClient(stack.bootstrap).admin();
    await admin.connect();
    try {
      const topic = sc.toleranceAllNoDlqSink.topics[0]!;
      const offs = await eventually(
        () => admin.fetchOffsets({ groupId: `connect-${sc.toleranceAllNoDlqSink.name}`, topics: [topic] }),
        (r) => r[0]?.partitions[0]?.offset === '3',
      );
      expect(offs[0]!.partitions[0]!.offset).toBe('3');
    } finally {
      await admin.disconnect();
    }
  });

  test('status worker_ids are the advertised host:port of the two workers', async () => {
    const ids = new Set<string>();
    for (const s of Object.values(sc)) {
      const res = await rest(url0, 'GET', `connectors/${s.name}/status`);
      const st = res.body as ConnectorStatus;
      ids.add(st.connector.worker_id);
      for (const t of st.tasks) ids.add(t.worker_id);
    }
    for (const id of ids) expect([w0!.workerId, w1!.workerId]).toContain(id);
  });
});

describe('DLQ records and __connect.errors.* headers (kafkajs consumer)', () => {
  test('converter failure → stage VALUE_CONVERTER, DataException, original key/value/headers kept', async () => {
    const s = sc.dlqConverterSink;
    await waitForConnectorState(url0, s.name, allRunning(1));
    const recs = await consume(stack.bootstrap, s.dlqTopic!, 2);
    expect(recs.map((r) => r.value)).toEqual(['not-json', '{broken']);
    expect(recs.map((r) => r.key)).toEqual(['k2', 'k3']);
    const h = recs[0]!.headers;
    expect(h.origin).toBe('test');
    expect(h[`${ERR}stage`]).toBe('VALUE_CONVERTER');
    expect(h[`${ERR}class.name`]).toBe('org.apache.kafka.connect.json.JsonConverter');
    expect(h[`${ERR}exception.class.name`]).toBe('org.apache.kafka.connect.errors.DataException');
    expect(h[`${ERR}exception.message`]).toContain(
      'Converting byte[] to Kafka Connect data failed due to serialization error',
    );
    expect(h[`${ERR}exception.stacktrace`]).toContain('org.apache.kafka.connect.errors.DataException');
    expect(h[`${ERR}topic`]).toBe(s.topics[0]);
    expect(h[`${ERR}partition`]).toBe('0');
    expect(recs.map((r) => r.headers[`${ERR}offset`])).toEqual(['1', '2']);
    expect(h[`${ERR}connector.name`]).toBe(s.name);
    expect(h[`${ERR}task.id`]).toBe('0');
    // the good record reached the file
    const lines = await eventually(
      async () => readLines(s.file!),
      (l) => l.length >= 1,
    );
    expect(lines).toEqual(['{ok=1}']);
  });

  test('SMT failure → stage TRANSFORMATION with the SMT class', async () => {
    const s = sc.dlqTransformSink;
    const [rec] = await consume(stack.bootstrap, s.dlqTopic!, 1);
    expect(rec!.value).toBe('"just a string"');
    expect(rec!.headers[`${ERR}stage`]).toBe('TRANSFORMATION');
    expect(rec!.headers[`${ERR}class.name`]).toBe('org.apache.kafka.connect.transforms.ExtractField$Value');
    expect(rec!.headers[`${ERR}exception.class.name`]).toBe('org.apache.kafka.connect.errors.DataException');
    expect(rec!.headers[`${ERR}exception.message`]).toContain('Only Map objects supported');
  });

  test('context headers disabled → DLQ records without __connect.errors.* headers', async () => {
    const recs = await consume(stack.bootstrap, sc.dlqNoHeadersSink.dlqTopic!, 2);
    expect(recs.map((r) => r.value)).toEqual(['bad one', 'bad two']);
    for (const r of recs) expect(Object.keys(r.headers).filter((k) => k.startsWith(ERR))).toEqual([]);
  });

  test('pre-created 3-partition DLQ: fetchTopicOffsets sees 3 partitions holding all 6 records', async () => {
    const s = sc.dlqThreePartitionSink;
    const recs = await consume(stack.bootstrap, s.dlqTopic!, 6);
    expect(recs.map((r) => r.value).sort()).toEqual(['bad-0', 'bad-1', 'bad-2', 'bad-3', 'bad-4', 'bad-5']);
    const admin = kafkaClient(stack.bootstrap).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(s.dlqTopic!);
      expect(offsets.map((o) => o.partition).sort()).toEqual([0, 1, 2]);
      expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(6);
    } finally {
      await admin.disconnect();
    }
  });

  test('KIP-610 ErrantRecordReporter → stage TASK_PUT, class SinkTask, DataException from the test sink', async () => {
    const s = sc.errantReporterSink;
    await waitForConnectorState(url0, s.name, allRunning(1));
    const recs = await consume(stack.bootstrap, s.dlqTopic!, 3);
    expect(recs.map((r) => r.value)).toEqual(['r1', 'r2', 'r3']);
    const h = recs[0]!.headers;
    expect(h[`${ERR}stage`]).toBe('TASK_PUT');
    expect(h[`${ERR}class.name`]).toBe('org.apache.kafka.connect.sink.SinkTask');
    expect(h[`${ERR}exception.class.name`]).toBe(TEST_PLUGINS.errantException);
    expect(h[`${ERR}exception.message`]).toBe(TEST_PLUGINS.errantMessage);
  });
});

describe('kafkajs admin against this broker', () => {
  test('listTopics, fetchTopicOffsets, fetchOffsets (Connect sink group), listGroups', async () => {
    const admin = kafkaClient(stack.bootstrap).admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      expect(topics).toEqual(
        expect.arrayContaining([
          sc.healthySink.topics[0],
          sc.dlqConverterSink.dlqTopic,
          `_${stack.groupId}-configs`,
        ]),
      );
      const topicOffsets = await admin.fetchTopicOffsets(sc.healthySink.topics[0]!);
      expect(topicOffsets).toEqual([
        expect.objectContaining({ partition: 0, offset: '3', high: '3', low: '0' }),
      ]);
      const group = `connect-${sc.healthySink.name}`;
      const committed = await eventually(
        () => admin.fetchOffsets({ groupId: group, topics: [sc.healthySink.topics[0]!] }),
        (r) => r[0]?.partitions[0]?.offset === '3',
      );
      expect(committed).toEqual([
        {
          topic: sc.healthySink.topics[0],
          partitions: [expect.objectContaining({ partition: 0, offset: '3' })],
        },
      ]);
      // DLQ'd records count as consumed: the converter sink commits past them
      await eventually(
        () =>
          admin.fetchOffsets({
            groupId: `connect-${sc.dlqConverterSink.name}`,
            topics: [sc.dlqConverterSink.topics[0]!],
          }),
        (r) => r[0]?.partitions[0]?.offset === '3',
      );
      const { groups } = await admin.listGroups();
      expect(groups.map((g) => g.groupId)).toContain(group);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('private worker: basic auth + HTTPS, kill and restart', () => {
  let w: ConnectWorker;
  const auth = { username: 'sentinel', password: 's3cret' };

  beforeAll(async () => {
    w = await startExtraWorker(stack, { basicAuth: auth, https: true });
  }, 180_000);
  afterAll(async () => {
    await stopAll();
  }, 60_000);

  test('HTTPS with the generated CA; 401 without or with wrong credentials', async () => {
    expect(w.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(w.tls?.caPem).toContain('BEGIN CERTIFICATE');
    expect(fs.existsSync(w.tls!.caFile)).toBe(true);
    const ok = await rest(targetOf(w), 'GET', '');
    expect(ok.status).toBe(200);
    const noAuth = await rest({ url: w.url, caPem: w.tls!.caPem }, 'GET', 'connectors');
    expect(noAuth.status).toBe(401);
    expect(noAuth.text).toContain('User cannot access the resource.');
    const wrong = await rest(
      { url: w.url, caPem: w.tls!.caPem, basicAuth: { ...auth, password: 'nope' } },
      'GET',
      'connectors',
    );
    expect(wrong.status).toBe(401);
    // without the CA the self-signed chain is rejected
    await expect(rest({ url: w.url, basicAuth: auth }, 'GET', '')).rejects.toThrow(/certificate/i);
  });

  test('connector on the private cluster survives a SIGKILL + restart of its only worker', async () => {
    const t = targetOf(w);
    const s = await healthySink({ target: t, bootstrap: stack.bootstrap, prefix: `${prefix}-priv` });
    const st = await waitForConnectorState(t, s.name, allRunning(1));
    expect(st.tasks[0]!.worker_id).toBe(w.workerId);
    // not visible to the shared cluster (different group)
    expect(((await rest(url0, 'GET', 'connectors')).body as string[]).includes(s.name)).toBe(false);
    await w.kill();
    expect(w.running()).toBe(false);
    await w.start();
    await waitForConnectorState(t, s.name, allRunning(1), 90_000);
  });
});
