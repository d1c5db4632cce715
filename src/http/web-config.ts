/**
 * A loaded `--web.config.file` at run time: makes the HTTP(S) server, gives the express middleware for its
 * headers, rate limit and basic auth, and swaps in a changed file's settings as they come (certificates via
 * setSecureContext). The file and the files it names are checked again at most every `checkEveryMs`, when a
 * connection or request arrives, so rotated certificates and changed users need no restart.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type tls from 'node:tls';
import type { RequestHandler } from 'express';
import type { Logger } from '../log.js';
import { BasicAuth, type AuthVerdict } from './basic-auth.js';
import { DEFAULT_FAILURE_LIMIT, FailureLimiter, type FailureLimit } from './failure-limiter.js';
import { sendText } from './text.js';
import { TokenBucket } from './token-bucket.js';
import { WebConfigError } from './web-config-error.js';
import { parseWebConfig, type ClientAuthType, type WebConfig } from './web-config-parse.js';

/** Reads and validates a web config file; throws WebConfigError naming every problem. */
export function loadWebConfig(file: string, read: (p: string) => Buffer = (p) => readFileSync(p)): WebConfig {
  let text: string;
  try {
    text = read(file).toString('utf8');
  } catch (err) {
    throw new WebConfigError([
      `web.config.file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    ]);
  }
  return parseWebConfig(text, file, read);
}

function clientAuthOptions(type: ClientAuthType): { requestCert: boolean; rejectUnauthorized: boolean } {
  // RequireAny and VerifyIfGiven cannot be said to OpenSSL directly; checkClient() enforces them.
  return { requestCert: type !== 'NoClientCert', rejectUnauthorized: type === 'RequireAndVerifyClientCert' };
}

/** `DNS:a, IP Address:1.2.3.4, URI:x` (tls.PeerCertificate.subjectaltname) → the values. */
function subjectAltNames(text: string | undefined): string[] {
  if (!text) return [];
  return text.split(', ').map((entry) => entry.slice(entry.indexOf(':') + 1).replace(/^"|"$/g, ''));
}

/** Why `next` cannot replace `current` while running, if it cannot. */
function refusal(current: WebConfig, next: WebConfig, file: string): string | undefined {
  if (Boolean(next.tls) !== Boolean(current.tls)) return `${file}: switching TLS on or off takes a restart`;
  // An emptied or half-written file must not open every endpoint: taking auth away is a deliberate act.
  if (current.users.size > 0 && next.users.size === 0) {
    return `${file}: removing every user of basic_auth_users (turning basic auth off) takes a restart`;
  }
  return undefined;
}

export interface WebConfigOptions {
  readonly logger: Logger;
  /** Files are checked for changes at most this often (default 1 s). */
  readonly checkEveryMs?: number;
  /** A successful bcrypt comparison is remembered this long (default 60 s). */
  readonly authCacheMs?: number;
  /** Failed basic-auth attempts allowed per client before bcrypt runs (default: 10, then one a second). */
  readonly failureLimit?: FailureLimit;
  readonly now?: () => number;
}

export class WebConfigRuntime {
  private config: WebConfig;
  private digest: string;
  private checkedAt: number;
  private readonly servers = new Set<https.Server>();
  private readonly basicAuth: BasicAuth;
  private rateLimit: TokenBucket | undefined;
  private readonly now: () => number;
  private readonly checkEveryMs: number;

  private constructor(
    readonly file: string,
    private readonly opts: WebConfigOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.checkEveryMs = opts.checkEveryMs ?? 1000;
    this.config = loadWebConfig(file);
    this.digest = this.fingerprint(this.config);
    this.checkedAt = this.now();
    this.basicAuth = new BasicAuth({
      logger: opts.logger,
      limiter: new FailureLimiter(opts.failureLimit ?? DEFAULT_FAILURE_LIMIT),
      rememberMs: opts.authCacheMs ?? 60_000,
      now: this.now,
    });
    this.apply(this.config, undefined);
  }

  /** Throws WebConfigError listing every problem of the file. */
  static load(file: string, opts: WebConfigOptions): WebConfigRuntime {
    return new WebConfigRuntime(file, opts);
  }

  /** The server for the request handler: HTTPS with the configured TLS when there is some, else HTTP. */
  createServer(handler: http.RequestListener): http.Server {
    const t = this.config.tls;
    if (!t) return http.createServer(handler);
    const server = https.createServer({ ...t.context, ...clientAuthOptions(t.clientAuth) }, handler);
    // Before the TLS listener wraps the socket, so a rotated certificate serves this very connection.
    server.prependListener('connection', () => this.refresh());
    server.on('secureConnection', (socket: tls.TLSSocket) => this.checkClient(socket));
    this.servers.add(server);
    server.once('close', () => this.servers.delete(server));
    return server;
  }

  /** First on every request, /healthz included: picks up a changed file, sets the headers, rate-limits. */
  readonly guard: RequestHandler = (_req, res, next) => {
    this.refresh();
    for (const [name, value] of Object.entries(this.config.headers)) res.setHeader(name, value);
    if (this.rateLimit && !this.rateLimit.take(this.now())) {
      sendText(res, 429, 'too many requests\n');
      return;
    }
    next();
  };

  /** Basic auth against basic_auth_users (none: everyone); 401 for a wrong or missing password. */
  readonly auth: RequestHandler = (req, res, next) => {
    const verdict = this.basicAuth.check(req.headers.authorization, req.socket.remoteAddress);
    const answer = (v: AuthVerdict): void => {
      if (v === 'ok') next();
      else if (v === 'denied') {
        sendText(res, 401, 'unauthorized\n', { 'www-authenticate': 'Basic realm="connect-sentinel"' });
      } else {
        sendText(res, 429, 'too many failed authentication attempts\n', {
          'retry-after': String(Math.ceil(v / 1000)),
        });
      }
    };
    if (typeof verdict === 'object') verdict.then(answer, next);
    else answer(verdict);
  };

  /** Re-reads the file and the files it names when `checkEveryMs` has passed; keeps the last good config. */
  private refresh(): void {
    const now = this.now();
    if (now - this.checkedAt < this.checkEveryMs) return;
    this.checkedAt = now;
    const digest = this.fingerprint(this.config);
    if (digest === this.digest) return;
    // Remembered even when refused: a bad file is reported once, not on every check until it changes.
    this.digest = digest;
    try {
      const next = loadWebConfig(this.file);
      const refused = refusal(this.config, next, this.file);
      if (refused) throw new WebConfigError([refused]);
      const previous = this.config;
      this.config = next;
      this.digest = this.fingerprint(next);
      this.apply(next, previous);
      this.opts.logger.info({ file: this.file }, 'web config reloaded');
    } catch (err) {
      const problems = err instanceof WebConfigError ? err.problems : [(err as Error).message];
      this.opts.logger.error(
        { file: this.file, problems },
        'web config not reloaded; the previous one stays in force',
      );
    }
  }

  private apply(next: WebConfig, previous: WebConfig | undefined): void {
    if (next.tls) {
      for (const server of this.servers) {
        server.setSecureContext(next.tls.context);
        // Read by tls.Server for each new connection.
        Object.assign(server, clientAuthOptions(next.tls.clientAuth));
      }
    }
    this.basicAuth.setUsers(next.users);
    const r = next.rateLimit;
    const same =
      r && previous?.rateLimit?.burst === r.burst && previous.rateLimit.intervalMs === r.intervalMs;
    if (!same) this.rateLimit = r ? new TokenBucket(r.burst, r.intervalMs, this.now()) : undefined;
  }

  /** A digest of the file's bytes and of every file it names (k8s secret updates keep neither mtime nor inode meaningful). */
  private fingerprint(config: WebConfig): string {
    const h = createHash('sha256');
    for (const f of [this.file, ...config.files]) {
      h.update(f).update('\0');
      try {
        h.update(readFileSync(f));
      } catch {
        h.update('\0missing\0');
      }
    }
    return h.digest('hex');
  }

  /** The client certificate policies OpenSSL cannot express alone; a refused client is disconnected. */
  private checkClient(socket: tls.TLSSocket): void {
    const t = this.config.tls;
    if (!t) return;
    const cert = socket.getPeerCertificate();
    const given = cert !== null && Object.keys(cert).length > 0;
    let refused: string | undefined;
    if (t.clientAuth === 'RequireAnyClientCert' && !given) refused = 'no client certificate';
    else if (t.clientAuth === 'VerifyClientCertIfGiven' && given && !socket.authorized) {
      refused = `client certificate not verified: ${String(socket.authorizationError)}`;
    } else if (t.allowedSans.length > 0) {
      const sans = given ? subjectAltNames(cert.subjectaltname) : [];
      if (!sans.some((s) => t.allowedSans.includes(s)))
        refused = `no allowed subject alternative name in [${sans.join(', ')}]`;
    }
    if (refused) {
      this.opts.logger.warn({ remote: socket.remoteAddress, reason: refused }, 'TLS client refused');
      socket.destroy();
    }
  }
}
