/**
 * Bench (issue 15): following Connect's status topic.
 *
 * 1. Latency from a status record's timestamp (set by the worker that wrote it) to the change on /metrics,
 *    over ≥ 200 transitions of a real worker (pause and resume of 20 connectors, one every 700 ms). Two
 *    sidecars watch the same worker, each in its own process: one follows the topic (poll every 60 s), the
 *    other polls REST alone every 15 s (the default). Both are scraped every 10 ms.
 * 2. Bootstrap: a compacted topic holding 5,000 connectors × 8 tasks, written by the bench to the same broker
 *    with Connect's key and value format; time from the follower's start until its state is applied to a
 *    5,000 × 8 poll (read, parse, merge, count).
 *
 *   npm run bench -- status
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { parseStatusRecord } from '../src/connect/status-record.js';
import type { ConnectorView } from '../src/connect/types.js';
import { kafkaClientConfig } from '../src/kafka/client-config.js';
import { KafkaConnection } from '../src/kafka/connection.js';
import { TOPIC_RESOURCE } from '../src/kafka/kafkajs-internal.js';
import { StatusFollower, type StatusUpdate } from '../src/kafka/status-follower.js';
import { silentLogger } from '../src/log.js';
import { StatusMerge } from '../src/state/status-merge.js';
import { countFailures } from '../src/state/transitions.js';
import { startPrivateStack, stopAll, type PrivateStack } from '../test/stack/control.js';
import { TEST_PLUGINS } from '../test/stack/launcher.js';
import {
  allRunning,
  createTopic,
  pauseConnector,
  putConnector,
  readTopic,
  resumeConnector,
  waitForConnectorState,
} from '../test/stack/scenarios.js';
import { spawnChild, type Child } from './lib/child.js';
import { median, ms, nowMs, summary, table } from './lib/stats.js';

const CONNECTORS = 20;
const TRANSITIONS = 210;
const EVERY_MS = 700;
const SCRAPE_EVERY_MS = 10;
const POLL_ONLY_INTERVAL_S = 15;

const BOOT_CONNECTORS = 5_000;
const BOOT_TASKS = 8;
const BOOT_PARTITIONS = 5;
const BOOT_ROUNDS = 3;

const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));

/** Every change of a connector's state on one sidecar's /metrics, as a scraper saw it. */
interface Seen {
  readonly connector: string;
  readonly state: string;
  readonly at: number;
}

const STATE_LINE =
  /^kafka_connect_connector_state\{connect_cluster="[^"]*",connector="([^"]*)",state="([^"]*)"\} 1$/gm;

function watch(url: string): { seen: Seen[]; scrapes: () => number; stop: () => Promise<void> } {
  const seen: Seen[] = [];
  const current = new Map<string, string>();
  let scrapes = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const at = Date.now();
      scrapes++;
      for (const m of text.matchAll(STATE_LINE)) {
        const [, connector, state] = m as unknown as [string, string, string];
        if (current.get(connector) === state) continue;
        current.set(connector, state);
        seen.push({ connector, state, at });
      }
      await sleep(SCRAPE_EVERY_MS);
    }
  })();
  return {
    seen,
    scrapes: () => scrapes,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

interface Transition {
  readonly connector: string;
  readonly state: string;
  readonly timestamp: number;
  /** When the connector changes state again (the end of the window in which this one can be seen). */
  readonly until: number;
}

/** The transitions of the connectors' states after `since`, from the status topic itself. */
function transitionsOf(
  records: readonly { key: string | null; value: string | null; timestamp: number }[],
  since: number,
): Transition[] {
  const byConnector = new Map<string, { state: string; timestamp: number }[]>();
  for (const r of records) {
    const rec = parseStatusRecord(
      r.key === null ? null : Buffer.from(r.key),
      r.value === null ? null : Buffer.from(r.value),
    );
    if (rec.kind !== 'connector' || rec.status === undefined) continue;
    let arr = byConnector.get(rec.connector);
    if (!arr) byConnector.set(rec.connector, (arr = []));
    if (arr[arr.length - 1]?.state !== rec.status.state)
      arr.push({ state: rec.status.state, timestamp: r.timestamp });
  }
  const out: Transition[] = [];
  for (const [connector, arr] of byConnector)
    arr.forEach((t, i) => {
      if (t.timestamp >= since)
        out.push({ connector, ...t, until: arr[i + 1]?.timestamp ?? Number.POSITIVE_INFINITY });
    });
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

/** Latency of each transition a sidecar showed before the connector changed again; the rest are missed. */
function latencies(
  transitions: readonly Transition[],
  seen: readonly Seen[],
): { ms: number[]; missed: number } {
  const out: number[] = [];
  let missed = 0;
  for (const t of transitions) {
    const hit = seen.find(
      (s) => s.connector === t.connector && s.state === t.state && s.at >= t.timestamp && s.at < t.until,
    );
    if (hit) out.push(hit.at - t.timestamp);
    else missed++;
  }
  return { ms: out, missed };
}

async function latencyBench(stack: PrivateStack): Promise<void> {
  const worker = stack.workers[0]!;
  const bootstrap = stack.kafka.bootstrap;
  const topic = 'bench-status-in';
  await createTopic(bootstrap, topic);
  const names = Array.from({ length: CONNECTORS }, (_, i) => `bench-c-${String(i).padStart(2, '0')}`);
  for (const name of names)
    await putConnector(worker.url, name, {
      'connector.class': TEST_PLUGINS.failingSink,
      'tasks.max': '1',
      topics: topic,
      mock_mode: 'healthy',
    });
  for (const name of names) await waitForConnectorState(worker.url, name, allRunning(1));

  const children: Child[] = [];
  try {
    const start = async (argv: string[]): Promise<string> => {
      const child = await spawnChild('./status-sentinel-process.ts');
      children.push(child);
      return (
        await child.call<{ url: string }>('start', [
          '--connect.url',
          worker.url,
          '--connect.name',
          'bench',
          ...argv,
        ])
      ).url;
    };
    const followUrl = await start([
      '--kafka.brokers',
      bootstrap,
      '--connect.status-topic',
      worker.topics.status,
      '--poll.interval',
      '60s',
    ]);
    const pollUrl = await start(['--poll.interval', `${POLL_ONLY_INTERVAL_S}s`]);
    const watchers = { follow: watch(followUrl), poll: watch(pollUrl) };
    await sleep(1_000);

    const since = Date.now();
    const paused = new Set<string>();
    for (let i = 0; i < TRANSITIONS; i++) {
      const name = names[i % CONNECTORS]!;
      if (paused.delete(name)) await resumeConnector(worker.url, name);
      else {
        paused.add(name);
        await pauseConnector(worker.url, name);
      }
      await sleep(Math.max(0, since + (i + 1) * EVERY_MS - Date.now()));
    }
    // The REST-only sidecar's next poll shows the last transitions too.
    await sleep((POLL_ONLY_INTERVAL_S + 2) * 1000);
    await Promise.all(Object.values(watchers).map((w) => w.stop()));

    const transitions = transitionsOf(await readTopic(bootstrap, worker.topics.status), since);
    const rows = [['sidecar', 'transitions', 'seen', 'missed', 'p50 ms', 'p99 ms', 'max ms', 'scrapes']];
    const figures: Record<string, ReturnType<typeof summary>> = {};
    for (const [label, w] of [
      ['status topic + poll 60 s', watchers.follow],
      [`REST poll only, every ${POLL_ONLY_INTERVAL_S} s`, watchers.poll],
    ] as const) {
      const l = latencies(transitions, w.seen);
      const s = summary(l.ms);
      figures[label] = s;
      rows.push([
        label,
        String(transitions.length),
        String(s.n),
        String(l.missed),
        ms(s.p50),
        ms(s.p99),
        ms(s.max),
        String(w.scrapes()),
      ]);
    }
    console.log(
      `## 5a. Status record → /metrics on a real worker (${CONNECTORS} connectors paused and resumed, one every ${EVERY_MS} ms; scraped every ${SCRAPE_EVERY_MS} ms)`,
    );
    table(rows);
    const f = figures['status topic + poll 60 s']!;
    const p = figures[`REST poll only, every ${POLL_ONLY_INTERVAL_S} s`]!;
    console.log(
      `  poll-only/status-topic: p50 ${(p.p50 / f.p50).toFixed(0)}×, p99 ${(p.p99 / f.p99).toFixed(0)}×; ` +
        `target p99 < 1 s: ${f.p99 < 1_000 ? 'MET' : 'MISSED'} (${ms(f.p99)} ms over ${f.n} transitions)`,
    );
  } finally {
    for (const c of children) {
      await c.call('stop').catch(() => undefined);
      await c.close();
    }
  }
}

const TRACE =
  'org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.\n' +
  '\tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:659)\n'.repeat(
    30,
  );

function statusValue(i: number, failed: boolean): string {
  return JSON.stringify({
    state: failed ? 'FAILED' : 'RUNNING',
    trace: failed ? TRACE : null,
    worker_id: `10.0.${i % 16}.${i % 250}:8083`,
    generation: 42,
    version: '4.1.2',
  });
}

const bootName = (i: number): string => `bench-boot-${String(i).padStart(5, '0')}`;

/** Writes Connect's records of 5,000 connectors × 8 tasks (1 % of tasks FAILED with a trace). */
async function writeBootstrapTopic(
  bootstrap: string,
  topic: string,
): Promise<{ records: number; mb: number }> {
  const kafka = new Kafka({ clientId: 'bench-setup', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: BOOT_PARTITIONS,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
    waitForLeaders: true,
  });
  const cfg = await admin.describeConfigs({
    resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['cleanup.policy'] }],
    includeSynonyms: false,
  });
  await admin.disconnect();
  if (cfg.resources[0]?.configEntries[0]?.configValue !== 'compact')
    throw new Error(`${topic} is not compacted`);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let records = 0;
  let bytes = 0;
  const batch: { key: string; value: string }[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await producer.send({ topic, messages: batch.splice(0) });
  };
  for (let i = 0; i < BOOT_CONNECTORS; i++) {
    const name = bootName(i);
    const rows = [{ key: `status-connector-${name}`, value: statusValue(i, false) }];
    for (let t = 0; t < BOOT_TASKS; t++)
      rows.push({
        key: `status-task-${name}-${t}`,
        value: statusValue(i + t, (i * BOOT_TASKS + t) % 100 === 0),
      });
    for (const r of rows) {
      batch.push(r);
      records++;
      bytes += r.key.length + r.value.length;
    }
    if (batch.length >= 2_000) await flush();
  }
  await flush();
  await producer.disconnect();
  return { records, mb: bytes / 2 ** 20 };
}

/** The 5,000 × 8 poll the bootstrap is applied to (all RUNNING, as a worker that has not read the topic yet). */
function polled(): ConnectorView[] {
  return Array.from({ length: BOOT_CONNECTORS }, (_, i) => ({
    name: bootName(i),
    type: 'sink' as const,
    state: 'RUNNING',
    workerId: `10.0.${i % 16}.${i % 250}:8083`,
    className: 'bench.Sink',
    config: { 'connector.class': 'bench.Sink', topics: `in-${i}` },
    tasks: Array.from({ length: BOOT_TASKS }, (_, t) => ({ id: t, state: 'RUNNING', workerId: 'w:8083' })),
  }));
}

async function bootstrapOnce(bootstrap: string, topic: string, list: readonly ConnectorView[]) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const connection = new KafkaConnection({
    config: kafkaClientConfig(
      { brokers: [bootstrap], clientId: 'connect-sentinel-bench' },
      { timeoutMs: 10_000 },
    ),
  });
  let resolve!: (u: StatusUpdate) => void;
  const got = new Promise<StatusUpdate>((r) => (resolve = r));
  const follower = new StatusFollower({
    connection,
    topic,
    connectorNames: async () => [],
    onUpdate: (u) => {
      if (u.bootstrap || u.view.error !== undefined) resolve(u);
    },
    logger: silentLogger(),
    timeoutMs: 10_000,
  });
  delay.enable();
  const t0 = nowMs();
  follower.start();
  const update = await got;
  const read = nowMs() - t0;
  // The merge below is one synchronous block: the histogram cannot see it, its duration is its delay.
  const readDelay = delay.max / 1e6;
  delay.disable();
  if (!update.bootstrap) throw new Error(`bootstrap failed: ${update.view.error}`);
  // What the poller does with it: merge into the poll's connectors, count transitions into FAILED.
  const t1 = nowMs();
  const merge = new StatusMerge({ settleMs: 5_000 });
  const before = merge.poll(list, Date.now());
  const { steps } = merge.apply(update.records, Date.now(), true);
  const after = steps[steps.length - 1] ?? before;
  const failures = countFailures(before, after, { connectors: new Map(), tasks: new Map() });
  const apply = nowMs() - t1;
  await follower.stop();
  return {
    read,
    apply,
    records: update.view.eventsTotal,
    keys: update.records.length,
    failedTasks: failures.tasks.size,
    readDelay,
  };
}

async function bootstrapBench(stack: PrivateStack): Promise<void> {
  const topic = 'bench-connect-status-5000';
  const t0 = Date.now();
  const written = await writeBootstrapTopic(stack.kafka.bootstrap, topic);
  console.log(
    `## 5b. Bootstrap from a compacted status topic: ${BOOT_CONNECTORS} connectors × ${BOOT_TASKS} tasks, ` +
      `${written.records} records, ${written.mb.toFixed(1)} MB, ${BOOT_PARTITIONS} partitions (written in ${Date.now() - t0} ms)`,
  );
  const list = polled();
  const runs = [];
  for (let i = 0; i < BOOT_ROUNDS; i++) runs.push(await bootstrapOnce(stack.kafka.bootstrap, topic, list));
  const rows = [
    [
      'round',
      'records read',
      'keys',
      'read+parse ms',
      'loop delay max ms',
      'merge+count ms (one block)',
      'total ms',
      'FAILED tasks',
    ],
  ];
  runs.forEach((r, i) =>
    rows.push([
      String(i + 1),
      String(r.records),
      String(r.keys),
      ms(r.read),
      ms(r.readDelay),
      ms(r.apply),
      ms(r.read + r.apply),
      String(r.failedTasks),
    ]),
  );
  table(rows);
  const total = median(runs.map((r) => r.read + r.apply));
  console.log(`  target bootstrap < 5 s: ${total < 5_000 ? 'MET' : 'MISSED'} (median ${ms(total)} ms)`);
}

export async function benchStatusTopic(): Promise<void> {
  const t0 = Date.now();
  const stack = await startPrivateStack({ workers: 1 });
  console.log(`  private Kafka ${stack.kafka.version} + 1 Connect worker (${Date.now() - t0} ms)`);
  try {
    await latencyBench(stack);
    await bootstrapBench(stack);
  } finally {
    await stack.stop();
    await stopAll();
  }
}
