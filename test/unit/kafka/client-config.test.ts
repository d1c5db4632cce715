import { describe, expect, it } from 'vitest';
import { kafkaClientConfig } from '../../../src/kafka/client-config.js';
import { within } from '../../../src/kafka/async.js';

const files: Record<string, string> = { '/ca.pem': 'CA', '/cert.pem': 'CERT', '/key.pem': 'KEY' };
const readFile = (p: string): Buffer => {
  const v = files[p];
  if (v === undefined) throw new Error(`ENOENT ${p}`);
  return Buffer.from(v);
};

describe('kafkaClientConfig', () => {
  it('bounds every kafkajs timeout by the poll deadline and turns kafkajs retries off', () => {
    const c = kafkaClientConfig({ brokers: ['k1:9092', 'k2:9092'], clientId: 'cs' }, { timeoutMs: 900 });
    expect(c.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(c.clientId).toBe('cs');
    expect(c.requestTimeout).toBe(900);
    expect(c.connectionTimeout).toBeLessThanOrEqual(300);
    expect(c.authenticationTimeout).toBeLessThanOrEqual(900);
    expect(c.retry).toEqual({ retries: 0 });
    expect(c.ssl).toBeUndefined();
    expect(c.sasl).toBeUndefined();
  });

  it('reads the TLS files and honours insecureSkipVerify', () => {
    const c = kafkaClientConfig(
      {
        brokers: ['k:9093'],
        clientId: 'cs',
        tls: { caFile: '/ca.pem', certFile: '/cert.pem', keyFile: '/key.pem', insecureSkipVerify: true },
      },
      { timeoutMs: 10_000, readFile },
    );
    expect(c.ssl).toEqual({
      rejectUnauthorized: false,
      ca: [Buffer.from('CA')],
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
    });
    const plain = kafkaClientConfig(
      { brokers: ['k:9093'], clientId: 'cs', tls: { insecureSkipVerify: false } },
      { timeoutMs: 10_000, readFile },
    );
    expect(plain.ssl).toEqual({ rejectUnauthorized: true });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('passes SASL %s credentials', (mechanism) => {
    const c = kafkaClientConfig(
      { brokers: ['k:9093'], clientId: 'cs', sasl: { mechanism, username: 'u', password: 'p' } },
      { timeoutMs: 10_000 },
    );
    expect(c.sasl).toEqual({ mechanism, username: 'u', password: 'p' });
  });
});

describe('within', () => {
  it('rejects with a message naming the call once the deadline passes', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(within(never, Date.now() + 30, 'ListOffsets')).rejects.toThrow(
      /ListOffsets: no answer from Kafka within the poll deadline/,
    );
    await expect(within(Promise.resolve(1), Date.now() - 1, 'late')).rejects.toThrow(/late/);
    await expect(within(Promise.resolve(7), Date.now() + 1000, 'ok')).resolves.toBe(7);
  });
});
