/**
 * Bench (issue 16): replay throughput. A private broker holds a DLQ of 100,000 records of 1 KiB with
 * Connect's context headers. Ours: the `dlq replay` engine (src/cli/replay.ts) reading it by offset,
 * planning each record (headers parsed, filters, replay headers), producing with acks=all and
 * committing its consumer group position after each acknowledged step. Baseline, same run, same records:
 * a bare kafkajs loop, a consumer group's `eachBatch` sending each batch on with one `producer.send`
 * (acks=all) and committing as kafkajs does by default. Both from start (connect, group join) to the
 * last record acknowledged; rounds alternate so other load on the machine hits both alike.
 *
 *   npm run bench -- replay      (or: npx tsx bench/replay.ts)
 */
import { pathToFileURL } from 'node:url';
import { Partitioners } from 'kafkajs';
import type { DlqCommand } from '../src/cli/args.js';
import { KafkaIo } from '../src/cli/kafka-io.js';
import { replay } from '../src/cli/replay.js';
import type { Terminal } from '../src/cli/terminal.js';
import { kafkaClientConfig } from '../src/kafka/client-config.js';
import { newKafka } from '../src/kafka/client.js';
import { KafkaConnection } from '../src/kafka/connection.js';
import { HEADER } from '../src/kafka/dlq-headers.js';
import { client, createTopics, privateBroker, stopAll } from './kafka-fixture.js';
import { median, nowMs, ratio, table } from './lib/stats.js';

const RECORDS = 100_000;
const VALUE_BYTES = 1024;
const ROUNDS = 3;
const DLQ = 'bench-replay-dlq';
const ORIGINAL = 'bench-replay-orders';
const OURS_OUT = 'bench-replay-out-ours';
const BASE_OUT = 'bench-replay-out-kafkajs';

const quiet: Terminal = {
  out: () => undefined,
  err: () => undefined,
  outIsTty: false,
  errIsTty: false,
  columns: 120,
  defaultOutput: 'json',
};

async function fill(bootstrap: string): Promise<void> {
  const producer = client(bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const value = Buffer.alloc(VALUE_BYTES, 'x');
  const batch = 500;
  for (let i = 0; i < RECORDS; i += batch) {
    await producer.send({
      topic: DLQ,
      acks: -1,
      messages: Array.from({ length: batch }, (_, j) => ({
        key: `key-${i + j}`,
        value,
        headers: {
          [HEADER.topic]: ORIGINAL,
          [HEADER.partition]: '0',
          [HEADER.offset]: String(i + j),
          [HEADER.connector]: 'bench-sink',
          [HEADER.task]: '0',
          [HEADER.stage]: 'VALUE_CONVERTER',
          [HEADER.executingClass]: 'org.apache.kafka.connect.json.JsonConverter',
          [HEADER.exceptionClass]: 'org.apache.kafka.connect.errors.DataException',
          [HEADER.exceptionMessage]:
            'Converting byte[] to Kafka Connect data failed due to serialization error',
        },
      })),
    });
  }
  await producer.disconnect();
}

async function ours(bootstrap: string, round: number): Promise<number> {
  const config = kafkaClientConfig({ brokers: [bootstrap], clientId: 'bench-replay' }, { timeoutMs: 30_000 });
  const io = new KafkaIo(new KafkaConnection({ config }), newKafka(config), 30_000);
  const cmd: Extract<DlqCommand, { kind: 'replay' }> = {
    kind: 'replay',
    connector: 'bench-sink',
    filters: {},
    sidecarArgv: [],
    to: OURS_OUT,
    maxReplays: 3,
    reviewFile: '/dev/null',
    group: `bench-replay-ours-${round}`,
    fromBeginning: false,
    dryRun: false,
  };
  const t = nowMs();
  try {
    const { code, summary } = await replay(cmd, {
      io,
      target: { connector: 'bench-sink', topic: DLQ, contextHeaders: true },
      term: quiet,
    });
    if (code !== 0 || summary.republished !== RECORDS)
      throw new Error(`ours: exit ${code}, ${JSON.stringify(summary)}`);
    return nowMs() - t;
  } finally {
    await io.close();
  }
}

async function baseline(bootstrap: string, round: number): Promise<number> {
  const kafka = client(bootstrap);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  // Batches of at most 512 KiB, as ours sends: a fetched 1 MiB batch sent on as one record batch would
  // exceed the broker's message.max.bytes once the produce overhead is added.
  const consumer = kafka.consumer({
    groupId: `bench-replay-kafkajs-${round}`,
    maxBytesPerPartition: 512 << 10,
  });
  const t = nowMs();
  await Promise.all([producer.connect(), consumer.connect()]);
  let sent = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  await consumer.subscribe({ topics: [DLQ], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      await producer.send({
        topic: BASE_OUT,
        acks: -1,
        messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers ?? {} })),
      });
      sent += batch.messages.length;
      if (sent >= RECORDS) finish();
    },
  });
  await done;
  const ms = nowMs() - t;
  await consumer.disconnect();
  await producer.disconnect();
  return ms;
}

export async function benchReplay(): Promise<void> {
  console.log(`## Replay throughput: ${RECORDS.toLocaleString('en')} DLQ records of 1 KiB, private broker`);
  const broker = await privateBroker();
  try {
    const admin = client(broker.bootstrap).admin();
    await admin.connect();
    await createTopics(admin, [DLQ, ORIGINAL, OURS_OUT, BASE_OUT], 1);
    await admin.disconnect();
    const t0 = Date.now();
    await fill(broker.bootstrap);
    console.log(`  DLQ filled (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    const oursMs: number[] = [];
    const baseMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      baseMs.push(await baseline(broker.bootstrap, round));
      oursMs.push(await ours(broker.bootstrap, round));
    }
    const rate = (ms: number): string => String(Math.round((RECORDS * 1000) / ms));
    table([
      ['', 'round ms', 'median ms', 'records/s (median)'],
      [
        'dlq replay',
        oursMs.map((m) => m.toFixed(0)).join(' / '),
        median(oursMs).toFixed(0),
        rate(median(oursMs)),
      ],
      [
        'kafkajs consume→produce',
        baseMs.map((m) => m.toFixed(0)).join(' / '),
        median(baseMs).toFixed(0),
        rate(median(baseMs)),
      ],
    ]);
    const r = median(oursMs) / median(baseMs);
    console.log(`  ours/baseline time ${ratio(r)}; target within 2×: ${r <= 2 ? 'MET' : 'MISSED'}`);
  } finally {
    await stopAll();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchReplay().catch(async (err: unknown) => {
    console.error(err);
    await stopAll();
    process.exitCode = 1;
  });
}
