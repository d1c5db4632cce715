/** Bounded concurrency over a list. */

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; the results keep the order of `items`.
 * Rejects with the first error; once one call has failed no further call starts (those in flight finish
 * unobserved). `limit` is a positive integer or Infinity.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!(limit >= 1) || (!Number.isInteger(limit) && limit !== Infinity)) {
    throw new RangeError(`mapLimit: limit must be a positive integer or Infinity, got ${limit}`);
  }
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers = Math.min(limit, items.length);
  await Promise.all(Array.from({ length: workers }, worker));
  return out;
}
