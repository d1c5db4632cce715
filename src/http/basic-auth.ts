/**
 * Basic auth against bcrypt hashes: a successful comparison is remembered for a while (bcrypt is slow on
 * purpose), comparisons run one at a time off the request, and failed attempts are limited per client.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { Logger } from '../log.js';
import type { FailureLimiter } from './failure-limiter.js';

/** `ok`: let in; `denied`: 401; a number: 429, retry after that many ms (no comparison was run). */
export type AuthVerdict = 'ok' | 'denied' | number;

/** bcrypt comparisons waiting beyond this are refused (429) rather than queued. */
const MAX_PENDING_COMPARISONS = 16;
/** Remembered successes at most; past that the expired ones go, then all. */
const MAX_REMEMBERED = 1000;

/** The cost factor of a bcrypt hash (`$2b$10$...` → 10). */
export function bcryptCost(hash: string): number {
  return Number(hash.split('$')[2]);
}

export interface BasicAuthOptions {
  readonly logger: Logger;
  readonly limiter: FailureLimiter;
  /** How long a successful comparison is remembered. */
  readonly rememberMs: number;
  readonly now: () => number;
}

export class BasicAuth {
  private users: ReadonlyMap<string, string> = new Map();
  /** What an unknown user's password is compared with, so a wrong user takes as long as a wrong password. */
  private standIn = '';
  /** sha256(hash of the user, Authorization header) → expiry of a successful comparison. */
  private readonly remembered = new Map<string, number>();
  private comparisons: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(private readonly opts: BasicAuthOptions) {}

  /** user → bcrypt hash; none: everyone is let in. */
  setUsers(users: ReadonlyMap<string, string>): void {
    this.users = users;
    // As costly as the costliest configured hash, so an unknown user never answers faster than a known one.
    // A fresh salt and no real digest: no password matches it, and making it costs nothing.
    let cost = 0;
    for (const hash of users.values()) cost = Math.max(cost, bcryptCost(hash));
    this.standIn = cost > 0 ? `${bcrypt.genSaltSync(cost)}${'.'.repeat(31)}` : '';
  }

  /** The verdict for an Authorization header from a client address; a Promise when bcrypt has to run. */
  check(header: string | undefined, address: string | undefined): AuthVerdict | Promise<AuthVerdict> {
    if (this.users.size === 0) return 'ok';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!m) return 'denied';
    const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return 'denied';
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.users.get(user);
    const key = createHash('sha256')
      .update(`${hash ?? ''}\n${header ?? ''}`)
      .digest('hex');
    const now = this.opts.now();
    if (hash !== undefined && (this.remembered.get(key) ?? 0) > now) return 'ok';
    if (this.pending >= MAX_PENDING_COMPARISONS) return 1000;
    const wait = this.opts.limiter.reserve(address, now);
    if (wait > 0) {
      this.opts.logger.debug({ remote: address, retryAfterMs: wait }, 'basic auth: too many failed attempts');
      return wait;
    }
    this.pending++;
    const result = this.comparisons
      .then(() => bcrypt.compare(password, hash ?? this.standIn))
      .then((ok) => ok && hash !== undefined)
      .finally(() => this.pending--);
    this.comparisons = result.catch(() => undefined);
    return result.then((ok): AuthVerdict => {
      if (ok) {
        this.remember(key);
        this.opts.limiter.succeeded(address, this.opts.now());
        return 'ok';
      }
      this.opts.logger.debug({ user, remote: address }, 'basic auth failed');
      return 'denied';
    });
  }

  private remember(key: string): void {
    const now = this.opts.now();
    if (this.remembered.size >= MAX_REMEMBERED) {
      for (const [k, until] of this.remembered) if (until <= now) this.remembered.delete(k);
      if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
    }
    this.remembered.set(key, now + this.opts.rememberMs);
  }
}
