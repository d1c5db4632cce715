/**
 * Bench (issue 5): cost per poll of the sink lag of 1, 100 and 1,000 sink connectors, simulated on a
 * private broker (a test worker cannot hold 1,000 sinks): each "connector" is a consumer group
 * `connect-sink-<i>` with a committed offset on its own 1-partition topic holding 10 records (lag 3).
 * Ours: ClusterKafkaReader.read() (one Metadata, one ListOffsets per leader for latest and earliest,
 * one OffsetFetch per group to its cached coordinator). Baseline, same run: kafkajs's public admin API
 * per connector, `fetchOffsets({groupId, topics})` + `fetchTopicOffsets(topic)`; both with 32 in flight.
 *
 *   npx tsx bench/lag.ts
 */
import { mapLimit } from '../src/lib/limit.js';
import { ClusterKafkaReader } from '../src/kafka/cluster-reader.js';
import { silentLogger } from '../src/log.js';
import { nowMs, table } from './lib/stats.js';
import {
  client,
  commitOffsets,
  connection,
  countRequests,
  createTopics,
  privateBroker,
  sinkConnector,
  stopAll,
  PollCost,
  costRow,
} from './kafka-fixture.js';

const SIZES = [1, 100, 1_000];
const POLLS = 7;
const RECORDS = 10;
const COMMITTED = 7;

async function main(): Promise<void> {
  const broker = await privateBroker();
  try {
    const kafka = client(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    const n = Math.max(...SIZES);
    const topics = Array.from({ length: n }, (_, i) => `bench-in-${String(i).padStart(4, '0')}`);
    const t0 = Date.now();
    await createTopics(admin, topics, 1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < n; i += 100) {
      await producer.sendBatch({
        topicMessages: topics.slice(i, i + 100).map((topic) => ({
          topic,
          messages: Array.from({ length: RECORDS }, (_, k) => ({ value: `r${k}` })),
        })),
      });
    }
    await producer.disconnect();
    await commitOffsets(
      broker.bootstrap,
      topics.map((topic, i) => ({ groupId: `connect-sink-${i}`, topic, offset: COMMITTED })),
    );
    console.log(
      `  ${n} topics × 1 partition × ${RECORDS} records, ${n} groups committed at ${COMMITTED} (${Date.now() - t0} ms)`,
    );

    const rows = [
      [
        'sinks',
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
    for (const size of SIZES) {
      const connectors = topics
        .slice(0, size)
        .map((topic, i) => sinkConnector(`sink-${i}`, { topics: topic }));
      const conn = connection(broker.bootstrap);
      const reader = new ClusterKafkaReader(conn, {
        maxExceptionClasses: 20,
        recentRecords: 20,
        showPayload: false,
        payloadLimit: 1024,
        backlogPerPartition: 100,
        logger: silentLogger(),
      });
      const naive = kafka.admin();
      const naiveCount = countRequests(naive);
      await naive.connect();
      const ours = new PollCost();
      const base = new PollCost();
      for (let poll = 0; poll < POLLS; poll++) {
        let before = conn.requestCount;
        let t = nowMs();
        const data = await reader.read(connectors, Date.now() + 60_000);
        const oursMs = nowMs() - t;
        if (
          data.lag.length !== size ||
          data.lag.some((l) => l.lag !== RECORDS - COMMITTED || l.committed !== COMMITTED)
        ) {
          throw new Error(
            `ours: ${data.lag.length}/${size} lag series, first ${JSON.stringify(data.lag[0])}`,
          );
        }
        ours.record(poll, conn.requestCount - before, oursMs);

        before = naiveCount.n;
        t = nowMs();
        const lags = await mapLimit(connectors, 32, async (c, i) => {
          const topic = topics[i]!;
          const [committed, ends] = await Promise.all([
            naive.fetchOffsets({ groupId: `connect-${c.name}`, topics: [topic] }),
            naive.fetchTopicOffsets(topic),
          ]);
          return Number(ends[0]!.high) - Number(committed[0]!.partitions[0]!.offset);
        });
        const naiveMs = nowMs() - t;
        if (lags.some((l) => l !== RECORDS - COMMITTED)) throw new Error('baseline computed a different lag');
        base.record(poll, naiveCount.n - before, naiveMs);
      }
      await naive.disconnect();
      await reader.close();
      rows.push(costRow(size, ours, base));
    }
    await admin.disconnect();
    console.log(
      'Sink lag per poll (steady state = median of 6 polls after the first; rt = requests on the wire)',
    );
    table(rows);
  } finally {
    await stopAll();
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exitCode = 1;
});
