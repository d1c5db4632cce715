/**
 * One Connect cluster's configuration from its values: authentication, TLS files (read and checked now),
 * Kafka and worker scope. Each rule that spans several keys lives here and names the keys.
 */
import {
  CLUSTER_SETTINGS,
  ENV_ONLY,
  envName,
  type ClusterConfig,
  type ClusterSettings,
  type RestartConfig,
  type TlsFiles,
} from './schema.js';
import { tlsFileProblems, type GivenFile } from './tls.js';
import { Values, type Given } from './values.js';

type ClusterValues = Values<ClusterSettings>;

export interface ClusterInput {
  readonly given: ReadonlyMap<string, Given>;
  /** The passwords of the environment (flag-defined cluster only). */
  readonly password?: Given;
  readonly saslPassword?: Given;
}

export interface ClusterContext {
  readonly read: (path: string) => string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The sidecar-wide restart settings, which a cluster may override in part. */
  readonly restart: RestartConfig;
  readonly problems: string[];
}

/** Reads a secret file now, so that a missing file is a start-up problem naming the key, not a poll error. */
function secretFile(
  c: ClusterValues,
  key: 'passwordFile' | 'kafka.sasl.passwordFile',
  ctx: ClusterContext,
): string | undefined {
  const path = c.get(key);
  if (path === undefined) return undefined;
  try {
    return ctx.read(path).trim();
  } catch (err) {
    c.fail(key, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
}

function secretEnv(
  c: ClusterValues,
  key: 'passwordEnv' | 'kafka.sasl.passwordEnv',
  ctx: ClusterContext,
): string | undefined {
  const name = c.get(key);
  if (name === undefined) return undefined;
  const v = ctx.env[name];
  if (v === undefined || v === '') {
    c.fail(key, `environment variable ${name} is not set`);
    return undefined;
  }
  return v;
}

function tls(c: ClusterValues, prefix: 'tls' | 'kafka.tls', label: string, ctx: ClusterContext): TlsFiles {
  const given = (name: 'caFile' | 'certFile' | 'keyFile'): GivenFile | undefined => {
    const key = `${prefix}.${name}` as const;
    const path = c.get(key);
    return path === undefined ? undefined : { path, origin: c.origin(key) };
  };
  const files = { caFile: given('caFile'), certFile: given('certFile'), keyFile: given('keyFile') };
  if ((files.certFile === undefined) !== (files.keyFile === undefined))
    ctx.problems.push(`${label}: ${prefix}.certFile and ${prefix}.keyFile go together`);
  ctx.problems.push(...tlsFileProblems(files, ctx.read));
  return {
    ...(files.caFile ? { caFile: files.caFile.path } : {}),
    ...(files.certFile ? { certFile: files.certFile.path } : {}),
    ...(files.keyFile ? { keyFile: files.keyFile.path } : {}),
    insecureSkipVerify: c.get(`${prefix}.insecureSkipVerify`),
  };
}

/**
 * The worker id in worker scope: the workerId setting, else the url's host:port. Connect's worker_id is the
 * worker's advertised host:port, so a sidecar that reaches its worker by that address needs no more setting.
 * A loopback url (a sidecar in the worker's pod) says nothing about that address, so it must be set.
 */
function workerIdOf(
  c: ClusterValues,
  label: string,
  url: string | undefined,
  ctx: ClusterContext,
): string | undefined {
  const explicit = c.get('workerId')?.trim();
  if (c.get('scope') !== 'worker') {
    if (explicit !== undefined) c.fail('workerId', 'only used with scope worker (--connect.scope=worker)');
    return undefined;
  }
  let id = explicit;
  if (id === undefined && url !== undefined) {
    const u = new URL(url); // valid: url is the parsed value
    if (/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(u.hostname)) {
      ctx.problems.push(
        `${label}: scope worker with a loopback url needs workerId (--connect.worker-id): the worker's advertised ` +
          `host:port (rest.advertised.host.name:rest.advertised.port; in Kubernetes $(POD_IP):8083)`,
      );
      return undefined;
    }
    id = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  }
  if (id !== undefined && !/^(?:\[[0-9A-Fa-f:.]+\]|[^\s:[\]/]+):\d{1,5}$/.test(id))
    c.fail(
      'workerId',
      `"${id}" is not host:port (the worker_id Connect shows in GET /connectors/<name>/status)`,
    );
  return id;
}

function kafkaOf(
  c: ClusterValues,
  input: ClusterInput,
  label: string,
  ctx: ClusterContext,
): ClusterConfig['kafka'] {
  const brokers = c.get('kafka.brokers');
  if (brokers.length === 0) return undefined;
  const mechanism = c.get('kafka.sasl.mechanism');
  let sasl: NonNullable<ClusterConfig['kafka']>['sasl'];
  if (mechanism !== 'none') {
    const username = c.get('kafka.sasl.username');
    const password =
      (input.saslPassword?.raw as string | undefined) ??
      secretFile(c, 'kafka.sasl.passwordFile', ctx) ??
      secretEnv(c, 'kafka.sasl.passwordEnv', ctx);
    if (username === undefined || password === undefined)
      ctx.problems.push(
        `${label}: kafka.sasl.mechanism ${mechanism} needs kafka.sasl.username and a password`,
      );
    else sasl = { mechanism, username, password };
  }
  const ktls = c.get('kafka.tls.enabled') ? tls(c, 'kafka.tls', label, ctx) : undefined;
  return {
    brokers,
    clientId: c.get('kafka.clientId'),
    ...(ktls ? { tls: ktls } : {}),
    ...(sasl ? { sasl } : {}),
  };
}

/** The cluster at `index` of the list (`clusters[index]` in messages); its problems go to ctx.problems. */
export function clusterConfig(input: ClusterInput, index: number, ctx: ClusterContext): ClusterConfig {
  const c = new Values(CLUSTER_SETTINGS, input.given, `clusters[${index}]`, ctx.problems).readAll();
  const name = c.get('name');
  const label = `cluster "${name}"`;
  const url = c.get('url');
  if (url === undefined && !c.has('url'))
    ctx.problems.push(
      `${label}: url is required (--connect.url, ${envName(CLUSTER_SETTINGS.url.flag)} or clusters[].url)`,
    );
  const username = c.get('username');
  const password =
    (input.password?.raw as string | undefined) ??
    secretFile(c, 'passwordFile', ctx) ??
    secretEnv(c, 'passwordEnv', ctx);
  if (username !== undefined && password === undefined)
    ctx.problems.push(
      `${label}: username is set but no password (connect.password-file, ${ENV_ONLY.connectPassword.name} or passwordEnv)`,
    );
  if (password !== undefined && username === undefined)
    ctx.problems.push(`${label}: a password is set but no username`);
  const bearerTokenFile = c.get('bearerTokenFile');
  if (bearerTokenFile !== undefined && username !== undefined)
    ctx.problems.push(`${label}: choose basic auth or a bearer token, not both`);
  const tlsFiles = tls(c, 'tls', label, ctx);
  const workerId = workerIdOf(c, label, url, ctx);
  const kafka = kafkaOf(c, input, label, ctx);
  const statusTopic = c.get('statusTopic')?.trim();
  const restart: RestartConfig = {
    ...ctx.restart,
    enabled: c.get('restart.enabled') ?? ctx.restart.enabled,
    dryRun: c.get('restart.dryRun') ?? ctx.restart.dryRun,
  };
  return {
    name,
    url: url ?? '',
    ...(username !== undefined && password !== undefined ? { basicAuth: { username, password } } : {}),
    ...(bearerTokenFile !== undefined ? { bearerTokenFile } : {}),
    tls: tlsFiles,
    ...(kafka ? { kafka } : {}),
    restart,
    ...(workerId !== undefined ? { workerId } : {}),
    ...(statusTopic ? { statusTopic } : {}),
  };
}
