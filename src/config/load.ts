/**
 * The only place configuration is read and validated: YAML file < environment < flags.
 * Every problem is collected, each naming its key and where it came from, before anything starts.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { parseDuration } from './duration.js';
import {
  SETTINGS,
  type ClusterConfig,
  type Config,
  type Kind,
  type RestartConfig,
  type Setting,
  type TlsFiles,
} from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

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

interface Value {
  readonly raw: unknown;
  /** Where the value came from, for error messages: `file.yaml:12`, `--flag`, `ENV_VAR`. */
  readonly origin: string;
}

const GLOBAL = SETTINGS.filter((s) => s.scope === 'global');
const CLUSTER = SETTINGS.filter((s) => s.scope === 'cluster');
const BY_FLAG = new Map(SETTINGS.filter((s) => s.flag).map((s) => [s.flag as string, s]));
const META_FLAGS = new Set(['config.file', 'help', 'version']);

export function helpText(): string {
  const lines = [
    'usage: connect-sentinel [flags]',
    '',
    'Flags (each also settable in --config.file; env shown in brackets):',
  ];
  lines.push('  --config.file PATH'.padEnd(44) + 'YAML configuration file (several clusters need it).');
  for (const s of SETTINGS) {
    if (!s.flag) continue;
    const head = `  --${s.flag}${s.kind.t === 'bool' ? '' : ` ${valueName(s.kind)}`}`;
    const extra = [
      s.env ? `[${s.env}]` : '',
      s.default !== undefined && String(s.default) !== '' ? `(default ${String(s.default)})` : '',
    ]
      .filter(Boolean)
      .join(' ');
    lines.push(head.padEnd(44) + `${s.help} ${extra}`.trimEnd());
  }
  lines.push('  --help'.padEnd(44) + 'Show this text.', '  --version'.padEnd(44) + 'Show the version.');
  return `${lines.join('\n')}\n`;
}

function valueName(k: Kind): string {
  switch (k.t) {
    case 'duration':
      return 'DURATION';
    case 'int':
    case 'float':
      return 'N';
    case 'url':
    case 'urlList':
      return 'URL';
    case 'file':
      return 'PATH';
    case 'enum':
      return k.values.join('|');
    case 'listen':
      return '[HOST]:PORT';
    case 'regex':
      return 'REGEX';
    default:
      return 'VALUE';
  }
}

export function parseArgs(sources: ConfigSources): ParsedArgs {
  const problems: string[] = [];
  const flags = new Map<string, Value>();
  let configFile: string | undefined;
  const argv = sources.argv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument "${arg}" (flags start with --)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === 'help' || name === 'h') return { kind: 'help', text: helpText() };
    if (name === 'version') return { kind: 'version' };
    const setting = BY_FLAG.get(name);
    if (!setting && !META_FLAGS.has(name)) {
      problems.push(`--${name}: unknown flag (see --help)`);
      // Its value, if any, is not a stray argument of its own.
      if (eq < 0 && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--')) i++;
      continue;
    }
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined) {
      const next = argv[i + 1];
      const isBool = setting?.kind.t === 'bool';
      if (isBool && (next === undefined || !/^(true|false)$/i.test(next))) value = 'true';
      else if (next === undefined) {
        problems.push(`--${name}: needs a value`);
        continue;
      } else {
        value = next;
        i++;
      }
    }
    if (name === 'config.file') {
      configFile = value;
      continue;
    }
    const prior = flags.get(name);
    const listy = setting?.kind.t === 'list' || setting?.kind.t === 'urlList';
    if (listy && prior) flags.set(name, { raw: `${String(prior.raw)},${value}`, origin: `--${name}` });
    else flags.set(name, { raw: value, origin: `--${name}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  configFile ??= nonEmpty(sources.env.CONFIG_FILE);
  return { kind: 'run', config: resolve(sources, flags, configFile) };
}

/** Convenience for callers that don't handle --help/--version. */
export function loadConfig(sources: ConfigSources): Config {
  const parsed = parseArgs(sources);
  if (parsed.kind !== 'run') throw new ConfigError([`unexpected --${parsed.kind}`]);
  return parsed.config;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

interface FileValues {
  global: Map<string, Value>;
  clusters: Map<string, Value>[];
}

function readYaml(path: string, read: (p: string) => string, problems: string[]): FileValues {
  const out: FileValues = { global: new Map(), clusters: [] };
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    problems.push(`--config.file: cannot read ${path}: ${(err as Error).message}`);
    return out;
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  const where = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    return offset === undefined ? path : `${path}:${lc.linePos(offset).line}`;
  };
  for (const e of doc.errors)
    problems.push(`${path}:${e.linePos?.[0]?.line ?? '?'}: invalid YAML: ${e.message.split('\n')[0]}`);
  if (doc.errors.length > 0 || doc.contents === null) return out;
  if (!isMap(doc.contents)) {
    problems.push(`${where(doc.contents)}: the file must be a mapping of keys (poll:, clusters:, ...)`);
    return out;
  }
  const walk = (
    node: Node,
    prefix: string,
    settings: readonly Setting[],
    into: Map<string, Value>,
    label: string,
  ): void => {
    if (!isMap(node)) {
      problems.push(`${where(node)}: ${label || 'value'} must be a mapping`);
      return;
    }
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const full = prefix ? `${prefix}.${key}` : key;
      const shown = label ? `${label}.${key}` : key;
      if (prefix === '' && key === 'clusters' && settings === GLOBAL) {
        const seq = pair.value as Node;
        if (!isSeq(seq)) {
          problems.push(`${where(seq ?? keyNode)}: clusters must be a list of clusters`);
          continue;
        }
        seq.items.forEach((item, i) => {
          const m = new Map<string, Value>();
          out.clusters.push(m);
          walk(item as Node, '', CLUSTER, m, `clusters[${i}]`);
        });
        continue;
      }
      const leaf = settings.find((s) => s.key === full);
      const isBranch = settings.some((s) => s.key.startsWith(`${full}.`));
      if (leaf) {
        const v = pair.value as Node | null;
        into.set(full, { raw: toPlain(v), origin: `${where(v ?? keyNode)}: ${shown}` });
      } else if (isBranch) {
        if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue;
        walk(pair.value as Node, full, settings, into, shown);
      } else {
        const known = [
          ...new Set(
            settings
              .filter((s) => !prefix || s.key.startsWith(`${prefix}.`))
              .map((s) => s.key.slice(prefix ? prefix.length + 1 : 0).split('.')[0]),
          ),
        ];
        if (settings === GLOBAL && !prefix) known.push('clusters');
        problems.push(`${where(keyNode)}: unknown key "${shown}" (known here: ${known.sort().join(', ')})`);
      }
    }
  };
  walk(doc.contents, '', GLOBAL, out.global, '');
  return out;
}

function toPlain(node: Node | null): unknown {
  if (node === null) return null;
  if (isScalar(node)) return node.value;
  if (isSeq(node))
    return node.items.map((i) => (isScalar(i) ? i.value : i === null ? null : { nested: true }));
  return { nested: true };
}

function resolve(sources: ConfigSources, flags: Map<string, Value>, configFile: string | undefined): Config {
  const problems: string[] = [];
  const read = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const file: FileValues = configFile
    ? readYaml(configFile, read, problems)
    : { global: new Map(), clusters: [] };

  // Environment and flags for one cluster: the one named by connect.name, or the file's only cluster.
  const envCluster = new Map<string, Value>();
  const global = new Map(file.global);
  for (const s of SETTINGS) {
    const envValue = s.env ? nonEmpty(sources.env[s.env]) : undefined;
    const target = s.scope === 'global' ? global : envCluster;
    if (envValue !== undefined) target.set(s.key, { raw: envValue, origin: s.env as string });
    const flagValue = s.flag ? flags.get(s.flag) : undefined;
    if (flagValue) target.set(s.key, flagValue);
  }
  const envPassword = nonEmpty(sources.env.CONNECT_PASSWORD);
  const envSaslPassword = nonEmpty(sources.env.KAFKA_SASL_PASSWORD);

  const clusterMaps = file.clusters.map((m) => new Map(m));
  if (envCluster.size > 0 || envPassword || envSaslPassword) {
    const named = envCluster.get('name')?.raw;
    let target =
      named !== undefined
        ? clusterMaps.find((m) => String(m.get('name')?.raw ?? 'default') === String(named))
        : clusterMaps.length === 1
          ? clusterMaps[0]
          : clusterMaps.find((m) => String(m.get('name')?.raw ?? 'default') === 'default');
    if (!target) {
      target = new Map();
      clusterMaps.push(target);
    }
    for (const [k, v] of envCluster) target.set(k, v);
    if (envPassword) target.set('__password', { raw: envPassword, origin: 'CONNECT_PASSWORD' });
    if (envSaslPassword)
      target.set('__saslPassword', { raw: envSaslPassword, origin: 'KAFKA_SASL_PASSWORD' });
  }

  const g = new Getter(global, problems, 'global', read, sources.env);
  const interval = g.num('poll.interval');
  const restartDefaults = {
    enabled: g.bool('restart.enabled'),
    dryRun: g.bool('restart.dryRun'),
    maxAttempts: g.num('restart.maxAttempts'),
    backoffBaseMs: g.num('restart.backoffBase'),
    backoffMaxMs: g.num('restart.backoffMax'),
    resetAfterMs: g.num('restart.resetAfter'),
    include: g.regex('restart.include') ?? /.*/,
  };
  const exclude = g.regex('restart.exclude');

  const clusters: ClusterConfig[] = [];
  const names = new Set<string>();
  if (clusterMaps.length === 0) {
    problems.push(
      'no Connect cluster configured: set --connect.url (or CONNECT_URL), or clusters: in --config.file',
    );
  }
  clusterMaps.forEach((m, i) => {
    const c = new Getter(m, problems, `clusters[${i}]`, read, sources.env);
    const name = c.str('name') ?? 'default';
    const label = `cluster "${name}"`;
    if (names.has(name))
      problems.push(
        `${m.get('name')?.origin ?? label}: cluster name "${name}" is used twice; names must be unique`,
      );
    names.add(name);
    const url = c.str('url');
    if (url === undefined && !m.has('url'))
      problems.push(`${label}: url is required (--connect.url, CONNECT_URL or clusters[].url)`);
    const username = c.str('username');
    const password =
      (m.get('__password')?.raw as string | undefined) ??
      c.secretFile('passwordFile') ??
      c.secretEnv('passwordEnv');
    if (username !== undefined && password === undefined) {
      problems.push(
        `${label}: username is set but no password (connect.password-file, CONNECT_PASSWORD or passwordEnv)`,
      );
    }
    if (password !== undefined && username === undefined)
      problems.push(`${label}: a password is set but no username`);
    const bearerTokenFile = c.str('bearerTokenFile');
    if (bearerTokenFile !== undefined && username !== undefined) {
      problems.push(`${label}: choose basic auth or a bearer token, not both`);
    }
    const tls = c.tls('tls');
    const workerId = workerIdOf(c, m, label, url, problems);
    const brokers = c.list('kafka.brokers');
    let kafka: ClusterConfig['kafka'];
    if (brokers.length > 0) {
      for (const b of brokers) {
        if (!/^[^\s:]+:\d{1,5}$/.test(b))
          problems.push(`${m.get('kafka.brokers')?.origin ?? label}: kafka broker "${b}" is not host:port`);
      }
      const mechanism = c.str('kafka.sasl.mechanism') ?? 'none';
      let sasl: NonNullable<ClusterConfig['kafka']>['sasl'];
      if (mechanism !== 'none') {
        const u = c.str('kafka.sasl.username');
        const p =
          (m.get('__saslPassword')?.raw as string | undefined) ??
          c.secretFile('kafka.sasl.passwordFile') ??
          c.secretEnv('kafka.sasl.passwordEnv');
        if (u === undefined || p === undefined)
          problems.push(
            `${label}: kafka.sasl.mechanism ${mechanism} needs kafka.sasl.username and a password`,
          );
        else sasl = { mechanism: mechanism as 'plain', username: u, password: p };
      }
      const ktls = c.bool('kafka.tls.enabled') ? c.tls('kafka.tls') : undefined;
      kafka = {
        brokers,
        clientId: c.str('kafka.clientId') ?? 'connect-sentinel',
        ...(ktls ? { tls: ktls } : {}),
        ...(sasl ? { sasl } : {}),
      };
    }
    const restart: RestartConfig = {
      ...restartDefaults,
      enabled: m.has('restart.enabled') ? c.bool('restart.enabled') : restartDefaults.enabled,
      dryRun: m.has('restart.dryRun') ? c.bool('restart.dryRun') : restartDefaults.dryRun,
      ...(exclude ? { exclude } : {}),
    };
    clusters.push({
      name,
      url: url ?? '',
      ...(username !== undefined && password !== undefined ? { basicAuth: { username, password } } : {}),
      ...(bearerTokenFile !== undefined ? { bearerTokenFile } : {}),
      tls,
      ...(kafka ? { kafka } : {}),
      restart,
      ...(workerId !== undefined ? { workerId } : {}),
    });
  });

  const listen = g.str('web.listenAddress') ?? ':9840';
  const lm = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  const port = Number(lm?.[3]);
  const host = lm?.[1] ?? lm?.[2];
  const telemetryPath = g.str('web.telemetryPath') ?? '/metrics';
  if (!telemetryPath.startsWith('/'))
    problems.push(`${global.get('web.telemetryPath')?.origin ?? 'web.telemetryPath'}: must start with /`);
  if (restartDefaults.backoffMaxMs < restartDefaults.backoffBaseMs) {
    problems.push(
      `restart.backoffMax (${restartDefaults.backoffMaxMs} ms) must not be below restart.backoffBase (${restartDefaults.backoffBaseMs} ms)`,
    );
  }
  const webConfigFile = g.str('web.configFile');
  const config: Config = {
    clusters,
    poll: {
      intervalMs: interval,
      timeoutMs: g.num('poll.timeout'),
      staleAfterMs: global.has('poll.staleAfter') ? g.num('poll.staleAfter') : 3 * interval,
      jitter: g.num('poll.jitter'),
    },
    web: {
      ...(host ? { host } : {}),
      port,
      telemetryPath,
      ...(webConfigFile ? { configFile: webConfigFile } : {}),
    },
    notify: {
      webhookUrls: g.list('notify.webhookUrls'),
      timeoutMs: g.num('notify.timeout'),
      queueSize: g.num('notify.queueSize'),
    },
    dlq: {
      maxExceptionClasses: g.num('dlq.maxExceptionClasses'),
      backlogPerPartition: g.num('dlq.backlogPerPartition'),
      recentRecords: g.num('dlq.recentRecords'),
      showPayload: g.bool('dlq.showPayload'),
      payloadLimit: g.num('dlq.payloadLimit'),
    },
    log: {
      level: g.str('log.level') ?? 'info',
      format: (g.str('log.format') ?? 'json') as 'json' | 'pretty',
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The worker id in worker scope: the workerId setting, else the url's host:port. Connect's worker_id is the
 * worker's advertised host:port, so a sidecar that reaches its worker by that address needs no more setting.
 * A loopback url (a sidecar in the worker's pod) says nothing about that address, so it must be set.
 */
function workerIdOf(
  c: Getter,
  m: Map<string, Value>,
  label: string,
  url: string | undefined,
  problems: string[],
): string | undefined {
  const origin = m.get('workerId')?.origin ?? `${label}: workerId`;
  const explicit = c.str('workerId')?.trim();
  if ((c.str('scope') ?? 'cluster') !== 'worker') {
    if (explicit !== undefined)
      problems.push(`${origin}: only used with scope worker (--connect.scope=worker)`);
    return undefined;
  }
  let id = explicit;
  if (id === undefined && url !== undefined) {
    const u = new URL(url); // already validated as a URL
    if (/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(u.hostname)) {
      problems.push(
        `${label}: scope worker with a loopback url needs workerId (--connect.worker-id): the worker's advertised ` +
          `host:port (rest.advertised.host.name:rest.advertised.port; in Kubernetes $(POD_IP):8083)`,
      );
      return undefined;
    }
    id = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  }
  if (id !== undefined && !/^(?:\[[0-9A-Fa-f:.]+\]|[^\s:[\]/]+):\d{1,5}$/.test(id)) {
    problems.push(
      `${origin}: "${id}" is not host:port (the worker_id Connect shows in GET /connectors/<name>/status)`,
    );
  }
  return id;
}

/** Reads one scope's values, checks them against their kind, records problems, applies defaults. */
class Getter {
  constructor(
    private readonly values: Map<string, Value>,
    private readonly problems: string[],
    private readonly scope: string,
    private readonly read: (p: string) => string,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  private setting(key: string): Setting {
    const global = this.scope === 'global';
    const s = SETTINGS.find((x) => x.key === key && (x.scope === 'global') === global);
    if (!s) throw new Error(`no setting ${key}`);
    return s;
  }

  private origin(key: string): string {
    return this.values.get(key)?.origin ?? (this.scope === 'global' ? key : `${this.scope}.${key}`);
  }

  private fail(key: string, message: string): undefined {
    this.problems.push(`${this.origin(key)}: ${message}`);
    return undefined;
  }

  /** The validated value, or the default; undefined if unset without default or invalid. */
  private get(key: string): unknown {
    const s = this.setting(key);
    const v = this.values.get(key);
    const raw = v === undefined || v.raw === null ? s.default : v.raw;
    if (raw === undefined) return undefined;
    const k = s.kind;
    const text = Array.isArray(raw) ? raw.join(',') : String(raw);
    switch (k.t) {
      case 'string':
      case 'file':
        if (typeof raw === 'object') return this.fail(key, 'must be a single value');
        return text;
      case 'url':
        try {
          const u = new URL(text);
          if (u.protocol !== 'http:' && u.protocol !== 'https:')
            return this.fail(key, `"${text}" must be an http:// or https:// URL`);
          if (u.username || u.password)
            return this.fail(key, 'must not contain credentials; use username and a password file');
          return text;
        } catch {
          return this.fail(key, `"${text}" is not a URL (e.g. http://connect:8083)`);
        }
      case 'duration': {
        const ms = typeof raw === 'number' ? undefined : parseDuration(text);
        if (ms === undefined) return this.fail(key, `"${text}" is not a duration (e.g. 500ms, 15s, 2m, 1h)`);
        if (k.min !== undefined && ms < k.min)
          return this.fail(key, `${text} is below the minimum of ${k.min}ms`);
        return ms;
      }
      case 'int':
      case 'float': {
        const n = typeof raw === 'number' ? raw : text.trim() === '' ? NaN : Number(text);
        if (!Number.isFinite(n) || (k.t === 'int' && !Number.isInteger(n)))
          return this.fail(key, `"${text}" is not ${k.t === 'int' ? 'an integer' : 'a number'}`);
        if (n < k.min || (k.max !== undefined && n > k.max))
          return this.fail(key, `${n} is out of range (${k.min}..${k.max ?? '∞'})`);
        return n;
      }
      case 'bool':
        if (typeof raw === 'boolean') return raw;
        if (/^(true|1|yes)$/i.test(text)) return true;
        if (/^(false|0|no)$/i.test(text)) return false;
        return this.fail(key, `"${text}" is not true or false`);
      case 'list':
      case 'urlList': {
        const items = (Array.isArray(raw) ? raw.map(String) : text.split(','))
          .map((x) => x.trim())
          .filter(Boolean);
        if (k.t === 'urlList') {
          for (const item of items) {
            try {
              if (!/^https?:$/.test(new URL(item).protocol)) throw new Error();
            } catch {
              this.fail(key, `"${item}" is not an http(s) URL`);
            }
          }
        }
        return items;
      }
      case 'regex':
        try {
          return new RegExp(`^(?:${text})$`);
        } catch (err) {
          return this.fail(key, `"${text}" is not a valid regular expression: ${(err as Error).message}`);
        }
      case 'listen':
        if (
          !/^(?:\[[^\]]+\]|[^:]*):\d+$/.test(text) ||
          Number(text.slice(text.lastIndexOf(':') + 1)) > 65535
        ) {
          return this.fail(key, `"${text}" is not [host]:port (e.g. :9840 or 127.0.0.1:9840)`);
        }
        return text;
      case 'enum':
        if (!k.values.includes(text)) return this.fail(key, `"${text}" is not one of ${k.values.join(', ')}`);
        return text;
    }
  }

  str(key: string): string | undefined {
    const v = this.get(key);
    return typeof v === 'string' ? v : undefined;
  }
  num(key: string): number {
    const v = this.get(key);
    if (typeof v === 'number') return v;
    // Invalid: a problem is recorded; fall back to the default so the rest can be checked.
    const d = this.setting(key).default;
    return typeof d === 'number' ? d : typeof d === 'string' ? (parseDuration(d) ?? 0) : 0;
  }
  bool(key: string): boolean {
    return this.get(key) === true;
  }
  list(key: string): string[] {
    const v = this.get(key);
    return Array.isArray(v) ? (v as string[]) : [];
  }
  regex(key: string): RegExp | undefined {
    const v = this.get(key);
    return v instanceof RegExp ? v : undefined;
  }
  /** Reads a secret file now so a missing file is a start-up error naming the key, not a poll error. */
  secretFile(key: string): string | undefined {
    const path = this.str(key);
    if (path === undefined) return undefined;
    try {
      return this.read(path).trim();
    } catch (err) {
      return this.fail(
        key,
        `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  secretEnv(key: string): string | undefined {
    const name = this.str(key);
    if (name === undefined) return undefined;
    const v = this.env[name];
    if (v === undefined || v === '') return this.fail(key, `environment variable ${name} is not set`);
    return v;
  }
  tls(prefix: string): TlsFiles {
    const files: Record<string, string> = {};
    for (const f of ['caFile', 'certFile', 'keyFile'] as const) {
      const p = this.str(`${prefix}.${f}`);
      if (p === undefined) continue;
      try {
        this.read(p);
        files[f] = p;
      } catch (err) {
        this.fail(
          `${prefix}.${f}`,
          `cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    }
    if (
      (files.certFile === undefined) !== (files.keyFile === undefined) &&
      this.values.has(`${prefix}.certFile`) !== this.values.has(`${prefix}.keyFile`)
    ) {
      this.problems.push(
        `${this.scope === 'global' ? '' : `${this.scope}.`}${prefix}: certFile and keyFile go together`,
      );
    }
    return { ...files, insecureSkipVerify: this.bool(`${prefix}.insecureSkipVerify`) };
  }
}
