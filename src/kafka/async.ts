/** Deadlines for the Kafka calls of one poll. */

export class KafkaDeadlineError extends Error {
  override readonly name = 'KafkaDeadlineError';
  constructor(what: string, ms: number) {
    super(`${what}: no answer from Kafka within the poll deadline (${ms} ms)`);
  }
}

/** `promise`, or a KafkaDeadlineError once `deadline` (epoch ms) passes; the timer never holds the process. */
export function within<T>(
  promise: Promise<T>,
  deadline: number,
  what: string,
  now: () => number = Date.now,
): Promise<T> {
  const left = deadline - now();
  if (left <= 0) {
    promise.catch(() => undefined);
    return Promise.reject(new KafkaDeadlineError(what, 0));
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KafkaDeadlineError(what, left)), left);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
