/** Failed basic-auth attempts per client: a bucket per address (per /64 for IPv6), a bounded number of them. */
import { describe, expect, test } from 'vitest';
import { clientKey, FailureLimiter } from '../../../src/http/failure-limiter.js';

describe('clientKey', () => {
  test('IPv4 as is (also when mapped into IPv6); IPv6 by its /64, however it is written', () => {
    expect(clientKey('10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(clientKey('2001:0db8:0000:0001:ffff:0:0:9')).toBe('2001:db8:0:1::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey(undefined)).toBe('');
  });
});

describe('FailureLimiter', () => {
  test('a burst of attempts, then one per interval; a success gives its attempt back', () => {
    const limiter = new FailureLimiter({ burst: 2, intervalMs: 1000, maxClients: 10 });
    expect([0, 0].map(() => limiter.reserve('10.0.0.1', 0))).toEqual([0, 0]);
    expect(limiter.reserve('10.0.0.1', 0)).toBe(1000);
    expect(limiter.reserve('10.0.0.1', 600)).toBe(400);
    expect(limiter.reserve('10.0.0.2', 600)).toBe(0); // another client is not affected
    expect(limiter.reserve('10.0.0.1', 1000)).toBe(0);
    limiter.succeeded('10.0.0.1', 1000);
    expect(limiter.reserve('10.0.0.1', 1000)).toBe(0);
    expect(limiter.reserve('10.0.0.1', 1000)).toBe(1000);
  });

  test('addresses of one IPv6 /64 share a bucket', () => {
    const limiter = new FailureLimiter({ burst: 1, intervalMs: 1000, maxClients: 10 });
    expect(limiter.reserve('2001:db8::1', 0)).toBe(0);
    expect(limiter.reserve('2001:db8::2', 0)).toBe(1000);
    expect(limiter.reserve('2001:db8:0:1::1', 0)).toBe(0);
  });

  test('remembers at most maxClients, forgetting the least recently seen', () => {
    const limiter = new FailureLimiter({ burst: 1, intervalMs: 60_000, maxClients: 3 });
    for (let i = 0; i < 1000; i++) limiter.reserve(`10.0.${i >> 8}.${i & 255}`, 0);
    expect(limiter.size).toBe(3);
    const fresh = new FailureLimiter({ burst: 1, intervalMs: 60_000, maxClients: 2 });
    fresh.reserve('10.0.0.1', 0);
    fresh.reserve('10.0.0.2', 0);
    expect(fresh.reserve('10.0.0.1', 0)).toBeGreaterThan(0); // seen again: now the most recent
    fresh.reserve('10.0.0.3', 0); // forgets 10.0.0.2
    expect(fresh.reserve('10.0.0.1', 0)).toBeGreaterThan(0);
    expect(fresh.reserve('10.0.0.2', 0)).toBe(0);
  });
});
