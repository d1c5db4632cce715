import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dlqView, topicLag } from '../../../src/kafka/lag.js';

describe('topicLag', () => {
  it('sums end − committed over partitions and sums the committed offsets', () => {
    expect(
      topicLag([
        { start: 0, end: 100, committed: 90 },
        { start: 0, end: 50, committed: 50 },
        { start: 10, end: 20, committed: 15 },
      ]),
    ).toEqual({ lag: 15, committed: 155 });
  });

  it('counts a partition with nothing committed from its start offset (auto.offset.reset=earliest)', () => {
    expect(
      topicLag([
        { start: 40, end: 100 },
        { start: 0, end: 7, committed: -1 },
      ]),
    ).toEqual({ lag: 67, committed: 0 });
  });

  it('counts it as 0 when the sink resets to latest', () => {
    expect(topicLag([{ start: 40, end: 100 }], true)).toEqual({ lag: 0, committed: 0 });
    expect(topicLag([{ start: 40, end: 100, committed: 60 }], true)).toEqual({ lag: 40, committed: 60 });
  });

  it('does not count records retention already deleted, nor a committed offset past the end', () => {
    expect(topicLag([{ start: 500, end: 600, committed: 100 }])).toEqual({ lag: 100, committed: 100 });
    expect(topicLag([{ start: 0, end: 10, committed: 12 }])).toEqual({ lag: 0, committed: 12 });
  });

  it('property: with committed offsets within [start, end], lag + committed = Σ end and lag ≥ 0', () => {
    const partition = fc.tuple(fc.nat(1_000_000), fc.nat(1_000_000), fc.nat(1_000_000)).map(([a, b, c]) => {
      const [start, committed, end] = [a, b, c].sort((x, y) => x - y) as [number, number, number];
      return { start, committed, end };
    });
    fc.assert(
      fc.property(fc.array(partition, { maxLength: 50 }), (parts) => {
        const l = topicLag(parts);
        expect(l.lag).toBeGreaterThanOrEqual(0);
        expect(l.lag + l.committed).toBe(parts.reduce((n, p) => n + p.end, 0));
      }),
    );
  });

  it('property: lag never negative, whatever the offsets', () => {
    const any = fc.record({
      start: fc.integer({ min: 0, max: 1e9 }),
      end: fc.integer({ min: 0, max: 1e9 }),
      committed: fc.integer({ min: -1, max: 1e9 }),
    });
    fc.assert(
      fc.property(
        fc.array(any, { maxLength: 20 }),
        fc.boolean(),
        (parts, latest) => topicLag(parts, latest).lag >= 0,
      ),
    );
  });
});

describe('dlqView', () => {
  it('sums retained records and records ever written over all partitions', () => {
    expect(
      dlqView('sink', 'dlq', [
        { start: 0, end: 2 },
        { start: 1, end: 4 },
        { start: 0, end: 0 },
      ]),
    ).toEqual({ connector: 'sink', topic: 'dlq', records: 5, written: 6, partitions: 3 });
  });
});
