/** Retries with exponential backoff under a deadline. */

export interface RetryOptions {
  /** Epoch ms (by `now`): no wait is started that would end at or after it. Infinity: no deadline. */
  readonly deadline: number;
  /** Wait after the first failed attempt; it doubles after each further one, up to `maxMs`. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** Attempts in all, the first included; unbounded by default (the deadline bounds them). */
  readonly maxAttempts?: number;
  /** Whether the error of attempt `attempt` (1 for the first) is worth another attempt. */
  readonly retryable: (err: unknown, attempt: number) => boolean;
  /** Aborting it ends a wait at once; the last attempt's error is then thrown. */
  readonly signal?: AbortSignal;
  readonly now?: () => number;
  /** Called before each wait, e.g. to log the failure. */
  readonly onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
}

/** The wait after failed attempt `attempt` (1-based). */
function backoff(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** (attempt - 1), maxMs);
}

/**
 * `fn(attempt)` until it resolves. Its error is thrown as it is when it is not retryable, when the attempts
 * are used up, when the next wait would reach the deadline, or when `signal` is aborted.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  if (!(opts.baseMs >= 0) || !(opts.maxMs >= opts.baseMs)) {
    throw new RangeError(`retry: need 0 <= baseMs <= maxMs, got baseMs ${opts.baseMs}, maxMs ${opts.maxMs}`);
  }
  const now = opts.now ?? Date.now;
  const maxAttempts = opts.maxAttempts ?? Infinity;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const wait = backoff(attempt, opts.baseMs, opts.maxMs);
      if (
        attempt >= maxAttempts ||
        opts.signal?.aborted === true ||
        !opts.retryable(err, attempt) ||
        now() + wait >= opts.deadline
      ) {
        throw err;
      }
      opts.onRetry?.(err, attempt, wait);
      if (!(await sleep(wait, opts.signal))) throw err;
    }
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    // A pending retry alone must not keep the process alive: whoever waits for the result holds it.
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
