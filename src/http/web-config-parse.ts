/**
 * `--web.config.file` in the Prometheus exporter-toolkit format
 * (https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md), parsed: TLS for the
 * HTTP server, basic auth with bcrypt hashes, response headers and a rate limit. Pure: the file's text and a
 * reader for the files it names in, a WebConfig or a WebConfigError naming every problem with file:line out.
 */
import path from 'node:path';
import type tls from 'node:tls';
import { createSecureContext } from 'node:tls';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { parseDuration } from '../config/duration.js';
import { WebConfigError } from './web-config-error.js';

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS: Record<string, tls.SecureVersion> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/** Go's crypto/tls names (what exporter-toolkit accepts) → OpenSSL's, for TLS 1.2 and below. */
const CIPHER_SUITES: Record<string, string> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};
/** TLS 1.3 suites: always on (as in Go); listed here so naming them is not an error. */
const TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];

const CURVES: Record<string, string> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

/** The only headers exporter-toolkit lets the file set, with the values it accepts (undefined: any). */
const HEADERS: Record<string, RegExp | undefined> = {
  'Content-Security-Policy': undefined,
  'X-Frame-Options': /^(deny|sameorigin)$/i,
  'X-Content-Type-Options': /^nosniff$/i,
  'X-XSS-Protection': undefined,
  'Strict-Transport-Security': undefined,
};

const BCRYPT_HASH = /^\$2[aby]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

export interface TlsServerSettings {
  /** Options of tls.createSecureContext: certificate, key, client CA, versions, ciphers, curves. */
  readonly context: tls.SecureContextOptions;
  readonly clientAuth: ClientAuthType;
  /** Client certificates must carry one of these subject alternative names (empty: any). */
  readonly allowedSans: readonly string[];
}

export interface WebConfig {
  readonly tls?: TlsServerSettings;
  /** user → bcrypt hash; empty: no basic auth. */
  readonly users: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
  /** Token bucket: one request per interval, bursts of `burst`. */
  readonly rateLimit?: { readonly intervalMs: number; readonly burst: number };
  /** The files the config names (absolute): a change to any of them is a change of the config. */
  readonly files: readonly string[];
}

/** Parses and validates a web config file's text; relative paths are relative to the file's directory. */
export function parseWebConfig(text: string, file: string, read: (p: string) => Buffer): WebConfig {
  const problems: string[] = [];
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const where = (node: Node | null | undefined): string =>
    node?.range ? `${file}:${lines.linePos(node.range[0]).line}` : file;
  for (const e of [...doc.errors, ...doc.warnings]) {
    problems.push(`${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
  }
  if (doc.errors.length > 0) throw new WebConfigError(problems);

  /** The entries of a mapping; unknown keys (when `known` is given) are problems naming the key. */
  const entries = (node: unknown, key: string, known?: readonly string[]): Map<string, Node | null> => {
    const out = new Map<string, Node | null>();
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return out;
    if (!isMap(node)) {
      problems.push(`${where(node as Node)}: ${key || 'the file'} must be a mapping`);
      return out;
    }
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '?';
      const full = key ? `${key}.${k}` : k;
      if (known && !known.includes(k)) {
        problems.push(`${where(pair.key as Node)}: unknown key "${full}" (known here: ${known.join(', ')})`);
        continue;
      }
      out.set(k, (pair.value as Node | null) ?? null);
    }
    return out;
  };
  const scalar = (node: Node | null | undefined, key: string): string | undefined => {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return undefined;
    if (!isScalar(node)) {
      problems.push(`${where(node)}: ${key} must be a single value`);
      return undefined;
    }
    return String(node.value);
  };
  const list = (node: Node | null | undefined, key: string): string[] => {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) {
      problems.push(`${where(node)}: ${key} must be a list`);
      return [];
    }
    return node.items.map((i, n) => scalar(i as Node, `${key}[${n}]`) ?? '');
  };
  const bool = (node: Node | null | undefined, key: string, dflt: boolean): boolean => {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return dflt;
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    problems.push(`${where(node)}: ${key} must be true or false`);
    return dflt;
  };
  const oneOf = <T extends string>(
    node: Node | null | undefined,
    key: string,
    values: readonly T[],
    dflt: T,
  ): T => {
    const v = scalar(node, key);
    if (v === undefined) return dflt;
    if (!(values as readonly string[]).includes(v)) {
      problems.push(`${where(node)}: ${key} "${v}" is not one of ${values.join(', ')}`);
      return dflt;
    }
    return v as T;
  };

  const top = entries(doc.contents, '', [
    'tls_server_config',
    'http_server_config',
    'basic_auth_users',
    'rate_limit',
  ]);
  const files: string[] = [];
  const dir = path.dirname(path.resolve(file));

  /** An inline PEM (`inline`) or a file (`fileKey`), not both. */
  const pem = (t: Map<string, Node | null>, inline: string, fileKey: string): Buffer | undefined => {
    const text = scalar(t.get(inline), `tls_server_config.${inline}`);
    const p = scalar(t.get(fileKey), `tls_server_config.${fileKey}`);
    if (text !== undefined && p !== undefined) {
      problems.push(`${where(t.get(fileKey))}: tls_server_config: set ${inline} or ${fileKey}, not both`);
    }
    if (p !== undefined) {
      const abs = path.resolve(dir, p);
      files.push(abs);
      try {
        return read(abs);
      } catch (err) {
        problems.push(
          `${where(t.get(fileKey))}: tls_server_config.${fileKey}: cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
        return undefined;
      }
    }
    return text === undefined ? undefined : Buffer.from(text);
  };

  let tlsSettings: TlsServerSettings | undefined;
  const tlsNode = top.get('tls_server_config');
  const t = entries(tlsNode, 'tls_server_config', [
    'cert',
    'key',
    'client_ca',
    'cert_file',
    'key_file',
    'client_auth_type',
    'client_ca_file',
    'client_allowed_sans',
    'min_version',
    'max_version',
    'cipher_suites',
    'prefer_server_cipher_suites',
    'curve_preferences',
  ]);
  if (t.size > 0) {
    const at = where(tlsNode);
    const cert = pem(t, 'cert', 'cert_file');
    const key = pem(t, 'key', 'key_file');
    const ca = pem(t, 'client_ca', 'client_ca_file');
    const certGiven = t.has('cert') || t.has('cert_file');
    const keyGiven = t.has('key') || t.has('key_file');
    if (!certGiven || !keyGiven)
      problems.push(`${at}: tls_server_config needs cert_file (or cert) and key_file (or key)`);
    const clientAuth = oneOf(
      t.get('client_auth_type'),
      'tls_server_config.client_auth_type',
      CLIENT_AUTH_TYPES,
      'NoClientCert',
    );
    const caGiven = t.has('client_ca') || t.has('client_ca_file');
    if (caGiven && clientAuth === 'NoClientCert') {
      problems.push(
        `${at}: tls_server_config: a client CA is set but client_auth_type is NoClientCert (use RequireAndVerifyClientCert)`,
      );
    }
    if (
      !caGiven &&
      (clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert')
    ) {
      problems.push(
        `${at}: tls_server_config: client_auth_type ${clientAuth} needs client_ca_file (or client_ca) to verify against`,
      );
    }
    const allowedSans = list(t.get('client_allowed_sans'), 'tls_server_config.client_allowed_sans');
    if (
      allowedSans.length > 0 &&
      clientAuth !== 'RequireAnyClientCert' &&
      clientAuth !== 'RequireAndVerifyClientCert'
    ) {
      problems.push(
        `${at}: tls_server_config.client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert`,
      );
    }
    const versions = Object.keys(TLS_VERSIONS);
    const minVersion = oneOf(t.get('min_version'), 'tls_server_config.min_version', versions, 'TLS12');
    const maxVersion = oneOf(t.get('max_version'), 'tls_server_config.max_version', versions, 'TLS13');
    if (versions.indexOf(minVersion) > versions.indexOf(maxVersion)) {
      problems.push(`${at}: tls_server_config: min_version ${minVersion} is above max_version ${maxVersion}`);
    }
    const ciphers: string[] = [];
    for (const name of list(t.get('cipher_suites'), 'tls_server_config.cipher_suites')) {
      const openssl = CIPHER_SUITES[name];
      if (openssl) ciphers.push(openssl);
      else if (!TLS13_SUITES.includes(name)) {
        problems.push(
          `${where(t.get('cipher_suites'))}: tls_server_config.cipher_suites: unknown suite "${name}" (known: ${Object.keys(CIPHER_SUITES).join(', ')})`,
        );
      }
    }
    const curves: string[] = [];
    for (const name of list(t.get('curve_preferences'), 'tls_server_config.curve_preferences')) {
      const c = CURVES[name];
      if (c) curves.push(c);
      else
        problems.push(
          `${where(t.get('curve_preferences'))}: tls_server_config.curve_preferences: unknown curve "${name}" (known: ${Object.keys(CURVES).join(', ')})`,
        );
    }
    const context: tls.SecureContextOptions = {
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(ca ? { ca } : {}),
      minVersion: TLS_VERSIONS[minVersion] as tls.SecureVersion,
      maxVersion: TLS_VERSIONS[maxVersion] as tls.SecureVersion,
      // Naming TLS 1.2 suites must not switch TLS 1.3 off: its suites are not configurable in Go either.
      ...(ciphers.length > 0 ? { ciphers: [...TLS13_SUITES, ...ciphers].join(':') } : {}),
      ...(curves.length > 0 ? { ecdhCurve: curves.join(':') } : {}),
      honorCipherOrder: bool(
        t.get('prefer_server_cipher_suites'),
        'tls_server_config.prefer_server_cipher_suites',
        true,
      ),
    };
    if (cert && key && problems.length === 0) {
      try {
        createSecureContext(context);
      } catch (err) {
        problems.push(
          `${at}: tls_server_config: the certificate, key and client CA cannot be used: ${(err as Error).message}`,
        );
      }
    }
    tlsSettings = { context, clientAuth, allowedSans };
  }

  const h = entries(top.get('http_server_config'), 'http_server_config', ['http2', 'headers']);
  // HTTP/2 defaults to on in exporter-toolkit; connect-sentinel serves HTTP/1.1, which every scraper speaks.
  bool(h.get('http2'), 'http_server_config.http2', true);
  const headers: Record<string, string> = {};
  for (const [name, node] of entries(h.get('headers'), 'http_server_config.headers', Object.keys(HEADERS))) {
    const value = scalar(node, `http_server_config.headers.${name}`);
    if (value === undefined || value === '') continue;
    const allowed = HEADERS[name];
    if (allowed && !allowed.test(value)) {
      problems.push(
        `${where(node)}: http_server_config.headers.${name}: "${value}" is not accepted (${allowed.source.replace(/[\^$()]/g, '').replace('|', ' or ')})`,
      );
      continue;
    }
    headers[name] = value;
  }

  const users = new Map<string, string>();
  for (const [user, node] of entries(top.get('basic_auth_users'), 'basic_auth_users')) {
    const hash = scalar(node, `basic_auth_users.${user}`);
    if (user.includes(':'))
      problems.push(`${where(node)}: basic_auth_users: user "${user}" must not contain ":"`);
    else if (hash === undefined || !BCRYPT_HASH.test(hash)) {
      problems.push(
        `${where(node)}: basic_auth_users.${user}: not a bcrypt hash (make one with: htpasswd -nBC 10 "" | tr -d ':\\n')`,
      );
    } else users.set(user, hash);
  }

  let rateLimit: WebConfig['rateLimit'];
  const r = entries(top.get('rate_limit'), 'rate_limit', ['interval', 'burst']);
  if (r.size > 0) {
    const interval = scalar(r.get('interval'), 'rate_limit.interval') ?? '0';
    const intervalMs = parseDuration(interval);
    const burstText = scalar(r.get('burst'), 'rate_limit.burst') ?? '0';
    const burst = Number(burstText);
    if (intervalMs === undefined)
      problems.push(
        `${where(r.get('interval'))}: rate_limit.interval "${interval}" is not a duration (e.g. 1s)`,
      );
    if (!Number.isInteger(burst) || burst < 0)
      problems.push(`${where(r.get('burst'))}: rate_limit.burst "${burstText}" is not a whole number`);
    else if (intervalMs !== undefined && intervalMs > 0 && burst === 0) {
      problems.push(
        `${where(r.get('burst'))}: rate_limit.burst must be at least 1 when rate_limit.interval is set`,
      );
    }
    if (intervalMs !== undefined && intervalMs > 0 && burst > 0) rateLimit = { intervalMs, burst };
  }

  if (problems.length > 0) throw new WebConfigError(problems);
  return {
    ...(tlsSettings ? { tls: tlsSettings } : {}),
    users,
    headers,
    ...(rateLimit ? { rateLimit } : {}),
    files,
  };
}
