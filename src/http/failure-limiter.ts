/**
 * Failed basic-auth attempts per client address, limited before bcrypt runs: each comparison costs ~0.1 s
 * of CPU, so a wrong-password flood from one client would otherwise keep a core busy.
 */
import { isIPv6 } from 'node:net';
import { TokenBucket } from './token-bucket.js';

export interface FailureLimit {
  /** Failed attempts a client may make in a row. */
  readonly burst: number;
  /** One more attempt every this many ms. */
  readonly intervalMs: number;
  /** Clients remembered at most; the least recently seen is forgotten first. */
  readonly maxClients: number;
}

export const DEFAULT_FAILURE_LIMIT: FailureLimit = { burst: 10, intervalMs: 1000, maxClients: 10_000 };

/**
 * The key of a client: its IPv4 address, or the /64 of its IPv6 address (one host usually holds a whole /64,
 * so per-address buckets would be free to multiply).
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('%')[0]!.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

export class FailureLimiter {
  /** Insertion order is recency: a client seen again is moved to the end. */
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly limit: FailureLimit = DEFAULT_FAILURE_LIMIT) {}

  /**
   * Reserves an attempt for the client: 0 when it may try (give the attempt back with `succeeded` if it
   * was right), else the milliseconds until it may.
   */
  reserve(address: string | undefined, now: number): number {
    const key = clientKey(address);
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key);
    else {
      if (this.buckets.size >= this.limit.maxClients) {
        this.buckets.delete(this.buckets.keys().next().value as string);
      }
      bucket = new TokenBucket(this.limit.burst, this.limit.intervalMs, now);
    }
    this.buckets.set(key, bucket);
    return bucket.take(now) ? 0 : Math.max(1, bucket.waitMs(now));
  }

  /** The attempt reserved was right: it does not count as a failure. */
  succeeded(address: string | undefined, now: number): void {
    const key = clientKey(address);
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    bucket.giveBack(now);
    if (bucket.full(now)) this.buckets.delete(key);
  }

  /** Clients remembered now (bounded by maxClients). */
  get size(): number {
    return this.buckets.size;
  }
}
