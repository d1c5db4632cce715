import { pino, type Logger } from 'pino';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/** Paths pino blanks in every log line, whatever logs them. */
const REDACT = [
  'password',
  'token',
  'authorization',
  '*.password',
  '*.token',
  '*.authorization',
  '*.*.password',
  '*.*.token',
  'headers.authorization',
  '*.headers.authorization',
  'basicAuth.password',
  '*.basicAuth.password',
  'sasl.password',
  '*.sasl.password',
  'kafka.sasl.password',
  '*.kafka.sasl.password',
  'clusters[*].basicAuth.password',
  'clusters[*].kafka.sasl.password',
  '*.clusters[*].basicAuth.password',
  '*.clusters[*].kafka.sasl.password',
];

export function createLogger(level: string, format: LogFormat, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { app: 'connect-sentinel' },
  };
  if (format === 'pretty') {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: process.stdout.isTTY, translateTime: 'SYS:standard' },
      },
    });
  }
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
