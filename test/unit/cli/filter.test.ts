import { describe, expect, it } from 'vitest';
import { matches, ranges } from '../../../src/cli/filter.js';
import { parseContext, type DlqRecordIn } from '../../../src/kafka/dlq-headers.js';

function rec(
  offset: number,
  headers: Record<string, string>,
  timestamp = 1_000_000,
  partition = 0,
): DlqRecordIn {
  const h: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(headers)) h[k] = Buffer.from(v);
  return { topic: 'dlq', partition, offset, timestamp, key: null, value: null, headers: h };
}

const converter = {
  '__connect.errors.stage': 'VALUE_CONVERTER',
  '__connect.errors.exception.class.name': 'org.apache.kafka.connect.errors.DataException',
  '__connect.errors.topic': 'orders',
};
const put = {
  '__connect.errors.stage': 'TASK_PUT',
  '__connect.errors.exception.class.name': 'java.sql.SQLException',
  '__connect.errors.topic': 'payments',
};

const m = (r: DlqRecordIn, f: Parameters<typeof matches>[2]) => matches(r, parseContext(r.headers), f);

describe('matches', () => {
  it('no filter matches everything, a record without headers included', () => {
    expect(m(rec(0, {}), {})).toBe(true);
  });

  it('filters on stage, exception class, original topic, time, partition and offsets', () => {
    const a = rec(5, converter, 1_000);
    const b = rec(6, put, 2_000, 1);
    expect([a, b].filter((r) => m(r, { stage: new Set(['TASK_PUT']) }))).toEqual([b]);
    expect([a, b].filter((r) => m(r, { stage: new Set(['unknown']) }))).toEqual([]);
    expect(m(rec(1, {}), { stage: new Set(['unknown']) })).toBe(true);
    expect([a, b].filter((r) => m(r, { exceptionClass: /DataException/ }))).toEqual([a]);
    expect([a, b].filter((r) => m(r, { originalTopic: 'payments' }))).toEqual([b]);
    expect([a, b].filter((r) => m(r, { since: 1_500 }))).toEqual([b]);
    expect([a, b].filter((r) => m(r, { until: 1_000 }))).toEqual([a]);
    expect([a, b].filter((r) => m(r, { partition: 1 }))).toEqual([b]);
    expect([a, b].filter((r) => m(r, { offset: { from: 6 } }))).toEqual([b]);
    expect([a, b].filter((r) => m(r, { offset: { to: 5 } }))).toEqual([a]);
    expect([a, b].filter((r) => m(r, { stage: new Set(['TASK_PUT']), originalTopic: 'orders' }))).toEqual([]);
  });
});

describe('ranges', () => {
  const parts = [
    { partition: 1, start: 10, end: 20 },
    { partition: 0, start: 0, end: 5 },
    { partition: 2, start: 7, end: 7 },
  ];
  it('reads every non-empty partition whole, in partition order', () => {
    expect(ranges(parts, {})).toEqual([
      { partition: 0, from: 0, end: 5 },
      { partition: 1, from: 10, end: 20 },
    ]);
  });
  it('narrows to the partition and the inclusive offset range, and drops what is left empty', () => {
    expect(ranges(parts, { partition: 1, offset: { from: 12, to: 14 } })).toEqual([
      { partition: 1, from: 12, end: 15 },
    ]);
    expect(ranges(parts, { offset: { from: 3, to: 8 } })).toEqual([{ partition: 0, from: 3, end: 5 }]);
    expect(ranges(parts, { offset: { from: 100 } })).toEqual([]);
  });
});
