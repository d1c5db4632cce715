/**
 * Lets one round of pending I/O (scrapes) run before continuing. One setImmediate is not enough: an
 * immediate queued from an I/O callback runs before the next I/O poll, so it yields twice.
 */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
