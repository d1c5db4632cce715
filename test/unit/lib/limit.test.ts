import { describe, expect, test } from 'vitest';
import { mapLimit } from '../../../src/lib/limit.js';

/** A call that resolves when the test says so, recording how many run at once. */
function gate(): {
  fn: (x: number) => Promise<number>;
  release: (x: number) => void;
  started: number[];
  peak: () => number;
} {
  const pending = new Map<number, () => void>();
  const started: number[] = [];
  let running = 0;
  let peak = 0;
  return {
    started,
    peak: () => peak,
    release: (x) => pending.get(x)?.(),
    fn: (x) =>
      new Promise<number>((resolve) => {
        started.push(x);
        running++;
        peak = Math.max(peak, running);
        pending.set(x, () => {
          running--;
          resolve(x * 10);
        });
      }),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('mapLimit', () => {
  test('at most `limit` in flight, results in the order of the items whatever order they finish in', async () => {
    const g = gate();
    const done = mapLimit([0, 1, 2, 3, 4, 5], 2, g.fn);
    await tick();
    expect(g.started).toEqual([0, 1]);
    g.release(1);
    await tick();
    expect(g.started).toEqual([0, 1, 2]);
    for (const x of [2, 0, 5, 3, 4]) {
      g.release(x);
      await tick();
    }
    g.release(5);
    expect(await done).toEqual([0, 10, 20, 30, 40, 50]);
    expect(g.peak()).toBe(2);
  });

  test('the index is passed along; an empty list and Infinity are fine', async () => {
    expect(await mapLimit(['a', 'b', 'c'], Infinity, (s, i) => Promise.resolve(`${s}${i}`))).toEqual([
      'a0',
      'b1',
      'c2',
    ]);
    expect(await mapLimit([], 3, () => Promise.reject(new Error('never called')))).toEqual([]);
  });

  test('rejects with the first error and starts nothing after it', async () => {
    const started: number[] = [];
    const err = await mapLimit([0, 1, 2, 3, 4, 5], 2, async (x) => {
      started.push(x);
      await tick();
      if (x === 1) throw new Error('boom 1');
      return x;
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('boom 1');
    await tick();
    await tick();
    // 0 and 1 ran together; when 1 failed, 0's worker had already taken 2: nothing else started.
    expect(started).toEqual([0, 1, 2]);
  });

  test.each([0, -1, 1.5, Number.NaN])('a limit of %s is refused with a clear error', async (limit) => {
    await expect(mapLimit([1], limit, (x) => Promise.resolve(x))).rejects.toThrow(
      /limit must be a positive integer or Infinity/,
    );
  });
});
