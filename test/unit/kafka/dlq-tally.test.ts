import { describe, expect, it } from 'vitest';
import type { DlqTarget } from '../../../src/kafka/discovery.js';
import { HEADER, type DlqRecordIn } from '../../../src/kafka/dlq-headers.js';
import { attribute, DlqTally, type TallyOptions } from '../../../src/kafka/dlq-tally.js';

const OPTS: TallyOptions = { maxExceptionClasses: 3, recentRecords: 4, showPayload: false, payloadLimit: 8 };
const one = (connector: string, topic: string, contextHeaders = true): DlqTarget[] => [
  { connector, topic, contextHeaders },
];

let offset = 0;
function rec(topic: string, h: Record<string, string> = {}, extra: Partial<DlqRecordIn> = {}): DlqRecordIn {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(h)) headers[k] = Buffer.from(v);
  return {
    topic,
    partition: 0,
    offset: offset++,
    timestamp: 1_700_000_000_000 + offset,
    key: Buffer.from('key-1234567890'),
    value: Buffer.from('value'),
    headers,
    ...extra,
  };
}
const failure = (stage: string, cls: string, connector?: string): Record<string, string> => ({
  [HEADER.stage]: stage,
  [HEADER.exceptionClass]: cls,
  ...(connector ? { [HEADER.connector]: connector } : {}),
});

describe('DlqTally counts', () => {
  it('counts per connector, topic, stage and exception class', () => {
    const t = new DlqTally(OPTS);
    const targets = one('sink', 'dlq');
    t.add(rec('dlq', failure('VALUE_CONVERTER', 'org.apache.kafka.connect.errors.DataException')), targets);
    t.add(rec('dlq', failure('VALUE_CONVERTER', 'org.apache.kafka.connect.errors.DataException')), targets);
    t.add(rec('dlq', failure('TRANSFORMATION', 'org.apache.kafka.connect.errors.DataException')), targets);
    t.add(rec('dlq'), targets);
    expect(t.counts()).toEqual([
      {
        connector: 'sink',
        topic: 'dlq',
        stage: 'TRANSFORMATION',
        exceptionClass: 'org.apache.kafka.connect.errors.DataException',
        count: 1,
      },
      {
        connector: 'sink',
        topic: 'dlq',
        stage: 'VALUE_CONVERTER',
        exceptionClass: 'org.apache.kafka.connect.errors.DataException',
        count: 2,
      },
      { connector: 'sink', topic: 'dlq', stage: 'unknown', exceptionClass: 'unknown', count: 1 },
    ]);
  });

  it('folds exception classes past the cap into "other", per connector, and keeps admitted ones', () => {
    const t = new DlqTally(OPTS);
    for (const c of ['a.A', 'b.B', 'c.C', 'd.D', 'e.E', 'a.A'])
      t.add(rec('dlq', failure('TASK_PUT', c)), one('s1', 'dlq'));
    t.add(rec('dlq2', failure('TASK_PUT', 'd.D')), one('s2', 'dlq2'));
    t.add(rec('dlq2'), one('s2', 'dlq2'));
    const s1 = t.counts().filter((c) => c.connector === 's1');
    expect(s1.map((c) => [c.exceptionClass, c.count])).toEqual([
      ['a.A', 2],
      ['b.B', 1],
      ['c.C', 1],
      ['other', 2],
    ]);
    // Another connector has its own budget; "unknown" does not use it up.
    expect(
      t
        .counts()
        .filter((c) => c.connector === 's2')
        .map((c) => c.exceptionClass),
    ).toEqual(['d.D', 'unknown']);
  });

  it('never keeps more series than the cap however many classes arrive', () => {
    const t = new DlqTally(OPTS);
    for (let i = 0; i < 10_000; i++) t.add(rec('dlq', failure('TASK_PUT', `x.E${i}`)), one('s', 'dlq'));
    expect(t.counts()).toHaveLength(OPTS.maxExceptionClasses + 1);
    expect(t.counts().reduce((n, c) => n + c.count, 0)).toBe(10_000);
  });

  it('reports the newest record timestamp per connector and topic', () => {
    const t = new DlqTally(OPTS);
    t.add(rec('dlq', {}, { timestamp: 5_000 }), one('s', 'dlq'));
    t.add(rec('dlq', {}, { timestamp: 9_000 }), one('s', 'dlq'));
    t.add(rec('dlq', {}, { timestamp: 7_000 }), one('s', 'dlq'));
    expect(t.newest()).toEqual([{ connector: 's', topic: 'dlq', timestampSeconds: 9 }]);
  });

  it('forgets connectors and topics that are gone', () => {
    const t = new DlqTally(OPTS);
    t.add(rec('dlq-a'), one('a', 'dlq-a'));
    t.add(rec('dlq-b'), one('b', 'dlq-b'));
    t.add(rec('dlq-old'), one('b', 'dlq-old'));
    t.retain(new Set(['b\u0000dlq-b']));
    expect(t.counts().map((c) => `${c.connector}/${c.topic}`)).toEqual(['b/dlq-b']);
    expect(t.newest().map((c) => `${c.connector}/${c.topic}`)).toEqual(['b/dlq-b']);
    expect([...t.recent().keys()]).toEqual(['b']);
  });
});

describe('attribution on shared DLQ topics', () => {
  const shared: DlqTarget[] = [
    { connector: 'alpha', topic: 'dlq', contextHeaders: true },
    { connector: 'beta', topic: 'dlq', contextHeaders: false },
    { connector: 'gamma', topic: 'dlq', contextHeaders: true },
  ];

  it('trusts the connector.name header when it names a connector of that topic', () => {
    expect(
      attribute({ hasContext: true, stage: 'TASK_PUT', exceptionClass: 'x', connector: 'gamma' }, shared),
    ).toBe('gamma');
  });

  it('attributes a headerless record to the only sharer without context headers', () => {
    expect(attribute({ hasContext: false, stage: 'unknown', exceptionClass: 'unknown' }, shared)).toBe(
      'beta',
    );
  });

  it('falls back to the first connector by name when the sharers cannot be told apart', () => {
    const allHeaders = shared.map((s) => ({ ...s, contextHeaders: true }));
    expect(attribute({ hasContext: false, stage: 'unknown', exceptionClass: 'unknown' }, allHeaders)).toBe(
      'alpha',
    );
  });

  it('counts nobody for a record naming a connector not configured with the topic', () => {
    const t = new DlqTally(OPTS);
    t.add(rec('dlq', failure('TASK_PUT', 'x.Y', 'deleted-connector')), shared);
    expect(t.counts()).toEqual([]);
    expect(t.unattributed).toBe(1);
  });
});

describe('recent records for /api/v1/dlq', () => {
  it('keeps the last N per connector, newest first, without payload by default', () => {
    const t = new DlqTally(OPTS);
    for (let i = 0; i < 7; i++)
      t.add(
        rec('dlq', { ...failure('VALUE_CONVERTER', 'x.E'), [HEADER.exceptionMessage]: `m${i}` }),
        one('s', 'dlq'),
      );
    const recent = t.recent().get('s')!;
    expect(recent.map((r) => r.exceptionMessage)).toEqual(['m6', 'm5', 'm4', 'm3']);
    expect(recent[0]).not.toHaveProperty('key');
    expect(recent[0]).not.toHaveProperty('value');
    expect(recent[0]?.stage).toBe('VALUE_CONVERTER');
  });

  it('shows keys and values cut to the limit only when asked', () => {
    const t = new DlqTally({ ...OPTS, showPayload: true });
    t.add(rec('dlq'), one('s', 'dlq'));
    const r = t.recent().get('s')![0]!;
    expect(r.key).toEqual({ text: 'key-1234', encoding: 'utf8', truncated: true });
    expect(r.value).toEqual({ text: 'value', encoding: 'utf8', truncated: false });
  });

  it('keeps nothing with recentRecords 0 but still counts', () => {
    const t = new DlqTally({ ...OPTS, recentRecords: 0 });
    t.add(rec('dlq'), one('s', 'dlq'));
    expect(t.recent().get('s')).toEqual([]);
    expect(t.counts()[0]?.count).toBe(1);
  });
});
