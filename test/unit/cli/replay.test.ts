/**
 * The replay engine against an in-memory Kafka: positions, the in-flight marker that makes a rerun after
 * a lost acknowledgement send nothing twice, limits, filters, the review file, the rate, dry runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError, type DlqCommand } from '../../../src/cli/args.js';
import type { Chunk, KafkaIo, PartitionBounds } from '../../../src/cli/kafka-io.js';
import type { OutMessage } from '../../../src/cli/plan.js';
import { replay, type ReplayDeps } from '../../../src/cli/replay.js';
import type { Terminal } from '../../../src/cli/terminal.js';
import type { TopicLayout } from '../../../src/kafka/connection.js';
import type { DlqRecordIn } from '../../../src/kafka/dlq-headers.js';

type Cmd = Extract<DlqCommand, { kind: 'replay' }>;

/** Topics of records, groups of positions; `send` can lose its acknowledgement after writing. */
class MemoryKafka {
  readonly topics = new Map<string, DlqRecordIn[][]>();
  readonly groups = new Map<string, Map<number, { offset: number; metadata: string }>>();
  /** Sends left before one is written but not acknowledged. */
  loseAckAfter = Infinity;
  /** The unacknowledged send writes only its first record (one of several requests got through). */
  partial = false;
  /** The producer's clock: record timestamps. */
  clock = Date.now();
  sends = 0;

  create(topic: string, partitions: number): void {
    this.topics.set(
      topic,
      Array.from({ length: partitions }, () => []),
    );
  }

  append(topic: string, partition: number, r: Omit<DlqRecordIn, 'topic' | 'partition' | 'offset'>): void {
    const log = this.topics.get(topic)![partition]!;
    log.push({ ...r, topic, partition, offset: log.length });
  }

  io(): KafkaIo {
    const layoutOf = (topic: string): TopicLayout | undefined => {
      const t = this.topics.get(topic);
      return t ? { topic, leaders: new Map(t.map((_, i) => [i, 1])) } : undefined;
    };
    const io = {
      layout: async (topic: string) => layoutOf(topic),
      bounds: async (l: TopicLayout): Promise<PartitionBounds[]> =>
        this.topics.get(l.topic)!.map((log, partition) => ({ partition, start: 0, end: log.length })),
      offsetsAt: async (l: TopicLayout, ts: number) =>
        new Map(this.topics.get(l.topic)!.map((log, p) => [p, log.findIndex((r) => r.timestamp >= ts)])),
      positions: async (group: string) => new Map(this.groups.get(group) ?? []),
      commit: async (
        group: string,
        _topic: string,
        entries: { partition: number; offset: number; metadata?: string }[],
      ) => {
        let g = this.groups.get(group);
        if (!g) this.groups.set(group, (g = new Map()));
        for (const e of entries) g.set(e.partition, { offset: e.offset, metadata: e.metadata ?? '' });
      },
      send: async (messages: readonly OutMessage[]) => {
        this.sends++;
        const lost = this.sends > this.loseAckAfter;
        for (const m of lost && this.partial ? messages.slice(0, 1) : messages) {
          const headers: Record<string, Buffer> = {};
          for (const [k, v] of Object.entries(m.headers)) headers[k] = Array.isArray(v) ? v[0]! : v;
          // As kafkajs does: the producer stamps each record with its clock when it sends.
          this.append(m.topic, 0, { timestamp: Date.now(), key: m.key, value: m.value, headers });
        }
        if (this.sends > this.loseAckAfter)
          throw new Error('Request timed out (the acknowledgement was lost)');
      },
      reader: (l: TopicLayout, ranges: readonly { partition: number; from: number; end: number }[]) => {
        const chunks: Chunk[] = ranges.map((r) => ({
          partition: r.partition,
          records: this.topics.get(l.topic)![r.partition]!.slice(r.from, r.end),
          next: r.end,
        }));
        // Two records per chunk, as fetches of a busy partition come in pieces.
        const split = chunks.flatMap((c) =>
          Array.from({ length: Math.ceil(c.records.length / 2) }, (_, i) => {
            const records = c.records.slice(i * 2, i * 2 + 2);
            return { partition: c.partition, records, next: records[records.length - 1]!.offset + 1 };
          }),
        );
        return {
          remaining: chunks.reduce((n, c) => n + c.records.length, 0),
          next: async () => split.shift(),
        };
      },
    };
    return io as unknown as KafkaIo;
  }
}

function terminal(): Terminal & { text: string; errors: string } {
  const t = {
    text: '',
    errors: '',
    out: (s: string) => void (t.text += s),
    err: (s: string) => void (t.errors += s),
    outIsTty: false,
    errIsTty: false,
    columns: 120,
    defaultOutput: 'json' as const,
  };
  return t;
}

const TARGET = { connector: 'orders-sink', topic: 'orders-dlq', contextHeaders: true };

function dlqHeaders(stage = 'VALUE_CONVERTER', extra: Record<string, string> = {}): Record<string, Buffer> {
  const h: Record<string, string> = {
    '__connect.errors.topic': 'orders',
    '__connect.errors.stage': stage,
    '__connect.errors.exception.class.name': 'org.apache.kafka.connect.errors.DataException',
    ...extra,
  };
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(v)]));
}

describe('replay', () => {
  let k: MemoryKafka;
  let dir: string;
  let cmd: Cmd;

  beforeEach(() => {
    k = new MemoryKafka();
    k.create('orders-dlq', 2);
    k.create('orders', 1);
    for (let i = 0; i < 10; i++)
      k.append('orders-dlq', i % 2, {
        timestamp: 1_000 + i,
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`v${i}`),
        headers: dlqHeaders(i === 7 ? 'TASK_PUT' : 'VALUE_CONVERTER'),
      });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-test-'));
    cmd = {
      kind: 'replay',
      connector: 'orders-sink',
      filters: {},
      sidecarArgv: [],
      maxReplays: 3,
      reviewFile: path.join(dir, 'review.jsonl'),
      group: 'g',
      fromBeginning: false,
      dryRun: false,
    };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (c: Cmd, extra: Partial<ReplayDeps> = {}) =>
    replay(c, { io: k.io(), target: TARGET, term: terminal(), ...extra });
  const sentCoords = () =>
    k.topics
      .get('orders')![0]!
      .map(
        (r) =>
          `${r.headers['connect-sentinel.replay.dlq.partition']}:${r.headers['connect-sentinel.replay.dlq.offset']}`,
      );

  it('republishes every record once and commits the end; a rerun sends nothing', async () => {
    expect((await run(cmd)).summary).toEqual({
      read: 10,
      republished: 10,
      skippedByFilter: 0,
      alreadyRepublished: 0,
      review: 0,
      failed: 0,
    });
    expect(new Set(sentCoords()).size).toBe(10);
    expect([...k.groups.get('g')!]).toEqual([
      [0, { offset: 5, metadata: '' }],
      [1, { offset: 5, metadata: '' }],
    ]);
    expect((await run(cmd)).summary).toMatchObject({ read: 0, republished: 0 });
    expect(sentCoords()).toHaveLength(10);
    // --from-beginning starts over on purpose.
    expect((await run({ ...cmd, fromBeginning: true })).summary.republished).toBe(10);
  });

  it('after a lost acknowledgement, exits 1 and the rerun sends only what was not written', async () => {
    k.loseAckAfter = 1;
    const first = await run(cmd);
    expect(first.code).toBe(1);
    expect(first.summary.failed).toBe(2);
    // Written by the broker, but the run could not know: the marker says so.
    expect(sentCoords()).toHaveLength(4);
    k.loseAckAfter = Infinity;
    const second = await run(cmd);
    expect(second.code).toBe(0);
    expect(second.summary).toMatchObject({ alreadyRepublished: 2, republished: 6 });
    expect(sentCoords().sort()).toEqual(
      ['0:0', '0:1', '0:2', '0:3', '0:4', '1:0', '1:1', '1:2', '1:3', '1:4'].sort(),
    );
  });

  it('two runs stopped in a row over the same records: the third still finds what the first wrote', async () => {
    const at = { now: () => k.clock };
    k.loseAckAfter = 1;
    k.partial = true;
    // Run 1: partition 0's second step (offsets 2, 3) reaches the topic with offset 2 only.
    expect((await run(cmd, at)).code).toBe(1);
    expect(sentCoords()).toEqual(['0:0', '0:1', '0:2']);
    // Run 2, ten minutes later: offset 2 is recognized, offset 3 is sent and its ack is lost too.
    k.clock += 600_000;
    k.sends = 0;
    k.loseAckAfter = 0;
    k.partial = false;
    const second = await run(cmd, at);
    expect([second.code, second.summary.alreadyRepublished]).toEqual([1, 1]);
    expect(sentCoords()).toEqual(['0:0', '0:1', '0:2', '0:3']);
    // Run 3, ten minutes later again: offsets 2 and 3 were both written, by two different runs.
    k.clock += 600_000;
    k.loseAckAfter = Infinity;
    const third = await run(cmd, at);
    expect(third.code).toBe(0);
    expect(third.summary).toMatchObject({ alreadyRepublished: 2, republished: 6 });
    expect(new Set(sentCoords()).size).toBe(10);
    expect(sentCoords()).toHaveLength(10);
  });

  it('stops at --limit matching records and resumes after the last one handled', async () => {
    const limited = await run({ ...cmd, filters: { limit: 3, stage: new Set(['VALUE_CONVERTER']) } });
    expect(limited.summary).toMatchObject({ read: 3, republished: 3 });
    const rest = await run({ ...cmd, filters: { stage: new Set(['VALUE_CONVERTER']) } });
    // Offset 3 of partition 1 is the TASK_PUT record: skipped by the filter, and done for this group.
    expect(rest.summary).toMatchObject({ republished: 6, skippedByFilter: 1 });
    expect(sentCoords()).not.toContain('1:3');
  });

  it('sends records at the limit of replays to the review file once, even when a run is repeated', async () => {
    k.append('orders-dlq', 0, {
      timestamp: 2_000,
      key: null,
      value: Buffer.from('again'),
      headers: dlqHeaders('TASK_PUT', { 'connect-sentinel.replay.count': '3' }),
    });
    const r = await run({ ...cmd, filters: { stage: new Set(['TASK_PUT']) } });
    expect(r.summary).toMatchObject({ republished: 1, review: 1 });
    await run({ ...cmd, fromBeginning: true, filters: { stage: new Set(['TASK_PUT']) } });
    const lines = fs.readFileSync(cmd.reviewFile, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      reason: 'replayed 3 times already (--max-replays 3)',
      dlq: { topic: 'orders-dlq', partition: 0, offset: 5 },
      value: { text: 'again', encoding: 'utf8' },
    });
  });

  it('a fix that throws or returns null leaves the record for review; the rest go out fixed', async () => {
    const fix = (r: { value: Buffer | null; error: { stage: string } }) => {
      if (r.error.stage === 'TASK_PUT') throw new Error('cannot repair');
      if (r.value?.toString() === 'v0') return null;
      return { ...r, value: `fixed ${r.value?.toString()}` };
    };
    const r = await run(cmd, { fix: fix as NonNullable<ReplayDeps['fix']> });
    expect(r.summary).toMatchObject({ republished: 8, review: 2 });
    expect(k.topics.get('orders')![0]!.every((m) => m.value?.toString().startsWith('fixed '))).toBe(true);
    const reasons = fs
      .readFileSync(cmd.reviewFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { reason: string }).reason);
    expect(reasons.sort()).toEqual([
      'the fix returned null (left for review)',
      'the fix threw: cannot repair',
    ]);
  });

  it('--dry-run shows each decision and sends, commits and writes nothing', async () => {
    const term = terminal();
    const r = await replay(
      { ...cmd, dryRun: true, filters: { partition: 1 } },
      { io: k.io(), target: TARGET, term },
    );
    expect(r.summary).toMatchObject({ read: 5, republished: 5 });
    expect(term.text.split('\n').filter((l) => l.includes('"action":"republish"'))).toHaveLength(5);
    expect(k.sends).toBe(0);
    expect(k.groups.size).toBe(0);
    expect(fs.existsSync(cmd.reviewFile)).toBe(false);
  });

  it("draws a progress bar on a terminal's stderr, cleared before the summary, and none on a pipe", async () => {
    const tty = { ...terminal(), errIsTty: true };
    let errors = '';
    tty.err = (t: string) => void (errors += t);
    await replay(cmd, { io: k.io(), target: TARGET, term: tty });
    expect(errors).toMatch(/\r\[#{40}\] 10\/10 100% \d+ rec\/s/);
    expect(errors.endsWith(`\r${' '.repeat(119)}\r`)).toBe(true);
    const pipe = terminal();
    await replay({ ...cmd, fromBeginning: true }, { io: k.io(), target: TARGET, term: pipe });
    expect(pipe.errors).toBe('');
  });

  it('--rate paces the sends by the clock', async () => {
    let now = 0;
    const slept: number[] = [];
    const r = await run(
      { ...cmd, rate: 4 },
      {
        now: () => now,
        sleep: async (ms) => {
          slept.push(ms);
          now += ms;
        },
      },
    );
    expect(r.summary.republished).toBe(10);
    // 10 records at 4/s: the last one is due 2.5 s after the start.
    expect(now).toBe(2_500);
    expect(slept.every((ms) => ms > 0)).toBe(true);
  });

  it('refuses --to the DLQ itself, a --to that does not exist, and a headerless DLQ without --to', async () => {
    await expect(run({ ...cmd, to: 'orders-dlq' })).rejects.toThrow(UsageError);
    await expect(run({ ...cmd, to: 'nowhere' })).rejects.toThrow('--to: topic nowhere does not exist');
    await expect(
      replay(cmd, { io: k.io(), target: { ...TARGET, contextHeaders: false }, term: terminal() }),
    ).rejects.toThrow(/^--to: orders-sink writes no context headers/);
  });
});
