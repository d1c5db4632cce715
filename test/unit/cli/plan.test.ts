import { describe, expect, it } from 'vitest';
import { decide, prepare, REPLAY_HEADER, replayedFrom, type ReplayRecord } from '../../../src/cli/plan.js';
import { parseContext, type DlqRecordIn } from '../../../src/kafka/dlq-headers.js';

const OPTS = { dlqTopic: 'orders-dlq', maxReplays: 3 };

function dlqRecord(extra: Record<string, string | string[]> = {}, offset = 42): DlqRecordIn {
  const headers: Record<string, Buffer | Buffer[]> = {};
  const all: Record<string, string | string[]> = {
    '__connect.errors.topic': 'orders',
    '__connect.errors.partition': '1',
    '__connect.errors.offset': '7',
    '__connect.errors.stage': 'VALUE_CONVERTER',
    '__connect.errors.exception.class.name': 'org.apache.kafka.connect.errors.DataException',
    trace: 'abc',
    ...extra,
  };
  for (const [k, v] of Object.entries(all))
    headers[k] = Array.isArray(v) ? v.map((x) => Buffer.from(x)) : Buffer.from(v);
  return {
    topic: 'orders-dlq',
    partition: 0,
    offset,
    timestamp: 1_700_000_000_000,
    key: Buffer.from('k1'),
    value: Buffer.from('{broken'),
    headers,
  };
}

function prepared(r: DlqRecordIn, opts = OPTS): ReplayRecord {
  const p = prepare(r, parseContext(r.headers), opts);
  if (p.kind !== 'fix') throw new Error(p.reason);
  return p.record;
}

const text = (h: Buffer | Buffer[] | undefined) =>
  Array.isArray(h) ? h.map((b) => b.toString()) : h?.toString();

describe('replay plan', () => {
  it('republishes to the original topic with the key, value and own headers, counted and traced', () => {
    const input = prepared(dlqRecord({ multi: ['a', 'b'] }));
    expect(input).toMatchObject({
      topic: 'orders',
      replayCount: 0,
      dlq: { topic: 'orders-dlq', offset: 42 },
    });
    expect(input.error.stage).toBe('VALUE_CONVERTER');
    const d = decide(input, input, OPTS);
    if (d.kind !== 'republish') throw new Error(d.reason);
    expect(d.message.topic).toBe('orders');
    expect(d.message.key?.toString()).toBe('k1');
    expect(d.message.value?.toString()).toBe('{broken');
    const h = Object.fromEntries(Object.entries(d.message.headers).map(([k, v]) => [k, text(v)]));
    expect(h).toEqual({
      trace: 'abc',
      multi: ['a', 'b'],
      [REPLAY_HEADER.count]: '1',
      [REPLAY_HEADER.dlqTopic]: 'orders-dlq',
      [REPLAY_HEADER.dlqPartition]: '0',
      [REPLAY_HEADER.dlqOffset]: '42',
    });
    expect(replayedFrom(d.message.headers)).toEqual({ topic: 'orders-dlq', partition: 0, offset: 42 });
  });

  it("counts up from the record's own count and sends it to review at --max-replays", () => {
    const once = prepared(dlqRecord({ [REPLAY_HEADER.count]: '2' }));
    const d = decide(once, once, OPTS);
    expect(d.kind === 'republish' && text(d.message.headers[REPLAY_HEADER.count])).toBe('3');
    const r = dlqRecord({ [REPLAY_HEADER.count]: '3' });
    expect(prepare(r, parseContext(r.headers), OPTS)).toEqual({
      kind: 'review',
      reason: 'replayed 3 times already (--max-replays 3)',
    });
    const bad = dlqRecord({ [REPLAY_HEADER.count]: 'lots' });
    expect(prepare(bad, parseContext(bad.headers), OPTS)).toMatchObject({
      kind: 'review',
      reason: /unreadable/,
    });
  });

  it('needs --to for records that do not say their topic, and --to wins over the header', () => {
    const r = dlqRecord();
    const bare: DlqRecordIn = { ...r, headers: { trace: Buffer.from('x') } };
    expect(prepare(bare, parseContext(bare.headers), OPTS)).toMatchObject({ kind: 'review', reason: /--to/ });
    expect(prepared(bare, { ...OPTS, to: 'elsewhere' } as typeof OPTS).topic).toBe('elsewhere');
    expect(prepared(r, { ...OPTS, to: 'elsewhere' } as typeof OPTS).topic).toBe('elsewhere');
  });

  it('takes what a fix returns: strings become bytes, null and nonsense go to review', () => {
    const input = prepared(dlqRecord());
    const fixed = decide({ ...input, value: '{"fixed":true}', headers: { x: 'y' } }, input, OPTS);
    expect(fixed.kind === 'republish' && fixed.message.value?.toString()).toBe('{"fixed":true}');
    expect(fixed.kind === 'republish' && text(fixed.message.headers.x)).toBe('y');
    expect(decide(null, input, OPTS)).toEqual({
      kind: 'review',
      reason: 'the fix returned null (left for review)',
    });
    expect(decide(undefined, input, OPTS)).toMatchObject({ kind: 'review', reason: /returned nothing/ });
    expect(decide(42, input, OPTS)).toMatchObject({ kind: 'review', reason: /a number/ });
    expect(decide({ ...input, value: 42 }, input, OPTS)).toMatchObject({
      kind: 'review',
      reason: /value of a number/,
    });
    expect(decide({ ...input, topic: '' }, input, OPTS)).toMatchObject({
      kind: 'review',
      reason: /without a topic/,
    });
    expect(decide({ ...input, headers: { h: 5 } }, input, OPTS)).toMatchObject({
      kind: 'review',
      reason: /headers/,
    });
    // The DLQ is never written to, whatever the fix says.
    expect(decide({ ...input, topic: 'orders-dlq' }, input, OPTS)).toMatchObject({
      kind: 'review',
      reason: /is the DLQ itself/,
    });
    // A fix cannot forge the replay headers or bring back Connect's error headers.
    const forged = decide(
      { ...input, headers: { [REPLAY_HEADER.count]: '0', '__connect.errors.stage': 'X' } },
      input,
      OPTS,
    );
    expect(forged.kind === 'republish' && text(forged.message.headers[REPLAY_HEADER.count])).toBe('1');
    expect(forged.kind === 'republish' && forged.message.headers['__connect.errors.stage']).toBeUndefined();
  });
});
