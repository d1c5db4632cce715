/** A cluster's `kafka` settings → kafkajs client settings, with every timeout bounded by the poll deadline. */
import { readFileSync } from 'node:fs';
import { logLevel, type KafkaConfig as KafkaJsConfig, type logCreator, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../config/schema.js';
import type { Logger } from '../log.js';

export interface ClientConfigOptions {
  /** The poll deadline: no single request, connection or retry may outlast it. */
  readonly timeoutMs: number;
  readonly logger?: Logger;
  readonly readFile?: (path: string) => Buffer;
}

export function kafkaClientConfig(kafka: KafkaConfig, opts: ClientConfigOptions): KafkaJsConfig {
  const read = opts.readFile ?? ((p: string) => readFileSync(p));
  const t = Math.max(1, Math.floor(opts.timeoutMs));
  const config: KafkaJsConfig = {
    clientId: kafka.clientId,
    brokers: [...kafka.brokers],
    // A connection attempt gets a third of the poll so that a dead first broker leaves time for the next.
    connectionTimeout: Math.max(1, Math.min(5_000, Math.floor(t / 3))),
    authenticationTimeout: Math.max(1, Math.min(10_000, Math.floor(t / 2))),
    requestTimeout: t,
    enforceRequestTimeout: true,
    // No retries inside kafkajs: the poll loop is the retry, and the next poll comes within an interval.
    retry: { retries: 0 },
    logLevel: logLevel.WARN,
    logCreator: toPino(opts.logger),
  };
  if (kafka.tls) {
    const tls = kafka.tls;
    config.ssl = {
      rejectUnauthorized: !tls.insecureSkipVerify,
      ...(tls.caFile ? { ca: [read(tls.caFile)] } : {}),
      ...(tls.certFile ? { cert: read(tls.certFile) } : {}),
      ...(tls.keyFile ? { key: read(tls.keyFile) } : {}),
    };
  }
  if (kafka.sasl) config.sasl = saslOf(kafka.sasl);
  return config;
}

function saslOf(s: NonNullable<KafkaConfig['sasl']>): SASLOptions {
  switch (s.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username: s.username, password: s.password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username: s.username, password: s.password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username: s.username, password: s.password };
  }
}

/**
 * kafkajs logs every failed connection at ERROR; the poller already reports a failed Kafka poll once, so
 * kafkajs's own lines go to debug and never repeat the warning.
 */
function toPino(logger: Logger | undefined): logCreator {
  return () =>
    ({ namespace, log }) => {
      if (!logger) return;
      const { message, ...extra } = log;
      logger.debug({ kafkajs: namespace, ...extra }, message);
    };
}
