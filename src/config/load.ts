/**
 * The only place configuration is read and validated: YAML file < environment < flags.
 * Every problem is collected, each naming its key and where it came from, before anything starts.
 */
import { readFileSync } from 'node:fs';
import { readArgv } from './argv.js';
import { clusterConfig, type ClusterInput } from './cluster.js';
import { readEnvironment, type EnvValues } from './env.js';
import { ConfigError } from './errors.js';
import { readConfigFile } from './file.js';
import { helpText } from './help.js';
import {
  CLUSTER_SETTINGS,
  envName,
  GLOBAL_SETTINGS,
  type ClusterConfig,
  type Config,
  type RestartConfig,
  type Setting,
} from './schema.js';
import { Values, type Given } from './values.js';

export { ConfigError } from './errors.js';

export interface ConfigSources {
  /** Arguments after the program name. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly config: Config }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' };

export function parseArgs(sources: ConfigSources): ParsedArgs {
  const problems: string[] = [];
  const argv = readArgv(sources.argv, problems);
  if (argv.kind === 'help') return { kind: 'help', text: helpText() };
  if (argv.kind === 'version') return { kind: 'version' };
  if (problems.length > 0) throw new ConfigError(problems);
  const env = readEnvironment(sources.env, problems);
  const read = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));

  const configFile = argv.configFile ?? env.configFile;
  const file = configFile
    ? readConfigFile(String(configFile.raw), configFile.origin, read)
    : { ok: true as const, values: { global: new Map<string, Given>(), clusters: [] }, problems: [] };
  // Nothing else can be judged without the file: a missing cluster would only be the file's fault.
  if (!file.ok) throw new ConfigError(file.problems);
  problems.push(...file.problems);

  const global = new Map(file.values.global);
  const flagCluster = new Map<string, Given>();
  const apply = (given: Map<Setting, Given>): void => {
    for (const [s, v] of given) (s.scope === 'global' ? global : flagCluster).set(s.key, v);
  };
  apply(env.settings);
  apply(argv.settings);
  const clusters: ClusterInput[] = file.values.clusters.map((given) => ({ given }));
  if (flagCluster.size > 0 || env.connectPassword || env.saslPassword)
    mergeFlagCluster(clusters, { given: flagCluster, ...passwords(env) });

  const config = build(global, clusters, read, sources.env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { kind: 'run', config };
}

/** Convenience for callers that don't handle --help/--version. */
export function loadConfig(sources: ConfigSources): Config {
  const parsed = parseArgs(sources);
  if (parsed.kind !== 'run') throw new ConfigError([`unexpected --${parsed.kind}`]);
  return parsed.config;
}

function passwords(env: EnvValues): Pick<ClusterInput, 'password' | 'saslPassword'> {
  return {
    ...(env.connectPassword ? { password: env.connectPassword } : {}),
    ...(env.saslPassword ? { saslPassword: env.saslPassword } : {}),
  };
}

const nameOf = (c: ClusterInput): string => String(c.given.get('name')?.raw ?? CLUSTER_SETTINGS.name.default);

/**
 * Flags and environment define (or override) one cluster: the file's cluster named by connect.name, else
 * the file's only cluster, else its cluster named "default", else a new one.
 */
function mergeFlagCluster(clusters: ClusterInput[], flags: ClusterInput): void {
  const named = flags.given.get('name')?.raw;
  const i =
    named !== undefined
      ? clusters.findIndex((c) => nameOf(c) === String(named))
      : clusters.length === 1
        ? 0
        : clusters.findIndex((c) => nameOf(c) === CLUSTER_SETTINGS.name.default);
  if (i < 0) {
    clusters.push(flags);
    return;
  }
  const target = clusters[i] as ClusterInput;
  clusters[i] = { ...target, ...flags, given: new Map([...target.given, ...flags.given]) };
}

function build(
  given: ReadonlyMap<string, Given>,
  inputs: readonly ClusterInput[],
  read: (path: string) => string,
  env: ConfigSources['env'],
  problems: string[],
): Config {
  const g = new Values(GLOBAL_SETTINGS, given, '', problems).readAll();
  const restart: RestartConfig = {
    enabled: g.get('restart.enabled'),
    dryRun: g.get('restart.dryRun'),
    maxAttempts: g.get('restart.maxAttempts'),
    backoffBaseMs: g.get('restart.backoffBase'),
    backoffMaxMs: g.get('restart.backoffMax'),
    resetAfterMs: g.get('restart.resetAfter'),
    include: g.get('restart.include'),
    ...optional('exclude', g.get('restart.exclude')),
  };
  if (restart.backoffMaxMs < restart.backoffBaseMs)
    g.fail(
      'restart.backoffMax',
      `${restart.backoffMaxMs} ms must not be below restart.backoffBase (${restart.backoffBaseMs} ms)`,
    );

  if (inputs.length === 0)
    problems.push(
      `no Connect cluster configured: set --connect.url (or ${envName('connect.url')}), or clusters: in --config.file`,
    );
  const clusters: ClusterConfig[] = inputs.map((input, i) =>
    clusterConfig(input, i, { read, env, restart, problems }),
  );
  const seen = new Set<string>();
  inputs.forEach((input, i) => {
    const name = (clusters[i] as ClusterConfig).name;
    if (seen.has(name))
      problems.push(
        `${input.given.get('name')?.origin ?? `cluster "${name}"`}: cluster name "${name}" is used twice; names must be unique`,
      );
    seen.add(name);
  });

  const intervalMs = g.get('poll.interval');
  const listen = g.get('web.listenAddress');
  return {
    clusters,
    poll: {
      intervalMs,
      timeoutMs: g.get('poll.timeout'),
      staleAfterMs: g.get('poll.staleAfter') ?? 3 * intervalMs,
      jitter: g.get('poll.jitter'),
    },
    web: {
      ...optional('host', listen.host),
      port: listen.port,
      telemetryPath: g.get('web.telemetryPath'),
      ...optional('configFile', g.get('web.configFile')),
    },
    notify: {
      webhookUrls: g.get('notify.webhookUrls'),
      timeoutMs: g.get('notify.timeout'),
      queueSize: g.get('notify.queueSize'),
    },
    dlq: {
      maxExceptionClasses: g.get('dlq.maxExceptionClasses'),
      backlogPerPartition: g.get('dlq.backlogPerPartition'),
      recentRecords: g.get('dlq.recentRecords'),
      showPayload: g.get('dlq.showPayload'),
      payloadLimit: g.get('dlq.payloadLimit'),
    },
    limits: {
      maxBodyBytes: g.get('limits.maxAnswerBytes'),
      maxConnectors: g.get('limits.maxConnectors'),
      maxTraceChars: g.get('limits.maxTraceChars'),
      maxJsonDepth: g.get('limits.maxJsonDepth'),
    },
    log: { level: g.get('log.level'), format: g.get('log.format') },
    exposition: { stateSets: g.get('exposition.stateSets') },
  };
}

/** `{ [key]: value }` when value is defined, else nothing: optional fields are absent, not undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
