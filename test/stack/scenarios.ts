/**
 * Scenario helpers: create connectors in known states through a real worker's REST API, produce the
 * records that drive them, and wait for states. Every helper takes a unique `prefix` so connectors,
 * topics and files of different tests never collide. Creation never waits for a state; use
 * waitForConnectorState() (and the predicates below) for that.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type IHeaders, type Message } from 'kafkajs';
import { TEST_PLUGINS } from './launcher.js';
import { rest, type Target } from './rest.js';

export { rest, restOk, toTarget, type Target, type ConnectTarget } from './rest.js';

// ---------------------------------------------------------------------------------------------
// REST status types (lenient: only what the helpers need)

export interface TaskState {
  id: number;
  state: string;
  worker_id: string;
  trace?: string;
  version?: string;
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string; version?: string };
  tasks: TaskState[];
  type?: string;
}

export type StatusPredicate = (s: ConnectorStatus) => boolean;

/** Connector RUNNING and at least `minTasks` tasks, all RUNNING. */
export const allRunning =
  (minTasks = 1): StatusPredicate =>
  (s) =>
    s.connector.state === 'RUNNING' &&
    s.tasks.length >= minTasks &&
    s.tasks.every((t) => t.state === 'RUNNING');
export const connectorState =
  (state: string): StatusPredicate =>
  (s) =>
    s.connector.state === state;
export const someTaskState =
  (state: string): StatusPredicate =>
  (s) =>
    s.tasks.some((t) => t.state === state);
/** Connector and all (>= 1) tasks PAUSED. */
export const allPaused: StatusPredicate = (s) =>
  s.connector.state === 'PAUSED' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'PAUSED');
/** Connector STOPPED with 0 tasks (KIP-875). */
export const stoppedNoTasks: StatusPredicate = (s) => s.connector.state === 'STOPPED' && s.tasks.length === 0;

// ---------------------------------------------------------------------------------------------
// REST helpers

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Retries 409 (rebalance / no leader / stale config) and 5xx answers for a while. */
async function restRetry(
  target: Target,
  method: string,
  p: string,
  body: unknown,
  ok: number[],
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await rest(target, method, p, body).catch((err: Error) => ({
      status: 0,
      body: undefined,
      text: err.message,
    }));
    if (ok.includes(res.status)) return res;
    const retriable =
      res.status === 0 || res.status >= 500 || (res.status === 409 && !/already exists/i.test(res.text));
    if (!retriable || Date.now() > deadline) {
      throw new Error(`${method} ${p} -> ${res.status}: ${res.text.slice(0, 2000)}`);
    }
    await sleep(300);
  }
}

/** Creates or updates a connector (PUT /connectors/{name}/config, idempotent). */
export async function putConnector(
  target: Target,
  name: string,
  config: Record<string, string>,
): Promise<void> {
  await restRetry(
    target,
    'PUT',
    `connectors/${encodeURIComponent(name)}/config`,
    { ...config, name },
    [200, 201],
  );
}

export async function deleteConnector(target: Target, name: string): Promise<void> {
  await restRetry(target, 'DELETE', `connectors/${encodeURIComponent(name)}`, undefined, [204, 404]);
}

export async function pauseConnector(target: Target, name: string): Promise<void> {
  await restRetry(target, 'PUT', `connectors/${encodeURIComponent(name)}/pause`, undefined, [202]);
}

export async function resumeConnector(target: Target, name: string): Promise<void> {
  await restRetry(target, 'PUT', `connectors/${encodeURIComponent(name)}/resume`, undefined, [202]);
}

/** PUT /connectors/{name}/stop (KIP-875, Kafka 3.5+). */
export async function stopConnector(target: Target, name: string): Promise<void> {
  await restRetry(target, 'PUT', `connectors/${encodeURIComponent(name)}/stop`, undefined, [202, 204]);
}

/** Status or undefined when the worker has none (yet). */
export async function getStatus(target: Target, name: string): Promise<ConnectorStatus | undefined> {
  const res = await rest(target, 'GET', `connectors/${encodeURIComponent(name)}/status`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET status ${name} -> ${res.status}: ${res.text.slice(0, 500)}`);
  return res.body as ConnectorStatus;
}

/** Polls the status API until `predicate` holds; throws with the last status seen on timeout. */
export async function waitForConnectorState(
  target: Target,
  name: string,
  predicate: StatusPredicate,
  timeoutMs = 60_000,
): Promise<ConnectorStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: ConnectorStatus | string | undefined;
  for (;;) {
    try {
      const s = await getStatus(target, name);
      last = s;
      if (s && predicate(s)) return s;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `connector ${name}: state not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)?.slice(0, 3000)}`,
      );
    }
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka helpers (kafkajs)

const clients = new Map<string, Kafka>();

export function kafkaClient(bootstrap: string): Kafka {
  let k = clients.get(bootstrap);
  if (!k) {
    k = new Kafka({
      clientId: 'sentinel-stack',
      brokers: [bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 200 },
    });
    clients.set(bootstrap, k);
  }
  return k;
}

/** Creates a topic if missing (RF 1). Returns true when it was created by this call. */
export async function createTopic(bootstrap: string, topic: string, numPartitions = 1): Promise<boolean> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    // waitForLeaders:false + our own wait: kafkajs' built-in wait only retries LEADER_NOT_AVAILABLE,
    // while Kafka 3.9 briefly answers UNKNOWN_TOPIC_OR_PARTITION right after creation.
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions, replicationFactor: 1 }],
      waitForLeaders: false,
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const md = await admin.fetchTopicMetadata({ topics: [topic] });
        const parts = md.topics[0]?.partitions ?? [];
        if (parts.length > 0 && parts.every((p) => p.leader >= 0)) return created;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) throw new Error(`topic ${topic}: no leaders after 30 s`);
      await sleep(100);
    }
  } finally {
    await admin.disconnect();
  }
}

export type ProduceMessage =
  | string
  | { key?: string | null; value: string | null; headers?: Record<string, string>; partition?: number };

/** Produces string messages (creates the topic first if needed). */
export async function produce(bootstrap: string, topic: string, messages: ProduceMessage[]): Promise<void> {
  await createTopic(bootstrap, topic);
  const producer = kafkaClient(bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const msgs: Message[] = messages.map((m) => {
      if (typeof m === 'string') return { value: m };
      const out: Message = { value: m.value };
      if (m.key !== undefined) out.key = m.key;
      if (m.headers) out.headers = m.headers;
      if (m.partition !== undefined) out.partition = m.partition;
      return out;
    });
    await producer.send({ topic, messages: msgs, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** Header values decoded as UTF-8 (first value when a header repeats). */
  headers: Record<string, string>;
}

function decodeHeaders(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first === undefined) continue;
    out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

/**
 * Consumes `topic` from the beginning with a throw-away consumer group until `count` records have
 * arrived (or timeout → throws with what arrived).
 */
export async function consume(
  bootstrap: string,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<ConsumedRecord[]> {
  const consumer = kafkaClient(bootstrap).consumer({
    groupId: `sentinel-stack-reader-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  const records: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    // A DLQ topic is created by the worker with its first record: it may not be known to the broker's
    // metadata yet ("This server does not host this topic-partition"). Wait for it within the timeout.
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        break;
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    let done: () => void = () => undefined;
    const enough = new Promise<void>((r) => {
      done = r;
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }) => {
        records.push({
          topic: t,
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString('utf8') : null,
          value: message.value ? message.value.toString('utf8') : null,
          headers: decodeHeaders(message.headers),
        });
        if (records.length >= count) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      enough.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut)
      throw new Error(`consume ${topic}: got ${records.length}/${count} records in ${timeoutMs} ms`);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

export interface TimedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  /** The record's timestamp as its producer set it (epoch ms). */
  readonly timestamp: number;
}

/**
 * Every record of `topic` from its start to its end offsets of now (a compacted topic's gaps included),
 * read with a throw-away consumer group.
 */
export async function readTopic(
  bootstrap: string,
  topic: string,
  timeoutMs = 60_000,
): Promise<TimedRecord[]> {
  const kafka = kafkaClient(bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect())).map((o) => [
      o.partition,
      Number(o.high),
    ]),
  );
  const records: TimedRecord[] = [];
  const last = new Map<number, number>();
  const complete = (): boolean => [...ends].every(([p, end]) => end === 0 || (last.get(p) ?? -1) >= end - 1);
  if (complete()) return records;
  const consumer = kafka.consumer({
    groupId: `sentinel-stack-reader-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done: () => void = () => undefined;
    const enough = new Promise<void>((r) => (done = r));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        if (offset >= (ends.get(partition) ?? 0)) return;
        records.push({
          partition,
          offset,
          key: message.key ? message.key.toString('utf8') : null,
          value: message.value ? message.value.toString('utf8') : null,
          timestamp: Number(message.timestamp),
        });
        last.set(partition, offset);
        if (complete()) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      enough.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) throw new Error(`readTopic ${topic}: not at its end after ${timeoutMs} ms`);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// scenarios

export interface ScenarioContext {
  /** Worker REST target (URL string or {url, basicAuth, caPem}). */
  target: Target;
  bootstrap: string;
  /** Unique per test/run, e.g. `t1-${Date.now()}`; used in connector, topic and file names. */
  prefix: string;
  /**
   * Directory for FileStream files (the worker runs on this host). Default: under the shared stack's temp
   * dir when running under the integration global setup (removed at teardown), else
   * $TMPDIR/sentinel-scenarios-<prefix> (not removed).
   */
  dir?: string;
}

export interface Scenario {
  name: string;
  /** Topics the connector reads (sink) or writes (source). */
  topics: string[];
  dlqTopic?: string;
  file?: string;
  /** Records produced to the input topic by the helper. */
  produced: number;
  /** What the scenario should turn into; use with waitForConnectorState. */
  expect: StatusPredicate;
}

const STRING = 'org.apache.kafka.connect.storage.StringConverter';
const JSON_CONVERTER = 'org.apache.kafka.connect.json.JsonConverter';
const FILE_SINK = 'org.apache.kafka.connect.file.FileStreamSinkConnector';
const FILE_SOURCE = 'org.apache.kafka.connect.file.FileStreamSourceConnector';

/** Set by global-setup (inherited by test workers): scenario files then live in the stack's temp dir. */
export const SCENARIO_DIR_ENV = 'SENTINEL_STACK_SCENARIO_DIR';

function scenarioDir(ctx: ScenarioContext): string {
  const root = process.env[SCENARIO_DIR_ENV];
  const dir =
    ctx.dir ??
    (root ? path.join(root, ctx.prefix) : path.join(os.tmpdir(), `sentinel-scenarios-${ctx.prefix}`));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function jsonValue(): Record<string, string> {
  return {
    'value.converter': JSON_CONVERTER,
    'value.converter.schemas.enable': 'false',
    'key.converter': STRING,
  };
}

function dlq(topic: string, headers: boolean): Record<string, string> {
  return {
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': topic,
    'errors.deadletterqueue.topic.replication.factor': '1',
    'errors.deadletterqueue.context.headers.enable': String(headers),
  };
}

/** Healthy FileStreamSink (StringConverter) → RUNNING. Produces 3 records. */
export async function healthySink(ctx: ScenarioContext): Promise<Scenario> {
  const name = `${ctx.prefix}-healthy-sink`;
  const topic = `${ctx.prefix}-healthy-in`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  await produce(ctx.bootstrap, topic, ['hello', 'from', 'sentinel']);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SINK,
    'tasks.max': '1',
    topics: topic,
    file,
    'key.converter': STRING,
    'value.converter': STRING,
  });
  return { name, topics: [topic], file, produced: 3, expect: allRunning(1) };
}

/** Healthy FileStreamSource reading a 3-line file → RUNNING, writes to `<prefix>-source-out`. */
export async function healthySource(ctx: ScenarioContext): Promise<Scenario> {
  const name = `${ctx.prefix}-healthy-source`;
  const topic = `${ctx.prefix}-source-out`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  fs.writeFileSync(file, 'line one\nline two\nline three\n');
  await createTopic(ctx.bootstrap, topic);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SOURCE,
    'tasks.max': '1',
    topic,
    file,
    'key.converter': STRING,
    'value.converter': STRING,
  });
  return { name, topics: [topic], file, produced: 0, expect: allRunning(1) };
}

/** FileStreamSink + JsonConverter + errors.tolerance=none; a malformed JSON record → task FAILED. */
export async function poisonPillSink(ctx: ScenarioContext): Promise<Scenario> {
  const name = `${ctx.prefix}-poison-sink`;
  const topic = `${ctx.prefix}-poison-in`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  await produce(ctx.bootstrap, topic, ['{"ok":1}', 'this is {not json']);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SINK,
    'tasks.max': '1',
    topics: topic,
    file,
    'errors.tolerance': 'none',
    ...jsonValue(),
  });
  return { name, topics: [topic], file, produced: 2, expect: someTaskState('FAILED') };
}

/** Connector (not task) FAILED after `delayMs` (FailingSinkConnector, mock_mode=connector-failure). */
export async function failingConnector(ctx: ScenarioContext, delayMs = 500): Promise<Scenario> {
  const name = `${ctx.prefix}-failing-connector`;
  const topic = `${ctx.prefix}-failing-connector-in`;
  await createTopic(ctx.bootstrap, topic);
  await putConnector(ctx.target, name, {
    'connector.class': TEST_PLUGINS.failingSink,
    'tasks.max': '1',
    topics: topic,
    mock_mode: 'connector-failure',
    delay_ms: String(delayMs),
  });
  return { name, topics: [topic], produced: 0, expect: connectorState('FAILED') };
}

/** Task FAILED from put() after `delayMs`, no data needed (FailingSinkConnector, mock_mode=task-failure). */
export async function failingTask(ctx: ScenarioContext, delayMs = 500): Promise<Scenario> {
  const name = `${ctx.prefix}-failing-task`;
  const topic = `${ctx.prefix}-failing-task-in`;
  await createTopic(ctx.bootstrap, topic);
  await putConnector(ctx.target, name, {
    'connector.class': TEST_PLUGINS.failingSink,
    'tasks.max': '1',
    topics: topic,
    mock_mode: 'task-failure',
    delay_ms: String(delayMs),
  });
  return { name, topics: [topic], produced: 0, expect: someTaskState('FAILED') };
}

/** errors.tolerance=all + DLQ with context headers; 1 good + 2 malformed JSON → 2 DLQ records, stage VALUE_CONVERTER. */
export async function dlqConverterSink(ctx: ScenarioContext): Promise<Scenario> {
  const name = `${ctx.prefix}-dlq-converter`;
  const topic = `${ctx.prefix}-dlq-converter-in`;
  const dlqTopic = `${ctx.prefix}-dlq-converter-dlq`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  await produce(ctx.bootstrap, topic, [
    { key: 'k1', value: '{"ok":1}' },
    { key: 'k2', value: 'not-json', headers: { origin: 'test' } },
    { key: 'k3', value: '{broken' },
  ]);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SINK,
    'tasks.max': '1',
    topics: topic,
    file,
    ...jsonValue(),
    ...dlq(dlqTopic, true),
  });
  return { name, topics: [topic], dlqTopic, file, produced: 3, expect: allRunning(1) };
}

/** DLQ with context headers for an SMT failure (ExtractField$Value on a JSON string) → stage TRANSFORMATION. */
export async function dlqTransformSink(ctx: ScenarioContext): Promise<Scenario> {
  const name = `${ctx.prefix}-dlq-smt`;
  const topic = `${ctx.prefix}-dlq-smt-in`;
  const dlqTopic = `${ctx.prefix}-dlq-smt-dlq`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  await produce(ctx.bootstrap, topic, ['{"f":"good"}', '"just a string"']);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SINK,
    'tasks.max': '1',
    topics: topic,
    file,
    ...jsonValue(),
    transforms: 'extract',
    'transforms.extract.type': 'org.apache.kafka.connect.transforms.ExtractField$Value',
    'transforms.extract.field': 'f',
    ...dlq(dlqTopic, true),
  });
  return { name, topics: [topic], dlqTopic, file, produced: 2, expect: allRunning(1) };
}

/** Converter failures to a DLQ with context headers OFF: DLQ records carry only the original headers. */
export async function dlqNoHeadersSink(ctx: ScenarioContext): Promise<Scenario> {
  const name = `${ctx.prefix}-dlq-noheaders`;
  const topic = `${ctx.prefix}-dlq-noheaders-in`;
  const dlqTopic = `${ctx.prefix}-dlq-noheaders-dlq`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  await produce(ctx.bootstrap, topic, ['bad one', 'bad two']);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SINK,
    'tasks.max': '1',
    topics: topic,
    file,
    ...jsonValue(),
    ...dlq(dlqTopic, false),
  });
  return { name, topics: [topic], dlqTopic, file, produced: 2, expect: allRunning(1) };
}

/** DLQ topic pre-created with 3 partitions; 6 keyed malformed records → 6 DLQ records over its partitions. */
export async function dlqThreePartitionSink(ctx: ScenarioContext): Promise<Scenario> {
  const name = `${ctx.prefix}-dlq-3p`;
  const topic = `${ctx.prefix}-dlq-3p-in`;
  const dlqTopic = `${ctx.prefix}-dlq-3p-dlq`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  await createTopic(ctx.bootstrap, dlqTopic, 3);
  const bad = Array.from({ length: 6 }, (_, i) => ({ key: `key-${i}`, value: `bad-${i}` }));
  await produce(ctx.bootstrap, topic, bad);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SINK,
    'tasks.max': '1',
    topics: topic,
    file,
    ...jsonValue(),
    ...dlq(dlqTopic, true),
  });
  return { name, topics: [topic], dlqTopic, file, produced: 6, expect: allRunning(1) };
}

export type DlqCodec = 'gzip' | 'snappy' | 'lz4' | 'zstd';

/**
 * Converter failures to a DLQ whose producer compresses with `codec`: the connector-level
 * `producer.override.compression.type` (KIP-458), which the workers' default override policy (All) lets
 * through to the DLQ reporter's producer. 2 malformed records → 2 DLQ records in `codec` batches.
 */
export async function dlqCompressedSink(ctx: ScenarioContext, codec: DlqCodec): Promise<Scenario> {
  const name = `${ctx.prefix}-dlq-${codec}`;
  const topic = `${ctx.prefix}-dlq-${codec}-in`;
  const dlqTopic = `${ctx.prefix}-dlq-${codec}-dlq`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  await produce(ctx.bootstrap, topic, [
    { key: 'a', value: `${codec} is not json` },
    { key: 'b', value: `{"${codec}":` },
  ]);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SINK,
    'tasks.max': '1',
    topics: topic,
    file,
    ...jsonValue(),
    ...dlq(dlqTopic, true),
    'producer.override.compression.type': codec,
  });
  return { name, topics: [topic], dlqTopic, file, produced: 2, expect: allRunning(1) };
}

/** KIP-610: the test ErrantRecordSinkConnector reports every record → DLQ stage TASK_PUT. */
export async function errantReporterSink(ctx: ScenarioContext): Promise<Scenario> {
  const name = `${ctx.prefix}-errant`;
  const topic = `${ctx.prefix}-errant-in`;
  const dlqTopic = `${ctx.prefix}-errant-dlq`;
  await produce(ctx.bootstrap, topic, ['r1', 'r2', 'r3']);
  await putConnector(ctx.target, name, {
    'connector.class': TEST_PLUGINS.errantRecordSink,
    'tasks.max': '1',
    topics: topic,
    'key.converter': STRING,
    'value.converter': STRING,
    ...dlq(dlqTopic, true),
  });
  return { name, topics: [topic], dlqTopic, produced: 3, expect: allRunning(1) };
}

/**
 * Healthy FileStreamSink, RUNNING, then PUT /pause → connector and task PAUSED. This one waits for
 * RUNNING first: a connector paused before its first start never generates task configs, so it would
 * show PAUSED with 0 tasks (pass `waitForTasks: false` if that is what you want).
 */
export async function pausedSink(
  ctx: ScenarioContext,
  opts: { waitForTasks?: boolean } = {},
): Promise<Scenario> {
  const name = `${ctx.prefix}-paused`;
  const topic = `${ctx.prefix}-paused-in`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  await createTopic(ctx.bootstrap, topic);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SINK,
    'tasks.max': '1',
    topics: topic,
    file,
    'value.converter': STRING,
  });
  const waitForTasks = opts.waitForTasks ?? true;
  if (waitForTasks) await waitForConnectorState(ctx.target, name, allRunning(1), 60_000);
  await pauseConnector(ctx.target, name);
  return {
    name,
    topics: [topic],
    file,
    produced: 0,
    expect: waitForTasks ? allPaused : connectorState('PAUSED'),
  };
}

/** Healthy FileStreamSink, then PUT /stop → connector STOPPED with 0 tasks. */
export async function stoppedSink(ctx: ScenarioContext): Promise<Scenario> {
  const name = `${ctx.prefix}-stopped`;
  const topic = `${ctx.prefix}-stopped-in`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  await createTopic(ctx.bootstrap, topic);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SINK,
    'tasks.max': '1',
    topics: topic,
    file,
    'value.converter': STRING,
  });
  await stopConnector(ctx.target, name);
  return { name, topics: [topic], file, produced: 0, expect: stoppedNoTasks };
}

/** errors.tolerance=all, no DLQ (errors logged): bad records are skipped silently, stays RUNNING. */
export async function toleranceAllNoDlqSink(ctx: ScenarioContext): Promise<Scenario> {
  const name = `${ctx.prefix}-tolerate-all`;
  const topic = `${ctx.prefix}-tolerate-all-in`;
  const file = path.join(scenarioDir(ctx), `${name}.txt`);
  await produce(ctx.bootstrap, topic, ['{"ok":1}', 'garbage', '{"ok":2}']);
  await putConnector(ctx.target, name, {
    'connector.class': FILE_SINK,
    'tasks.max': '1',
    topics: topic,
    file,
    ...jsonValue(),
    'errors.tolerance': 'all',
    'errors.log.enable': 'true',
    'errors.log.include.messages': 'true',
  });
  return { name, topics: [topic], file, produced: 3, expect: allRunning(1) };
}

export const SCENARIOS = {
  healthySink,
  healthySource,
  poisonPillSink,
  failingConnector,
  failingTask,
  dlqConverterSink,
  dlqTransformSink,
  dlqNoHeadersSink,
  dlqThreePartitionSink,
  errantReporterSink,
  pausedSink,
  stoppedSink,
  toleranceAllNoDlqSink,
} as const;

export type ScenarioKey = keyof typeof SCENARIOS;
export type AllScenarios = Record<ScenarioKey, Scenario>;

/** Creates every scenario (in parallel) with one prefix. Does not wait for states. */
export async function createAllScenarios(ctx: ScenarioContext): Promise<AllScenarios> {
  const entries = await Promise.all(
    (Object.keys(SCENARIOS) as ScenarioKey[]).map(async (k) => [k, await SCENARIOS[k](ctx)] as const),
  );
  return Object.fromEntries(entries) as AllScenarios;
}

/** Waits until every scenario reached its expected state; returns the statuses by key. */
export async function waitForScenarios(
  target: Target,
  scenarios: Partial<Record<string, Scenario>>,
  timeoutMs = 90_000,
): Promise<Record<string, ConnectorStatus>> {
  const entries = await Promise.all(
    Object.entries(scenarios).map(
      async ([k, s]) => [k, await waitForConnectorState(target, s!.name, s!.expect, timeoutMs)] as const,
    ),
  );
  return Object.fromEntries(entries);
}
