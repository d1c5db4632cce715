/**
 * Every setting connect-sentinel has, defined once: YAML key, flag, environment variables, kind (type,
 * limits, validation), default and help. The loader reads values through keys of these tables (a misspelt
 * key does not compile), the Config types below take their field types from them, and --help,
 * config.example.yaml and docs/config.md are generated from them.
 */
import {
  bool,
  duration,
  file,
  float,
  httpPath,
  int,
  list,
  listen,
  oneOf,
  regex,
  text,
  url,
  urlList,
  type Kind,
} from './kinds.js';

/** A default as a user would write it; the setting's kind parses it like any other value. */
export type DefaultValue = string | number | boolean | readonly string[];

export interface SettingSpec {
  readonly kind: Kind<unknown>;
  /** Flag name without dashes, e.g. `poll.interval`. A flag always has the environment variable envName(flag). */
  readonly flag?: string;
  /** Older environment variable names, still read; the CONNECT_SENTINEL_ name wins when both are set. */
  readonly aliases?: readonly string[];
  readonly default?: DefaultValue;
  readonly help: string;
}

type Table = Readonly<Record<string, SettingSpec>>;

/** The prefix of every environment variable of connect-sentinel. */
export const ENV_PREFIX = 'CONNECT_SENTINEL_';

/** The environment variable of a flag: `connect.tls.ca-file` → `CONNECT_SENTINEL_CONNECT_TLS_CA_FILE`. */
export function envName(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replace(/[.-]/g, '_');
}

/**
 * The paths the HTTP server answers itself: a metrics path among them would hide that endpoint or the
 * metrics (ending in `/`: everything under it).
 */
export const SERVED_PATHS = ['/', '/healthz', '/readyz', '/api/'] as const;

const SAME_AS_GLOBAL = 'Overrides the global %s for this cluster.';

/** Settings of one Connect cluster: keys of a `clusters[]` entry. The flags define the flag-defined cluster. */
export const CLUSTER_SETTINGS = {
  name: {
    kind: text('NAME'),
    flag: 'connect.name',
    aliases: ['CONNECT_NAME'],
    default: 'default',
    help: 'Name of the Connect cluster: the connect_cluster label.',
  },
  url: {
    kind: url(),
    flag: 'connect.url',
    aliases: ['CONNECT_URL'],
    help: 'Base URL of the Connect REST API, e.g. http://connect:8083. Required.',
  },
  scope: {
    kind: oneOf(['cluster', 'worker']),
    flag: 'connect.scope',
    aliases: ['CONNECT_SCOPE'],
    default: 'cluster',
    help: 'cluster: publish every connector and task; worker: only those running on workerId (one sidecar per worker).',
  },
  workerId: {
    kind: text('HOST:PORT'),
    flag: 'connect.worker-id',
    aliases: ['CONNECT_WORKER_ID'],
    help: "In worker scope, the local worker's advertised host:port (its worker_id in Connect's status); default: the url's host:port.",
  },
  statusTopic: {
    kind: text('TOPIC'),
    flag: 'connect.status-topic',
    help: "Connect's status.storage.topic, followed for state changes in real time (needs kafka.brokers); default: discovered.",
  },
  username: {
    kind: text('USER'),
    flag: 'connect.username',
    aliases: ['CONNECT_USERNAME'],
    help: 'Basic auth user.',
  },
  passwordFile: {
    kind: file(),
    flag: 'connect.password-file',
    help: 'File holding the basic auth password.',
  },
  passwordEnv: {
    kind: text('NAME'),
    help: 'Name of an environment variable holding the basic auth password (the flag-defined cluster reads CONNECT_SENTINEL_CONNECT_PASSWORD).',
  },
  bearerTokenFile: {
    kind: file(),
    flag: 'connect.bearer-token-file',
    help: 'File holding a bearer token; re-read every 10 s so it can rotate.',
  },
  'tls.caFile': {
    kind: file(),
    flag: 'connect.tls.ca-file',
    help: 'PEM CA bundle to verify the Connect REST certificate.',
  },
  'tls.certFile': {
    kind: file(),
    flag: 'connect.tls.cert-file',
    help: 'PEM client certificate for mutual TLS.',
  },
  'tls.keyFile': {
    kind: file(),
    flag: 'connect.tls.key-file',
    help: 'PEM client key for mutual TLS (unencrypted), matching the certificate.',
  },
  'tls.insecureSkipVerify': {
    kind: bool(),
    flag: 'connect.tls.insecure-skip-verify',
    default: false,
    help: 'Do not verify the Connect REST certificate.',
  },
  'kafka.brokers': {
    kind: list('HOST:PORT,...', (b) =>
      /^[^\s:]+:\d{1,5}$/.test(b) ? undefined : `kafka broker "${b}" is not host:port`,
    ),
    flag: 'kafka.brokers',
    aliases: ['KAFKA_BROKERS'],
    default: [],
    help: 'Kafka bootstrap servers (host:port, comma separated); enables DLQ and lag metrics.',
  },
  'kafka.clientId': {
    kind: text('ID'),
    flag: 'kafka.client-id',
    aliases: ['KAFKA_CLIENT_ID'],
    default: 'connect-sentinel',
    help: 'Kafka client id.',
  },
  'kafka.tls.enabled': {
    kind: bool(),
    flag: 'kafka.tls.enabled',
    default: false,
    help: 'Connect to Kafka with TLS.',
  },
  'kafka.tls.caFile': {
    kind: file(),
    flag: 'kafka.tls.ca-file',
    help: 'PEM CA bundle for the brokers.',
  },
  'kafka.tls.certFile': {
    kind: file(),
    flag: 'kafka.tls.cert-file',
    help: 'PEM client certificate for the brokers.',
  },
  'kafka.tls.keyFile': {
    kind: file(),
    flag: 'kafka.tls.key-file',
    help: 'PEM client key for the brokers (unencrypted), matching the certificate.',
  },
  'kafka.tls.insecureSkipVerify': {
    kind: bool(),
    flag: 'kafka.tls.insecure-skip-verify',
    default: false,
    help: "Do not verify the brokers' certificates.",
  },
  'kafka.sasl.mechanism': {
    kind: oneOf(['none', 'plain', 'scram-sha-256', 'scram-sha-512']),
    flag: 'kafka.sasl.mechanism',
    aliases: ['KAFKA_SASL_MECHANISM'],
    default: 'none',
    help: 'SASL mechanism.',
  },
  'kafka.sasl.username': {
    kind: text('USER'),
    flag: 'kafka.sasl.username',
    aliases: ['KAFKA_SASL_USERNAME'],
    help: 'SASL user.',
  },
  'kafka.sasl.passwordFile': {
    kind: file(),
    flag: 'kafka.sasl.password-file',
    help: 'File holding the SASL password.',
  },
  'kafka.sasl.passwordEnv': {
    kind: text('NAME'),
    help: 'Name of an environment variable holding the SASL password (the flag-defined cluster reads CONNECT_SENTINEL_KAFKA_SASL_PASSWORD).',
  },
  'restart.enabled': { kind: bool(), help: SAME_AS_GLOBAL.replace('%s', 'restart.enabled') },
  'restart.dryRun': {
    kind: bool(),
    help: `${SAME_AS_GLOBAL.replace('%s', 'restart.dryRun')} True: decide and log restarts, send none.`,
  },
} as const satisfies Table;

/** Settings of the sidecar itself: top-level keys of the file. */
export const GLOBAL_SETTINGS = {
  'poll.interval': {
    kind: duration('100ms', '1d'),
    flag: 'poll.interval',
    aliases: ['POLL_INTERVAL'],
    default: '15s',
    help: 'Time between polls of each cluster.',
  },
  'poll.timeout': {
    kind: duration('50ms', '1h'),
    flag: 'poll.timeout',
    aliases: ['POLL_TIMEOUT'],
    default: '10s',
    help: 'Deadline of one poll of one source (REST or Kafka), retries included.',
  },
  'poll.staleAfter': {
    kind: duration('0', '24d'),
    flag: 'stale-after',
    aliases: ['STALE_AFTER'],
    help: 'After a failed poll, the last good series stay this long (default: 3 poll intervals).',
  },
  'poll.jitter': {
    kind: float(0, 0.5),
    flag: 'poll.jitter',
    default: 0.1,
    help: 'Fraction of the interval by which each wait varies at random.',
  },
  'web.listenAddress': {
    kind: listen(),
    flag: 'web.listen-address',
    aliases: ['WEB_LISTEN_ADDRESS'],
    default: ':9840',
    help: 'Address to serve HTTP on, [host]:port.',
  },
  'web.telemetryPath': {
    kind: httpPath(SERVED_PATHS),
    flag: 'web.telemetry-path',
    default: '/metrics',
    help: `Path of the metrics endpoint; not one the sidecar serves already (${SERVED_PATHS.join(', ')}...).`,
  },
  'web.configFile': {
    kind: file(),
    flag: 'web.config.file',
    help: 'exporter-toolkit web config (TLS, basic auth with bcrypt hashes).',
  },
  'exposition.stateSets': {
    kind: bool(),
    flag: 'exposition.state-sets',
    default: false,
    help: 'Publish connector and task states as full StateSets (a series per possible state, 0 or 1) as before, not only the current state: 2.3x the series with 8 tasks per connector (docs/metrics.md).',
  },
  'restart.enabled': {
    kind: bool(),
    flag: 'restart.enabled',
    aliases: ['RESTART_ENABLED'],
    default: false,
    help: 'Restart FAILED connectors and tasks.',
  },
  'restart.dryRun': {
    kind: bool(),
    flag: 'restart.dry-run',
    default: false,
    help: 'Decide, log and count the restarts that would be made; send none. On its own or with restart.enabled.',
  },
  'restart.maxAttempts': {
    kind: int(1),
    flag: 'restart.max-attempts',
    default: 10,
    help: 'Restart budget per connector before giving up.',
  },
  'restart.backoffBase': {
    kind: duration('0', '1d'),
    flag: 'restart.backoff-base',
    default: '1m',
    help: 'Wait before attempt n+1 is (n²+n) × this.',
  },
  'restart.backoffMax': {
    kind: duration('0', '7d'),
    flag: 'restart.backoff-max',
    default: '60m',
    help: 'Upper bound of the wait between attempts; not below restart.backoffBase.',
  },
  'restart.resetAfter': {
    kind: duration('0', '7d'),
    flag: 'restart.reset-after',
    default: '30m',
    help: "Healthy this long clears a connector's restart history.",
  },
  'restart.include': {
    kind: regex(),
    flag: 'restart.include',
    default: '.*',
    help: 'Only connectors whose name matches are restarted.',
  },
  'restart.exclude': {
    kind: regex(),
    flag: 'restart.exclude',
    help: 'Connectors whose name matches are never restarted.',
  },
  'notify.webhookUrls': {
    kind: urlList(),
    flag: 'notify.webhook-url',
    aliases: ['ALERT_WEBHOOK'],
    default: [],
    help: 'URLs that get a JSON POST on failures, recoveries and restarts (repeatable).',
  },
  'notify.timeout': {
    kind: duration('1ms', '10m'),
    flag: 'notify.timeout',
    default: '5s',
    help: 'Timeout of one webhook delivery.',
  },
  'notify.queueSize': {
    kind: int(1),
    flag: 'notify.queue-size',
    default: 1000,
    help: 'Events kept while receivers are slow; the oldest are dropped beyond.',
  },
  'dlq.maxExceptionClasses': {
    kind: int(1),
    flag: 'dlq.max-exception-classes',
    default: 20,
    help: 'Distinct exception classes per connector before the rest fold into "other".',
  },
  'dlq.backlogPerPartition': {
    kind: int(0),
    flag: 'dlq.backlog-per-partition',
    default: 100,
    help: 'On start, how many existing records per DLQ partition are read.',
  },
  'dlq.recentRecords': {
    kind: int(0),
    flag: 'dlq.recent-records',
    default: 20,
    help: 'Errant records kept per connector for /api/v1/dlq.',
  },
  'dlq.showPayload': {
    kind: bool(),
    flag: 'dlq.show-payload',
    default: false,
    help: 'Show record keys and values in /api/v1/dlq.',
  },
  'dlq.payloadLimit': {
    kind: int(0),
    flag: 'dlq.payload-limit',
    default: 1024,
    help: 'Bytes of key and value shown when showPayload is on.',
  },
  'limits.maxAnswerBytes': {
    kind: int(1024, 2 ** 31 - 1),
    flag: 'limits.max-answer-bytes',
    default: 64 * 1024 * 1024,
    help:
      'Bytes of one Connect answer; a larger one fails that poll. The expanded list is ~1.1 KB per connector ' +
      'with 8 tasks and its parse peaks at ~8x its size: keep 8x this under the container memory limit.',
  },
  'limits.maxConnectors': {
    kind: int(1),
    flag: 'limits.max-connectors',
    default: 20_000,
    help: 'Connectors in one answer; more fail that poll.',
  },
  'limits.maxTraceChars': {
    kind: int(256),
    flag: 'limits.max-trace-chars',
    default: 16_384,
    help: "Characters of a connector's or task's stack trace kept (the start and the end, cut in the middle with a marker).",
  },
  'limits.maxJsonDepth': {
    kind: int(8, 1000),
    flag: 'limits.max-json-depth',
    default: 64,
    help: "Nesting of a Connect answer's JSON (Connect's own nest 5 levels); deeper fails that poll.",
  },
  'log.level': {
    kind: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    flag: 'log.level',
    aliases: ['LOG_LEVEL'],
    default: 'info',
    help: 'Log level.',
  },
  'log.format': {
    kind: oneOf(['json', 'pretty']),
    flag: 'log.format',
    aliases: ['LOG_FORMAT'],
    default: 'json',
    help: 'json for machines, pretty for people.',
  },
} as const satisfies Table;

export type ClusterSettings = typeof CLUSTER_SETTINGS;
export type GlobalSettings = typeof GLOBAL_SETTINGS;
export type ClusterKey = keyof ClusterSettings;
export type GlobalKey = keyof GlobalSettings;

/** The type a setting's kind gives. */
export type TypeOf<S> = S extends { readonly kind: Kind<infer T> } ? T : never;
/** What reading a setting gives: its type, and undefined when it has no default and is not set. */
export type ValueOf<S> = S extends { readonly default: DefaultValue } ? TypeOf<S> : TypeOf<S> | undefined;
export type ClusterType<K extends ClusterKey> = TypeOf<ClusterSettings[K]>;
export type GlobalType<K extends GlobalKey> = TypeOf<GlobalSettings[K]>;

/** `--config.file`: not a setting (it says where the settings are), but a flag with its variable. */
export const CONFIG_FILE_FLAG = {
  flag: 'config.file',
  placeholder: 'PATH',
  aliases: ['CONFIG_FILE'],
  help: 'YAML configuration file (several clusters need it).',
} as const;

export interface EnvOnlyVariable {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly help: string;
}

/**
 * Variables with no flag: the passwords of the flag-defined cluster (a command line is visible to every
 * user of the host), and the revision the image build sets, which src/version.ts reads.
 */
export const ENV_ONLY = {
  connectPassword: {
    name: envName('connect.password'),
    aliases: ['CONNECT_PASSWORD'],
    help: 'Basic auth password of the flag-defined cluster.',
  },
  saslPassword: {
    name: envName('kafka.sasl.password'),
    aliases: ['KAFKA_SASL_PASSWORD'],
    help: 'SASL password of the flag-defined cluster.',
  },
  revision: {
    name: envName('revision'),
    aliases: [],
    help: 'Set by the image build: the revision label of connect_sentinel_build_info.',
  },
} as const satisfies Record<string, EnvOnlyVariable>;

/** One setting as a row, for what iterates over all of them (help, environment, file, generated docs). */
export interface Setting {
  /** Dotted YAML path: from the root for global settings, from a `clusters[]` entry for cluster settings. */
  readonly key: string;
  readonly scope: 'global' | 'cluster';
  readonly kind: Kind<unknown>;
  readonly flag?: string;
  /** envName(flag), when there is a flag. */
  readonly env?: string;
  readonly aliases: readonly string[];
  readonly default?: DefaultValue;
  readonly help: string;
}

function rows(scope: Setting['scope'], table: Table): Setting[] {
  return Object.entries(table).map(([key, s]) => ({
    key,
    scope,
    kind: s.kind,
    ...(s.flag !== undefined ? { flag: s.flag, env: envName(s.flag) } : {}),
    aliases: s.aliases ?? [],
    ...(s.default !== undefined ? { default: s.default } : {}),
    help: s.help,
  }));
}

export const SETTINGS: readonly Setting[] = [
  ...rows('cluster', CLUSTER_SETTINGS),
  ...rows('global', GLOBAL_SETTINGS),
];

export interface TlsFiles {
  readonly caFile?: ClusterType<'tls.caFile'>;
  readonly certFile?: ClusterType<'tls.certFile'>;
  readonly keyFile?: ClusterType<'tls.keyFile'>;
  readonly insecureSkipVerify: ClusterType<'tls.insecureSkipVerify'>;
}

export interface KafkaConfig {
  readonly brokers: ClusterType<'kafka.brokers'>;
  readonly clientId: ClusterType<'kafka.clientId'>;
  readonly tls?: TlsFiles;
  readonly sasl?: {
    readonly mechanism: Exclude<ClusterType<'kafka.sasl.mechanism'>, 'none'>;
    readonly username: ClusterType<'kafka.sasl.username'>;
    readonly password: string;
  };
}

export interface RestartConfig {
  readonly enabled: GlobalType<'restart.enabled'>;
  readonly dryRun: GlobalType<'restart.dryRun'>;
  readonly maxAttempts: GlobalType<'restart.maxAttempts'>;
  readonly backoffBaseMs: GlobalType<'restart.backoffBase'>;
  readonly backoffMaxMs: GlobalType<'restart.backoffMax'>;
  readonly resetAfterMs: GlobalType<'restart.resetAfter'>;
  readonly include: GlobalType<'restart.include'>;
  readonly exclude?: GlobalType<'restart.exclude'>;
}

export interface ClusterConfig {
  readonly name: ClusterType<'name'>;
  readonly url: ClusterType<'url'>;
  readonly basicAuth?: { readonly username: ClusterType<'username'>; readonly password: string };
  readonly bearerTokenFile?: ClusterType<'bearerTokenFile'>;
  readonly tls: TlsFiles;
  readonly kafka?: KafkaConfig;
  readonly restart: RestartConfig;
  /**
   * Set in worker scope (connect.scope=worker): the advertised host:port of the worker this sidecar runs
   * next to. Only its connectors and tasks are published (and restarted).
   */
  readonly workerId?: ClusterType<'workerId'>;
  /** Connect's status topic; discovered when unset and Kafka is configured. */
  readonly statusTopic?: ClusterType<'statusTopic'>;
}

export interface Config {
  readonly clusters: readonly ClusterConfig[];
  readonly poll: {
    readonly intervalMs: GlobalType<'poll.interval'>;
    readonly timeoutMs: GlobalType<'poll.timeout'>;
    readonly staleAfterMs: GlobalType<'poll.staleAfter'>;
    readonly jitter: GlobalType<'poll.jitter'>;
  };
  readonly web: {
    readonly host?: NonNullable<GlobalType<'web.listenAddress'>['host']>;
    readonly port: GlobalType<'web.listenAddress'>['port'];
    readonly telemetryPath: GlobalType<'web.telemetryPath'>;
    readonly configFile?: GlobalType<'web.configFile'>;
  };
  readonly notify: {
    readonly webhookUrls: GlobalType<'notify.webhookUrls'>;
    readonly timeoutMs: GlobalType<'notify.timeout'>;
    readonly queueSize: GlobalType<'notify.queueSize'>;
  };
  readonly dlq: {
    readonly maxExceptionClasses: GlobalType<'dlq.maxExceptionClasses'>;
    readonly backlogPerPartition: GlobalType<'dlq.backlogPerPartition'>;
    readonly recentRecords: GlobalType<'dlq.recentRecords'>;
    readonly showPayload: GlobalType<'dlq.showPayload'>;
    readonly payloadLimit: GlobalType<'dlq.payloadLimit'>;
  };
  /** Caps on what a Connect worker (or a proxy in front of it) can make the sidecar hold. */
  readonly limits: {
    readonly maxBodyBytes: GlobalType<'limits.maxAnswerBytes'>;
    readonly maxConnectors: GlobalType<'limits.maxConnectors'>;
    readonly maxTraceChars: GlobalType<'limits.maxTraceChars'>;
    readonly maxJsonDepth: GlobalType<'limits.maxJsonDepth'>;
  };
  readonly log: { readonly level: GlobalType<'log.level'>; readonly format: GlobalType<'log.format'> };
  readonly exposition: { readonly stateSets: GlobalType<'exposition.stateSets'> };
}
