/** Shared by bench/dlq-offsets.ts and bench/lag.ts: a private broker, bulk topics, synthetic sinks. */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { ConnectorView } from '../src/connect/types.js';
import { kafkaClientConfig } from '../src/kafka/client-config.js';
import { mapLimit } from '../src/lib/limit.js';
import { KafkaConnection } from '../src/kafka/connection.js';
import { createWireCluster } from '../src/kafka/kafkajs-internal.js';
import { startKafka, stopAll, type KafkaBroker } from '../test/stack/launcher.js';
import { median, ms, ratio } from './lib/stats.js';

export { stopAll };

export async function privateBroker(): Promise<KafkaBroker> {
  const t0 = Date.now();
  const broker = await startKafka({ extraProps: { 'auto.create.topics.enable': 'false' } });
  console.log(`  private Kafka ${broker.version} at ${broker.bootstrap} (${Date.now() - t0} ms)`);
  return broker;
}

export function client(bootstrap: string): Kafka {
  return new Kafka({
    clientId: 'bench-setup',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10 },
  });
}

/**
 * Creates topics in batches of 100 and waits until each has a leader (kafkajs's own wait gives up on the
 * UNKNOWN_TOPIC_OR_PARTITION that Kafka 4 answers right after creation).
 */
export async function createTopics(
  admin: Admin,
  names: readonly string[],
  partitions: number,
): Promise<void> {
  for (let i = 0; i < names.length; i += 100) {
    const batch = names.slice(i, i + 100);
    await admin.createTopics({
      topics: batch.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      waitForLeaders: false,
    });
  }
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics: [...names] });
      if (
        md.topics.length === names.length &&
        md.topics.every((t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0))
      )
        return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics without leaders after 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function sinkConnector(name: string, config: Record<string, string>): ConnectorView {
  return {
    name,
    type: 'sink',
    state: 'RUNNING',
    workerId: 'bench:1',
    tasks: [],
    className: 'bench.Sink',
    config,
  };
}

/** The reader's connection as the sidecar configures it (10 s poll deadline). */
export function connection(bootstrap: string): KafkaConnection {
  return new KafkaConnection({
    config: kafkaClientConfig(
      { brokers: [bootstrap], clientId: 'connect-sentinel-bench' },
      { timeoutMs: 10_000 },
    ),
  });
}

/** Counts the requests a kafkajs admin client sends (its public instrumentation event). */
export function countRequests(admin: Admin): { readonly n: number } {
  const counter = { n: 0 };
  admin.on(admin.events.REQUEST, () => {
    counter.n++;
  });
  return counter;
}

interface CommittingBroker {
  offsetCommit(req: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    retentionTime?: number;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<unknown>;
}

/**
 * Commits an offset for many member-less groups quickly: a plain OffsetCommit (generation -1, no member,
 * as Kafka's AdminClient.alterConsumerGroupOffsets does) instead of kafkajs's `admin.setOffsets`, which
 * joins each group with a whole consumer (~300 ms a group here).
 */
export async function commitOffsets(
  bootstrap: string,
  entries: readonly { groupId: string; topic: string; offset: number }[],
): Promise<void> {
  const config = {
    clientId: 'bench-setup',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  };
  const cluster = createWireCluster(new Kafka(config), { config });
  await cluster.connect();
  try {
    await cluster.brokerPool.refreshMetadata(entries.slice(0, 1).map((e) => e.topic));
    await mapLimit(entries, 32, async ({ groupId, topic, offset }) => {
      // A fresh broker creates __consumer_offsets on the first FindCoordinator and answers "not available" meanwhile.
      let found: { coordinator: { nodeId: number } } | undefined;
      for (let attempt = 0; !found; attempt++) {
        try {
          found = await (
            await cluster.brokerPool.findConnectedBroker()
          ).findGroupCoordinator({ groupId, coordinatorType: 0 });
        } catch (err) {
          if (attempt > 100) throw err;
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      const coordinator = (await cluster.findBroker({
        nodeId: found.coordinator.nodeId,
      })) as unknown as CommittingBroker;
      await coordinator.offsetCommit({
        groupId,
        groupGenerationId: -1,
        memberId: '',
        topics: [{ topic, partitions: [{ partition: 0, offset: String(offset) }] }],
      });
    });
  } finally {
    await cluster.disconnect();
  }
}

/** Requests and time of one side (ours or the baseline) over a bench's polls. */
export class PollCost {
  first = 0;
  readonly rt: number[] = [];
  readonly ms: number[] = [];

  /** The first poll sets things up (metadata, coordinators): it is reported apart from the steady state. */
  record(poll: number, requests: number, ms: number): void {
    if (poll === 0) this.first = requests;
    else {
      this.rt.push(requests);
      this.ms.push(ms);
    }
  }
}

/** One table row: size, ours (first, steady rt, ms), baseline (same), and the two ratios. */
export function costRow(size: number, ours: PollCost, base: PollCost): string[] {
  const oursRt = median(ours.rt);
  const baseRt = median(base.rt);
  return [
    String(size),
    String(ours.first),
    String(oursRt),
    ms(median(ours.ms)),
    String(base.first),
    String(baseRt),
    ms(median(base.ms)),
    ratio(baseRt / oursRt),
    ratio(median(base.ms) / median(ours.ms)),
  ];
}
