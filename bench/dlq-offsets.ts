/**
 * Bench (issue 4): round trips and time per poll to read the offsets of 1, 50 and 500 DLQ topics, on a
 * private broker started for the run. Ours: ClusterKafkaReader.read() for N synthetic sinks, each with its
 * own DLQ (one Metadata + one ListOffsets per leader for latest and earliest, and Fetch only when a DLQ
 * grew). Baseline, same run: kafkajs's public admin API, `fetchTopicOffsets(topic)` for every DLQ topic
 * in parallel. Every DLQ holds 3 records (more if the producer retried) with context headers, read on
 * the first poll.
 *
 *   npx tsx bench/dlq-offsets.ts
 */
import { silentLogger } from '../src/log.js';
import { ClusterKafkaReader } from '../src/kafka/cluster-reader.js';
import { HEADER } from '../src/kafka/dlq-headers.js';
import { nowMs, table } from './lib/stats.js';
import {
  client,
  connection,
  countRequests,
  createTopics,
  privateBroker,
  sinkConnector,
  stopAll,
  PollCost,
  costRow,
} from './kafka-fixture.js';

const SIZES = [1, 50, 500];
const POLLS = 7;

async function main(): Promise<void> {
  const broker = await privateBroker();
  try {
    const kafka = client(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    const all = Array.from(
      { length: Math.max(...SIZES) },
      (_, i) => `bench-dlq-${String(i).padStart(4, '0')}`,
    );
    const t0 = Date.now();
    await createTopics(admin, all, 1);
    const producer = kafka.producer();
    await producer.connect();
    const headers = {
      [HEADER.stage]: 'VALUE_CONVERTER',
      [HEADER.exceptionClass]: 'org.apache.kafka.connect.errors.DataException',
    };
    for (let i = 0; i < all.length; i += 100) {
      await producer.sendBatch({
        topicMessages: all
          .slice(i, i + 100)
          .map((topic) => ({ topic, messages: [1, 2, 3].map((n) => ({ value: `bad ${n}`, headers })) })),
      });
    }
    await producer.disconnect();
    console.log(`  ${all.length} DLQ topics × 1 partition, 3 records each (${Date.now() - t0} ms)`);

    const rows = [
      [
        'DLQ topics',
        'ours 1st poll',
        'ours rt/poll',
        'ours ms/poll',
        'admin 1st poll',
        'admin rt/poll',
        'admin ms/poll',
        'rt ratio',
        'time ratio',
      ],
    ];
    for (const n of SIZES) {
      const topics = all.slice(0, n);
      const connectors = topics.map((t, i) =>
        sinkConnector(`sink-${i}`, {
          topics: `absent-input-${i}`,
          'errors.tolerance': 'all',
          'errors.deadletterqueue.topic.name': t,
          'errors.deadletterqueue.context.headers.enable': 'true',
        }),
      );

      const conn = connection(broker.bootstrap);
      const reader = new ClusterKafkaReader(conn, {
        maxExceptionClasses: 20,
        recentRecords: 20,
        showPayload: false,
        payloadLimit: 1024,
        backlogPerPartition: 100,
        logger: silentLogger(),
      });
      const ours = new PollCost();
      const base = new PollCost();

      const naive = kafka.admin();
      const naiveCount = countRequests(naive);
      await naive.connect();

      // Interleaved, so that load from other processes hits both alike.
      for (let poll = 0; poll < POLLS; poll++) {
        let before = conn.requestCount;
        let t = nowMs();
        const data = await reader.read(connectors, Date.now() + 60_000);
        const oursMs = nowMs() - t;
        if (data.dlq.length !== n) throw new Error(`ours read ${data.dlq.length}/${n} DLQs`);
        const written = new Map(data.dlq.map((d) => [d.topic, d.written]));
        ours.record(poll, conn.requestCount - before, oursMs);
        if (poll === 0) {
          const counted = data.dlqErrors.reduce((s, e) => s + e.count, 0);
          const total = data.dlq.reduce((s, d) => s + d.written, 0);
          if (counted !== total)
            throw new Error(`ours counted ${counted} DLQ records, the DLQs hold ${total}`);
        }

        before = naiveCount.n;
        t = nowMs();
        const offsets = await Promise.all(topics.map((topic) => naive.fetchTopicOffsets(topic)));
        const naiveMs = nowMs() - t;
        if (offsets.some((o, i) => o.length !== 1 || Number(o[0]?.high) !== written.get(topics[i]!))) {
          throw new Error('the baseline and ours disagree on an end offset');
        }
        base.record(poll, naiveCount.n - before, naiveMs);
      }
      await naive.disconnect();
      await reader.close();
      rows.push(costRow(n, ours, base));
    }
    await admin.disconnect();
    console.log(
      'DLQ offsets per poll (steady state = median of 6 polls after the first; rt = requests on the wire)',
    );
    table(rows);
    console.log(
      '  ours also reads and counts the DLQ records (Fetch) on the 1st poll; the baseline reads offsets only.',
    );
  } finally {
    await stopAll();
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exitCode = 1;
});
