import { describe, expect, it } from 'vitest';
import { decodeInFlight, encodeInFlight } from '../../../src/cli/checkpoint.js';

describe('in-flight marker', () => {
  it('round-trips through the commit metadata', () => {
    const f = { from: 100, to: 250, at: 1_700_000_000_000, topics: ['orders', 'payments'] };
    expect(decodeInFlight(encodeInFlight(f))).toEqual(f);
  });

  it('is absent for an ordinary commit and for metadata someone else wrote', () => {
    expect(decodeInFlight('')).toBeUndefined();
    expect(decodeInFlight('consumer-1')).toBeUndefined();
    expect(decodeInFlight('{"v":2,"from":1,"to":2,"at":3,"topics":[]}')).toBeUndefined();
    expect(decodeInFlight('{"v":1,"from":"1","to":2,"at":3,"topics":[]}')).toBeUndefined();
    expect(decodeInFlight('{not json')).toBeUndefined();
  });

  it("stays under the broker's 4 KiB metadata limit by leaving the topics out (then found from the DLQ)", () => {
    const topics = Array.from({ length: 200 }, (_, i) => `a-rather-long-topic-name-${i}`);
    const text = encodeInFlight({ from: 1, to: 2, at: 3, topics });
    expect(text.length).toBeLessThanOrEqual(4000);
    expect(decodeInFlight(text)).toEqual({ from: 1, to: 2, at: 3, topics: [] });
  });
});
