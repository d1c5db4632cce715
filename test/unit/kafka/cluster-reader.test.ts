import { describe, expect, it } from 'vitest';
import type { ConnectorView } from '../../../src/connect/types.js';
import { ClusterKafkaReader } from '../../../src/kafka/cluster-reader.js';
import { HEADER } from '../../../src/kafka/dlq-headers.js';
import { FakeKafka } from './fake-kafka.js';

function sink(name: string, config: Record<string, string>): ConnectorView {
  return { name, type: 'sink', state: 'RUNNING', workerId: 'w:1', tasks: [], className: 'x.Sink', config };
}
const withDlq = (
  name: string,
  dlq: string,
  headers = true,
  extra: Record<string, string> = {},
): ConnectorView =>
  sink(name, {
    topics: `${name}-in`,
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': dlq,
    'errors.deadletterqueue.context.headers.enable': String(headers),
    ...extra,
  });
const converterFailure = (connector: string): Record<string, string> => ({
  [HEADER.stage]: 'VALUE_CONVERTER',
  [HEADER.exceptionClass]: 'org.apache.kafka.connect.errors.DataException',
  [HEADER.connector]: connector,
  [HEADER.exceptionMessage]: 'Converting byte[] to Kafka Connect data failed',
});

function reader(kafka: FakeKafka, backlogPerPartition = 100): ClusterKafkaReader {
  return new ClusterKafkaReader(kafka, {
    maxExceptionClasses: 5,
    recentRecords: 3,
    showPayload: false,
    payloadLimit: 16,
    backlogPerPartition,
  });
}
const soon = (): number => Date.now() + 5_000;

describe('ClusterKafkaReader', () => {
  it('sums a multi-partition DLQ and counts its records by stage', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq', 3);
    k.createTopic('s-in');
    for (const p of [0, 0, 1, 2, 2, 2]) k.produce('dlq', p, converterFailure('s'));
    const r = reader(k);
    const data = await r.read([withDlq('s', 'dlq')], soon());
    expect(data.dlq).toEqual([{ connector: 's', topic: 'dlq', records: 6, written: 6, partitions: 3 }]);
    expect(data.dlqErrors).toEqual([
      {
        connector: 's',
        topic: 'dlq',
        stage: 'VALUE_CONVERTER',
        exceptionClass: 'org.apache.kafka.connect.errors.DataException',
        count: 6,
      },
    ]);
    expect(data.dlqLast[0]?.connector).toBe('s');
  });

  it('skips only the partition holding a batch no codec decodes, warns once, and reads the others', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq', 2);
    k.createTopic('s-in');
    for (const p of [0, 0, 1]) k.produce('dlq', p, converterFailure('s'));
    k.corrupt.add('dlq/1');
    const warnings: string[] = [];
    const logger = { warn: (_: unknown, msg: string) => warnings.push(msg), debug: () => undefined };
    const r = new ClusterKafkaReader(k, {
      maxExceptionClasses: 5,
      recentRecords: 3,
      showPayload: false,
      payloadLimit: 16,
      backlogPerPartition: 100,
      logger: logger as never,
    });
    const first = await r.read([withDlq('s', 'dlq')], soon());
    expect(first.dlqErrors.map((e) => e.count)).toEqual([2]);
    // The offsets still count every record; only the reasons of the bad partition are missing.
    expect(first.dlq[0]).toMatchObject({ records: 3 });
    expect(first.dlqStatus.reader.error).toBeNull();
    k.produce('dlq', 0, converterFailure('s'));
    k.fetched = [];
    const second = await r.read([withDlq('s', 'dlq')], soon());
    expect(second.dlqErrors.map((e) => e.count)).toEqual([3]);
    expect(k.fetched.some((f) => f.startsWith('dlq/1@'))).toBe(false);
    expect(warnings.filter((w) => /cannot be decoded/.test(w))).toHaveLength(1);
  });

  it('leaves out the DLQ series of a topic that does not exist (yet), and says why in the status', async () => {
    const k = new FakeKafka();
    k.createTopic('s-in');
    const r = reader(k);
    const data = await r.read([withDlq('s', 'not-created-yet')], soon());
    expect(data.dlq).toEqual([]);
    expect(data.dlqErrors).toEqual([]);
    expect(data.dlqStatus.connectors[0]).toMatchObject({
      connector: 's',
      records: null,
      problem: expect.stringMatching(/does not exist/),
    });
  });

  it('reads every record of a DLQ created after it started watching, and only the backlog of an old one', async () => {
    const k = new FakeKafka();
    k.createTopic('old-dlq');
    for (let i = 0; i < 50; i++) k.produce('old-dlq', 0, converterFailure('old'));
    const r = reader(k, 10);
    const cs = [withDlq('old', 'old-dlq'), withDlq('new', 'new-dlq')];
    await r.read(cs, soon());
    k.createTopic('new-dlq');
    for (let i = 0; i < 30; i++) k.produce('new-dlq', 0, converterFailure('new'));
    const data = await r.read(cs, soon());
    const count = (c: string): number =>
      data.dlqErrors.filter((e) => e.connector === c).reduce((n, e) => n + e.count, 0);
    expect(count('old')).toBe(10);
    expect(count('new')).toBe(30);
  });

  it('counts each new DLQ record exactly once across polls and fetches nothing when the DLQ is quiet', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq');
    const r = reader(k);
    const cs = [withDlq('s', 'dlq')];
    await r.read(cs, soon());
    for (let i = 0; i < 7; i++) k.produce('dlq', 0, converterFailure('s'));
    let data = await r.read(cs, soon());
    expect(data.dlqErrors[0]?.count).toBe(7);
    const fetchesBefore = k.calls.fetch;
    data = await r.read(cs, soon());
    expect(data.dlqErrors[0]?.count).toBe(7);
    expect(k.calls.fetch).toBe(fetchesBefore);
    k.produce('dlq', 0, converterFailure('s'));
    data = await r.read(cs, soon());
    expect(data.dlqErrors[0]?.count).toBe(8);
    expect(data.dlq[0]).toMatchObject({ records: 8, written: 8 });
  });

  it('restarts at the start offset when retention deleted records it had not read', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq');
    const r = reader(k);
    const cs = [withDlq('s', 'dlq')];
    await r.read(cs, soon());
    for (let i = 0; i < 10; i++) k.produce('dlq', 0, converterFailure('s'));
    k.deleteBefore('dlq', 0, 6);
    const data = await r.read(cs, soon());
    expect(data.dlqErrors[0]?.count).toBe(4);
    expect(data.dlq[0]).toMatchObject({ records: 4, written: 10 });
  });

  it('resumes at the start when retention deletes records between ListOffsets and Fetch', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq');
    const r = reader(k);
    const cs = [withDlq('s', 'dlq')];
    await r.read(cs, soon());
    for (let i = 0; i < 10; i++) k.produce('dlq', 0, converterFailure('s'));
    k.beforeFetch = () => {
      k.deleteBefore('dlq', 0, 4);
      k.beforeFetch = undefined;
    };
    const first = await r.read(cs, soon());
    // The ListOffsets of this poll still saw start 0; the Fetch answers OFFSET_OUT_OF_RANGE.
    expect(first.dlq[0]).toMatchObject({ records: 10, written: 10 });
    const data = await r.read(cs, soon());
    expect(data.dlqErrors[0]?.count).toBe(6);
    expect(data.dlq[0]).toMatchObject({ records: 6, written: 10 });
  });

  it('leaves out only the DLQ whose partitions have no leader; the others and kafka_up are unaffected', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq-a');
    k.createTopic('dlq-b');
    k.produce('dlq-b', 0, converterFailure('b'));
    k.offline.add('dlq-a');
    const r = reader(k);
    const data = await r.read([withDlq('a', 'dlq-a'), withDlq('b', 'dlq-b')], soon());
    expect(data.dlq.map((d) => d.connector)).toEqual(['b']);
    expect(data.dlqErrors.map((d) => d.connector)).toEqual(['b']);
    expect(data.dlqStatus.connectors.find((c) => c.connector === 'a')?.problem).toBe(
      'a partition has no leader',
    );
  });

  it('counts a record without context headers as unknown, for the connector of its topic', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq');
    for (let i = 0; i < 2; i++) k.produce('dlq', 0, { origin: 'test' });
    const data = await reader(k).read([withDlq('s', 'dlq', false)], soon());
    expect(data.dlqErrors).toEqual([
      { connector: 's', topic: 'dlq', stage: 'unknown', exceptionClass: 'unknown', count: 2 },
    ]);
  });

  it('computes sink lag from the group of each connector, including an overridden group', async () => {
    const k = new FakeKafka();
    k.createTopic('a-in', 2);
    k.createTopic('b-in');
    for (let i = 0; i < 10; i++) k.produce('a-in', i % 2);
    for (let i = 0; i < 4; i++) k.produce('b-in', 0);
    k.commit('connect-a', 'a-in', 0, 5);
    k.commit('connect-a', 'a-in', 1, 2);
    k.commit('team-b', 'b-in', 0, 4);
    const data = await reader(k).read(
      [
        sink('a', { topics: 'a-in' }),
        sink('b', { 'topics.regex': 'b-.*', 'consumer.override.group.id': 'team-b' }),
      ],
      soon(),
    );
    expect(data.lag).toEqual([
      { connector: 'a', topic: 'a-in', lag: 3, committed: 7 },
      { connector: 'b', topic: 'b-in', lag: 0, committed: 4 },
    ]);
  });

  it('throws when Kafka is down, so the poller marks kafka_up 0', async () => {
    const k = new FakeKafka();
    k.down = true;
    await expect(reader(k).read([withDlq('s', 'dlq')], soon())).rejects.toThrow(/ECONNREFUSED/);
  });

  it('forgets a deleted connector: its counts and recent records go', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq');
    k.produce('dlq', 0, converterFailure('s'));
    const r = reader(k);
    expect((await r.read([withDlq('s', 'dlq')], soon())).dlqErrors).toHaveLength(1);
    const after = await r.read([], soon());
    expect(after.dlqErrors).toEqual([]);
    expect(after.dlq).toEqual([]);
    expect(after.dlqStatus.connectors).toEqual([]);
  });

  it('shows the last errant records per connector in the status, newest first', async () => {
    const k = new FakeKafka();
    k.createTopic('dlq');
    const r = reader(k);
    const cs = [withDlq('s', 'dlq')];
    await r.read(cs, soon());
    for (let i = 0; i < 5; i++)
      k.produce('dlq', 0, {
        ...converterFailure('s'),
        [HEADER.offset]: String(100 + i),
        [HEADER.topic]: 's-in',
        [HEADER.partition]: '0',
      });
    const st = (await r.read(cs, soon())).dlqStatus;
    expect(st.connectors[0]?.recent.map((x) => x.original?.offset)).toEqual([104, 103, 102]);
    expect(st.connectors[0]?.recent[0]).toMatchObject({
      stage: 'VALUE_CONVERTER',
      exceptionMessage: 'Converting byte[] to Kafka Connect data failed',
    });
    expect(st.reader.caughtUp).toBe(true);
  });
});
