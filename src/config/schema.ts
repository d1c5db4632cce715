/**
 * Every setting connect-sentinel has: its YAML key, flag, environment variable, kind and default.
 * The loader, the `--help` text and config.example.yaml are all checked against this one table.
 */

export type Kind =
  | { t: 'string' }
  | { t: 'url' }
  | { t: 'file' }
  | { t: 'duration'; min?: number }
  | { t: 'int'; min: number; max?: number }
  | { t: 'float'; min: number; max: number }
  | { t: 'bool' }
  | { t: 'list' }
  | { t: 'urlList' }
  | { t: 'regex' }
  | { t: 'listen' }
  | { t: 'enum'; values: readonly string[] };

export interface Setting {
  /** Dotted YAML path: from the root for global settings, from a `clusters[]` entry for cluster settings. */
  readonly key: string;
  readonly scope: 'global' | 'cluster';
  readonly kind: Kind;
  /** Flag name without dashes, e.g. `poll.interval` or `connect.tls.ca-file`. */
  readonly flag?: string;
  readonly env?: string;
  readonly default?: string | number | boolean | readonly string[];
  readonly help: string;
}

const S = { t: 'string' } as const;
const FILE = { t: 'file' } as const;
const BOOL = { t: 'bool' } as const;
const DUR = { t: 'duration' } as const;

export const SETTINGS: readonly Setting[] = [
  // One Connect cluster; the flags and environment define (or override) the cluster named by connect.name.
  {
    key: 'name',
    scope: 'cluster',
    kind: S,
    flag: 'connect.name',
    env: 'CONNECT_NAME',
    default: 'default',
    help: 'Name of the Connect cluster: the connect_cluster label.',
  },
  {
    key: 'url',
    scope: 'cluster',
    kind: { t: 'url' },
    flag: 'connect.url',
    env: 'CONNECT_URL',
    help: 'Base URL of the Connect REST API, e.g. http://connect:8083.',
  },
  {
    key: 'scope',
    scope: 'cluster',
    kind: { t: 'enum', values: ['cluster', 'worker'] },
    flag: 'connect.scope',
    env: 'CONNECT_SCOPE',
    default: 'cluster',
    help: 'cluster: publish every connector and task; worker: only those running on workerId (one sidecar per worker).',
  },
  {
    key: 'workerId',
    scope: 'cluster',
    kind: S,
    flag: 'connect.worker-id',
    env: 'CONNECT_WORKER_ID',
    help: "In worker scope, the local worker's advertised host:port (its worker_id in Connect's status); default: the url's host:port.",
  },
  {
    key: 'username',
    scope: 'cluster',
    kind: S,
    flag: 'connect.username',
    env: 'CONNECT_USERNAME',
    help: 'Basic auth user.',
  },
  {
    key: 'passwordFile',
    scope: 'cluster',
    kind: FILE,
    flag: 'connect.password-file',
    help: 'File holding the basic auth password.',
  },
  {
    key: 'passwordEnv',
    scope: 'cluster',
    kind: S,
    help: 'Name of an environment variable holding the basic auth password (the flag-defined cluster reads CONNECT_PASSWORD).',
  },
  {
    key: 'bearerTokenFile',
    scope: 'cluster',
    kind: FILE,
    flag: 'connect.bearer-token-file',
    help: 'File holding a bearer token; re-read every 10 s so it can rotate.',
  },
  {
    key: 'tls.caFile',
    scope: 'cluster',
    kind: FILE,
    flag: 'connect.tls.ca-file',
    help: 'PEM CA bundle to verify the Connect REST certificate.',
  },
  {
    key: 'tls.certFile',
    scope: 'cluster',
    kind: FILE,
    flag: 'connect.tls.cert-file',
    help: 'PEM client certificate for mutual TLS.',
  },
  {
    key: 'tls.keyFile',
    scope: 'cluster',
    kind: FILE,
    flag: 'connect.tls.key-file',
    help: 'PEM client key for mutual TLS.',
  },
  {
    key: 'tls.insecureSkipVerify',
    scope: 'cluster',
    kind: BOOL,
    flag: 'connect.tls.insecure-skip-verify',
    default: false,
    help: 'Do not verify the Connect REST certificate.',
  },
  {
    key: 'kafka.brokers',
    scope: 'cluster',
    kind: { t: 'list' },
    flag: 'kafka.brokers',
    env: 'KAFKA_BROKERS',
    default: [],
    help: 'Kafka bootstrap servers (host:port, comma separated); enables DLQ and lag metrics.',
  },
  {
    key: 'kafka.clientId',
    scope: 'cluster',
    kind: S,
    flag: 'kafka.client-id',
    env: 'KAFKA_CLIENT_ID',
    default: 'connect-sentinel',
    help: 'Kafka client id.',
  },
  {
    key: 'kafka.tls.enabled',
    scope: 'cluster',
    kind: BOOL,
    flag: 'kafka.tls.enabled',
    default: false,
    help: 'Connect to Kafka with TLS.',
  },
  {
    key: 'kafka.tls.caFile',
    scope: 'cluster',
    kind: FILE,
    flag: 'kafka.tls.ca-file',
    help: 'PEM CA bundle for the brokers.',
  },
  {
    key: 'kafka.tls.certFile',
    scope: 'cluster',
    kind: FILE,
    flag: 'kafka.tls.cert-file',
    help: 'PEM client certificate for the brokers.',
  },
  {
    key: 'kafka.tls.keyFile',
    scope: 'cluster',
    kind: FILE,
    flag: 'kafka.tls.key-file',
    help: 'PEM client key for the brokers.',
  },
  {
    key: 'kafka.tls.insecureSkipVerify',
    scope: 'cluster',
    kind: BOOL,
    flag: 'kafka.tls.insecure-skip-verify',
    default: false,
    help: "Do not verify the brokers' certificates.",
  },
  {
    key: 'kafka.sasl.mechanism',
    scope: 'cluster',
    kind: { t: 'enum', values: ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] },
    flag: 'kafka.sasl.mechanism',
    env: 'KAFKA_SASL_MECHANISM',
    default: 'none',
    help: 'SASL mechanism.',
  },
  {
    key: 'kafka.sasl.username',
    scope: 'cluster',
    kind: S,
    flag: 'kafka.sasl.username',
    env: 'KAFKA_SASL_USERNAME',
    help: 'SASL user.',
  },
  {
    key: 'kafka.sasl.passwordFile',
    scope: 'cluster',
    kind: FILE,
    flag: 'kafka.sasl.password-file',
    help: 'File holding the SASL password.',
  },
  {
    key: 'kafka.sasl.passwordEnv',
    scope: 'cluster',
    kind: S,
    help: 'Name of an environment variable holding the SASL password (the flag-defined cluster reads KAFKA_SASL_PASSWORD).',
  },
  {
    key: 'restart.enabled',
    scope: 'cluster',
    kind: BOOL,
    help: 'Overrides restart.enabled for this cluster.',
  },
  { key: 'restart.dryRun', scope: 'cluster', kind: BOOL, help: 'Overrides restart.dryRun for this cluster.' },

  {
    key: 'poll.interval',
    scope: 'global',
    kind: { t: 'duration', min: 100 },
    flag: 'poll.interval',
    env: 'POLL_INTERVAL',
    default: '15s',
    help: 'Time between polls of each cluster.',
  },
  {
    key: 'poll.timeout',
    scope: 'global',
    kind: { t: 'duration', min: 50 },
    flag: 'poll.timeout',
    env: 'POLL_TIMEOUT',
    default: '10s',
    help: 'Deadline of one poll of one source (REST or Kafka), retries included.',
  },
  {
    key: 'poll.staleAfter',
    scope: 'global',
    kind: DUR,
    flag: 'stale-after',
    env: 'STALE_AFTER',
    help: 'After a failed poll, the last good series stay this long (default: 3 poll intervals).',
  },
  {
    key: 'poll.jitter',
    scope: 'global',
    kind: { t: 'float', min: 0, max: 0.5 },
    flag: 'poll.jitter',
    default: 0.1,
    help: 'Fraction of the interval by which each wait varies at random.',
  },

  {
    key: 'web.listenAddress',
    scope: 'global',
    kind: { t: 'listen' },
    flag: 'web.listen-address',
    env: 'WEB_LISTEN_ADDRESS',
    default: ':9840',
    help: 'Address to serve HTTP on, [host]:port.',
  },
  {
    key: 'web.telemetryPath',
    scope: 'global',
    kind: S,
    flag: 'web.telemetry-path',
    default: '/metrics',
    help: 'Path of the metrics endpoint.',
  },
  {
    key: 'web.configFile',
    scope: 'global',
    kind: FILE,
    flag: 'web.config.file',
    help: 'exporter-toolkit web config (TLS, basic auth with bcrypt hashes).',
  },

  {
    key: 'restart.enabled',
    scope: 'global',
    kind: BOOL,
    flag: 'restart.enabled',
    env: 'RESTART_ENABLED',
    default: false,
    help: 'Restart FAILED connectors and tasks.',
  },
  {
    key: 'restart.dryRun',
    scope: 'global',
    kind: BOOL,
    flag: 'restart.dry-run',
    default: false,
    help: 'Log and count the restarts that would be made; make none.',
  },
  {
    key: 'restart.maxAttempts',
    scope: 'global',
    kind: { t: 'int', min: 1 },
    flag: 'restart.max-attempts',
    default: 10,
    help: 'Restart budget per connector before giving up.',
  },
  {
    key: 'restart.backoffBase',
    scope: 'global',
    kind: DUR,
    flag: 'restart.backoff-base',
    default: '1m',
    help: 'Wait before attempt n+1 is (n²+n) × this.',
  },
  {
    key: 'restart.backoffMax',
    scope: 'global',
    kind: DUR,
    flag: 'restart.backoff-max',
    default: '60m',
    help: 'Upper bound of the wait between attempts.',
  },
  {
    key: 'restart.resetAfter',
    scope: 'global',
    kind: DUR,
    flag: 'restart.reset-after',
    default: '30m',
    help: "Healthy this long clears a connector's restart history.",
  },
  {
    key: 'restart.include',
    scope: 'global',
    kind: { t: 'regex' },
    flag: 'restart.include',
    default: '.*',
    help: 'Only connectors whose name matches are restarted.',
  },
  {
    key: 'restart.exclude',
    scope: 'global',
    kind: { t: 'regex' },
    flag: 'restart.exclude',
    help: 'Connectors whose name matches are never restarted.',
  },

  {
    key: 'notify.webhookUrls',
    scope: 'global',
    kind: { t: 'urlList' },
    flag: 'notify.webhook-url',
    env: 'ALERT_WEBHOOK',
    default: [],
    help: 'URLs that get a JSON POST on failures, recoveries and restarts (repeatable).',
  },
  {
    key: 'notify.timeout',
    scope: 'global',
    kind: DUR,
    flag: 'notify.timeout',
    default: '5s',
    help: 'Timeout of one webhook delivery.',
  },
  {
    key: 'notify.queueSize',
    scope: 'global',
    kind: { t: 'int', min: 1 },
    flag: 'notify.queue-size',
    default: 1000,
    help: 'Events kept while receivers are slow; the oldest are dropped beyond.',
  },

  {
    key: 'dlq.maxExceptionClasses',
    scope: 'global',
    kind: { t: 'int', min: 1 },
    flag: 'dlq.max-exception-classes',
    default: 20,
    help: 'Distinct exception classes per connector before the rest fold into "other".',
  },
  {
    key: 'dlq.backlogPerPartition',
    scope: 'global',
    kind: { t: 'int', min: 0 },
    flag: 'dlq.backlog-per-partition',
    default: 100,
    help: 'On start, how many existing records per DLQ partition are read.',
  },
  {
    key: 'dlq.recentRecords',
    scope: 'global',
    kind: { t: 'int', min: 0 },
    flag: 'dlq.recent-records',
    default: 20,
    help: 'Errant records kept per connector for /api/v1/dlq.',
  },
  {
    key: 'dlq.showPayload',
    scope: 'global',
    kind: BOOL,
    flag: 'dlq.show-payload',
    default: false,
    help: 'Show record keys and values in /api/v1/dlq.',
  },
  {
    key: 'dlq.payloadLimit',
    scope: 'global',
    kind: { t: 'int', min: 0 },
    flag: 'dlq.payload-limit',
    default: 1024,
    help: 'Bytes of key and value shown when showPayload is on.',
  },

  {
    key: 'log.level',
    scope: 'global',
    kind: { t: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
    flag: 'log.level',
    env: 'LOG_LEVEL',
    default: 'info',
    help: 'Log level.',
  },
  {
    key: 'log.format',
    scope: 'global',
    kind: { t: 'enum', values: ['json', 'pretty'] },
    flag: 'log.format',
    env: 'LOG_FORMAT',
    default: 'json',
    help: 'json for machines, pretty for people.',
  },
];

export interface TlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly insecureSkipVerify: boolean;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly tls?: TlsFiles;
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

export interface RestartConfig {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly resetAfterMs: number;
  readonly include: RegExp;
  readonly exclude?: RegExp;
}

export interface ClusterConfig {
  readonly name: string;
  readonly url: string;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  readonly bearerTokenFile?: string;
  readonly tls: TlsFiles;
  readonly kafka?: KafkaConfig;
  readonly restart: RestartConfig;
  /**
   * Set in worker scope (connect.scope=worker): the advertised host:port of the worker this sidecar runs
   * next to. Only its connectors and tasks are published (and restarted).
   */
  readonly workerId?: string;
}

export interface Config {
  readonly clusters: readonly ClusterConfig[];
  readonly poll: {
    readonly intervalMs: number;
    readonly timeoutMs: number;
    readonly staleAfterMs: number;
    readonly jitter: number;
  };
  readonly web: {
    readonly host?: string;
    readonly port: number;
    readonly telemetryPath: string;
    readonly configFile?: string;
  };
  readonly notify: {
    readonly webhookUrls: readonly string[];
    readonly timeoutMs: number;
    readonly queueSize: number;
  };
  readonly dlq: {
    readonly maxExceptionClasses: number;
    readonly backlogPerPartition: number;
    readonly recentRecords: number;
    readonly showPayload: boolean;
    readonly payloadLimit: number;
  };
  readonly log: { readonly level: string; readonly format: 'json' | 'pretty' };
}
