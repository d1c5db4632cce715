import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';

test('credentials never reach a log line, however they are logged', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger('info', 'json', sink);
  const config = loadConfig({
    argv: [
      '--connect.url',
      'http://c:8083',
      '--connect.username',
      'u',
      '--kafka.brokers',
      'k:9092',
      '--kafka.sasl.mechanism',
      'plain',
      '--kafka.sasl.username',
      'ku',
    ],
    env: { CONNECT_PASSWORD: 'conn-s3cret', KAFKA_SASL_PASSWORD: 'kafka-s3cret' },
  });
  logger.info({ config }, 'config');
  logger.info({ clusters: config.clusters }, 'clusters');
  logger.info({ cluster: config.clusters[0] }, 'one cluster');
  logger.info(
    { req: { headers: { authorization: 'Basic dTpjb25uLXMzY3JldA==' } }, password: 'p', token: 't' },
    'request',
  );
  const out = lines.join('');
  expect(lines).toHaveLength(4);
  expect(out).not.toContain('conn-s3cret');
  expect(out).not.toContain('kafka-s3cret');
  expect(out).not.toContain('dTpjb25uLXMzY3JldA==');
  expect(out).toContain('[redacted]');
  expect(out).toContain('"username":"u"');
});
