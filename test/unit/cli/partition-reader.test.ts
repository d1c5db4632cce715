import { describe, expect, it } from 'vitest';
import { PartitionReader, type Chunk } from '../../../src/cli/kafka-io.js';
import type { TopicLayout } from '../../../src/kafka/connection.js';
import { FakeKafka } from '../kafka/fake-kafka.js';

const LAYOUT: TopicLayout = {
  topic: 'dlq',
  leaders: new Map([
    [0, 1],
    [1, 1],
  ]),
};

function reader(k: FakeKafka, ranges: { partition: number; from: number; end: number }[]): PartitionReader {
  return new PartitionReader(
    k,
    LAYOUT,
    ranges,
    () => Date.now() + 5_000,
    async () => new Map(k.topics.get('dlq')!.start.map((s, p) => [p, s])),
  );
}

async function all(r: PartitionReader): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for (let c = await r.next(); c; c = await r.next()) out.push(c);
  return out;
}

describe('PartitionReader', () => {
  it('reads each range in offset order, in pieces, up to its end and no further', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq', 2);
    for (let i = 0; i < 7; i++) k.produce('dlq', 0, {}, `a${i}`);
    for (let i = 0; i < 4; i++) k.produce('dlq', 1, {}, `b${i}`);
    const r = reader(k, [
      { partition: 0, from: 1, end: 6 },
      { partition: 1, from: 0, end: 4 },
    ]);
    expect(r.remaining).toBe(9);
    const chunks = await all(r);
    const byPartition = (p: number) =>
      chunks.filter((c) => c.partition === p).flatMap((c) => c.records.map((x) => x.value?.toString()));
    expect(byPartition(0)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(byPartition(1)).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect(chunks.filter((c) => c.partition === 0).at(-1)?.next).toBe(6);
    expect(r.remaining).toBe(0);
  });

  it('goes on from the new first offset when retention deleted what was left to read', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq', 1);
    for (let i = 0; i < 8; i++) k.produce('dlq', 0, {}, `v${i}`);
    k.deleteBefore('dlq', 0, 5);
    const chunks = await all(reader(k, [{ partition: 0, from: 1, end: 8 }]));
    expect(chunks.flatMap((c) => c.records.map((x) => x.offset))).toEqual([5, 6, 7]);
  });

  it('says so instead of spinning when a partition returns nothing below its end', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq', 1);
    k.produce('dlq', 0);
    await expect(all(reader(k, [{ partition: 0, from: 3, end: 9 }]))).rejects.toThrow(
      'reading dlq/0: no record returned at offset 3 (end 9)',
    );
  });

  it('a fetch that fails is an error naming the topic and the broker', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq', 1);
    k.produce('dlq', 0);
    k.corrupt.add('dlq/0');
    await expect(all(reader(k, [{ partition: 0, from: 0, end: 1 }]))).rejects.toThrow(
      /^reading dlq from broker 1: lz4: cannot decode a record batch/,
    );
  });
});
