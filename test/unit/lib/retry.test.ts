import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { retry } from '../../../src/lib/retry.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Fails `failures` times with errors named by attempt, then resolves 'ok'; records when each attempt ran. */
function flaky(failures: number): { fn: (attempt: number) => Promise<string>; at: number[] } {
  const at: number[] = [];
  return {
    at,
    fn: (attempt) => {
      at.push(Date.now());
      return attempt <= failures ? Promise.reject(new Error(`fail ${attempt}`)) : Promise.resolve('ok');
    },
  };
}

const always = (): boolean => true;

describe('retry', () => {
  test('waits base, 2×base, 4×base… capped at maxMs between attempts', async () => {
    const f = flaky(5);
    const p = retry(f.fn, { deadline: Infinity, baseMs: 100, maxMs: 500, retryable: always });
    await vi.runAllTimersAsync();
    expect(await p).toBe('ok');
    expect(f.at).toEqual([0, 100, 300, 700, 1200, 1700]);
  });

  test('gives up with the last error when the next wait would reach the deadline', async () => {
    const f = flaky(10);
    const p = retry(f.fn, { deadline: 700, baseMs: 100, maxMs: 1000, retryable: always });
    const settled = p.catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    // Attempts at 0, 100, 300; the next would start at 700, which is the deadline.
    expect(((await settled) as Error).message).toBe('fail 3');
    expect(f.at).toEqual([0, 100, 300]);
  });

  test('maxAttempts bounds the attempts; a non-retryable error is thrown at once', async () => {
    const f = flaky(10);
    const p = retry(f.fn, { deadline: Infinity, baseMs: 10, maxMs: 10, maxAttempts: 3, retryable: always });
    const settled = p.catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(((await settled) as Error).message).toBe('fail 3');

    const g = flaky(10);
    const seen: [string, number][] = [];
    const q = retry(g.fn, {
      deadline: Infinity,
      baseMs: 10,
      maxMs: 10,
      retryable: (err, attempt) => {
        seen.push([(err as Error).message, attempt]);
        return attempt < 2;
      },
    }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(((await q) as Error).message).toBe('fail 2');
    expect(seen).toEqual([
      ['fail 1', 1],
      ['fail 2', 2],
    ]);
  });

  test('onRetry hears of each failure that is retried, with the wait', async () => {
    const f = flaky(2);
    const calls: [string, number, number][] = [];
    const p = retry(f.fn, {
      deadline: Infinity,
      baseMs: 50,
      maxMs: 1000,
      retryable: always,
      onRetry: (err, attempt, wait) => calls.push([(err as Error).message, attempt, wait]),
    });
    await vi.runAllTimersAsync();
    await p;
    expect(calls).toEqual([
      ['fail 1', 1, 50],
      ['fail 2', 2, 100],
    ]);
  });

  test('an abort ends the wait at once with the last error; an aborted signal prevents any retry', async () => {
    const f = flaky(10);
    const ac = new AbortController();
    const p = retry(f.fn, {
      deadline: Infinity,
      baseMs: 10_000,
      maxMs: 10_000,
      retryable: always,
      signal: ac.signal,
    }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1);
    ac.abort();
    expect(((await p) as Error).message).toBe('fail 1');
    expect(Date.now()).toBe(1);
    expect(vi.getTimerCount()).toBe(0);

    const g = flaky(10);
    const q = await retry(g.fn, {
      deadline: Infinity,
      baseMs: 1,
      maxMs: 1,
      retryable: always,
      signal: ac.signal,
    }).catch((e: unknown) => e);
    expect((q as Error).message).toBe('fail 1');
    expect(g.at).toHaveLength(1);
  });

  test('a deadline is checked with the given clock', async () => {
    let clock = 0;
    const f = flaky(10);
    const p = retry(
      (a) => {
        clock += 1000;
        return f.fn(a);
      },
      { deadline: 2500, baseMs: 1, maxMs: 1, retryable: always, now: () => clock },
    ).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    // By Date.now (about 0) every attempt would be retried until the 11th succeeds.
    expect(((await p) as Error).message).toBe('fail 3');
  });

  test('bad backoff settings are refused with a clear error', async () => {
    await expect(
      retry(() => Promise.resolve(1), { deadline: 1, baseMs: 10, maxMs: 5, retryable: always }),
    ).rejects.toThrow('retry: need 0 <= baseMs <= maxMs, got baseMs 10, maxMs 5');
  });
});
