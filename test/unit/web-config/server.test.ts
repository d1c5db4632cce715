/**
 * The HTTP server behind --web.config.file, fetched with node's HTTP(S) client as Prometheus would: TLS, client
 * certificates, basic auth, and the file re-read while running (on an injected clock, so nothing sleeps). The
 * wiring through the composition (src/app.ts) and main.ts is checked on a real Sentinel.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { Sentinel } from '../../../src/app.js';
import { parseArgs } from '../../../src/config/load.js';
import type { FailureLimit } from '../../../src/http/failure-limiter.js';
import { JsonDocument } from '../../../src/http/json-document.js';
import { PageDocument } from '../../../src/http/page-document.js';
import { pageLinks } from '../../../src/http/paths.js';
import { startHttpServer, type RunningServer } from '../../../src/http/server.js';
import { WebConfigError } from '../../../src/http/web-config-error.js';
import { WebConfigRuntime } from '../../../src/http/web-config.js';
import { createLogger, silentLogger } from '../../../src/log.js';
import { TestPki, type Pem } from './certs.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ALICE = bcrypt.hashSync('wonderland', 10);
const BOB = bcrypt.hashSync('builder', 4);
const BODY = Buffer.from('kafka_connect_up{connect_cluster="default"} 1\n');

let pki: TestPki;
let ca: Pem;
let serverA: Pem;
let serverB: Pem;
let client: Pem;
let stranger: Pem;
const running: { stop(): Promise<void> }[] = [];

beforeAll(() => {
  pki = new TestPki();
  ca = pki.ca('ca');
  serverA = pki.leaf('server-a', ca, 'server');
  serverB = pki.leaf('server-b', ca, 'server');
  client = pki.leaf('prometheus', ca, 'client');
  stranger = pki.leaf('stranger', pki.ca('other-ca'), 'client');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
afterAll(() => pki.cleanup());

interface LogLine {
  level: number;
  msg: string;
  problems?: string[];
}

interface Served {
  readonly url: string;
  readonly file: string;
  readonly logs: LogLine[];
  /** Moves the injected clock past the check interval, so the next request or connection re-reads the file. */
  later(ms?: number): void;
}

let files = 0;

/** The HTTP server alone, with a fixed /metrics body, behind this web config. */
async function serve(webConfig: string, failureLimit?: FailureLimit): Promise<Served> {
  const file = pki.write(`web-${files++}.yml`, webConfig);
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = createLogger('debug', 'json', sink);
  let now = Date.now();
  const web = WebConfigRuntime.load(file, {
    logger,
    now: () => now,
    ...(failureLimit ? { failureLimit } : {}),
  });
  const server: RunningServer = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    telemetryPath: '/metrics',
    metrics: { parts: [BODY], length: BODY.length, gzip: gzipSync(BODY), compressed: async () => {} },
    ready: () => true,
    status: new JsonDocument(),
    dlq: new JsonDocument(),
    page: new PageDocument({ links: pageLinks('/metrics'), refreshSeconds: 15, version: 'test' }),
    documents: () => Promise.resolve(),
    webConfig: web,
    logger,
  });
  running.push({ stop: () => server.close() });
  return { url: server.url, file, logs, later: (ms = 1001) => void (now += ms) };
}

/** A real Sentinel built by the composition (no Connect behind it: its polls fail, /metrics is served regardless). */
async function startSentinel(webConfig: string): Promise<Sentinel> {
  const file = pki.write(`sentinel-${files++}.yml`, webConfig);
  const parsed = parseArgs({
    argv: [
      '--connect.url=http://127.0.0.1:1',
      '--web.listen-address=127.0.0.1:0',
      `--web.config.file=${file}`,
      '--poll.interval=1h',
    ],
    env: {},
  });
  if (parsed.kind !== 'run') throw new Error('expected a run config');
  const logger = silentLogger();
  const sentinel = new Sentinel(parsed.config, logger);
  running.push(sentinel);
  await sentinel.start();
  return sentinel;
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** SHA-256 fingerprint of the server certificate this connection got. */
  readonly serverCert?: string;
}

/** One request on a new connection (agent: false), so each sees the certificate in force now. */
function get(url: string, opts: { auth?: string; cert?: Pem; ca?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request(
      u,
      {
        agent: false,
        headers: opts.auth ? { authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {},
        ...(u.protocol === 'https:' ? { ca: pki.read(opts.ca ?? ca.cert) } : {}),
        ...(opts.cert ? { cert: pki.read(opts.cert.cert), key: pki.read(opts.cert.key) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        const socket = res.socket as TLSSocket;
        const serverCert =
          typeof socket.getPeerCertificate === 'function'
            ? socket.getPeerCertificate().fingerprint256
            : undefined;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            ...(serverCert ? { serverCert } : {}),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const statuses = async (url: string, paths: string[], auth?: string): Promise<number[]> =>
  Promise.all(paths.map(async (p) => (await get(`${url}${p}`, auth ? { auth } : {})).status));

function fingerprint(pem: Pem): string {
  return new X509Certificate(pki.read(pem.cert)).fingerprint256;
}

const tlsConfig = (cert: Pem, extra = ''): string =>
  `tls_server_config:\n  cert_file: ${cert.cert}\n  key_file: ${cert.key}\n${extra}`;

const PROTECTED = ['/metrics', '/', '/readyz', '/api/v1/status', '/api/v1/dlq', '/nope'];

describe('basic auth over TLS', () => {
  test('the right password gets /metrics, a wrong one or none gets 401; /healthz stays open for probes', async () => {
    const s = await startSentinel(
      tlsConfig(serverA) +
        `basic_auth_users:\n  alice: ${ALICE}\n  bob: ${BOB}\n` +
        'http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n',
    );
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const ok = await get(`${s.url}/metrics`, { auth: 'alice:wonderland' });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('kafka_connect_up{connect_cluster="default"}');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    expect(ok.serverCert).toBe(fingerprint(serverA));
    expect((await get(`${s.url}/metrics`, { auth: 'bob:builder' })).status).toBe(200);

    const wrong = await get(`${s.url}/metrics`, { auth: 'alice:looking-glass' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Basic realm="connect-sentinel"');
    expect(wrong.body).not.toContain('kafka_connect_up');
    expect((await get(`${s.url}/metrics`, { auth: 'mallory:wonderland' })).status).toBe(401);
    expect((await get(`${s.url}/metrics`)).status).toBe(401);
    expect((await get(`${s.url}/api/v1/status`, { auth: 'bob:alice' })).status).toBe(401);

    expect((await get(`${s.url}/healthz`)).status).toBe(200);
    // A client that does not trust the server's CA does not get through either.
    await expect(get(`${s.url}/metrics`, { auth: 'alice:wonderland', ca: stranger.cert })).rejects.toThrow(
      /certificate/,
    );
  });

  test('basic auth works without TLS too and covers every path but /healthz; a success is remembered', async () => {
    const s = await serve(`basic_auth_users:\n  bob: ${BOB}\n`);
    expect(s.url).toMatch(/^http:\/\//);
    expect(await statuses(s.url, PROTECTED)).toEqual(PROTECTED.map(() => 401));
    expect(await statuses(s.url, ['/healthz'])).toEqual([200]);
    const compare = vi.spyOn(bcrypt, 'compare');
    expect(await statuses(s.url, PROTECTED, 'bob:builder')).toEqual([200, 200, 200, 200, 200, 404]);
    // bcrypt ran for the first of them only (the others may have been queued behind it and found the answer).
    expect(compare.mock.calls.length).toBeLessThan(PROTECTED.length);
    compare.mockClear();
    expect(await statuses(s.url, ['/metrics'], 'bob:builder')).toEqual([200]);
    expect(compare).not.toHaveBeenCalled();
    // Failures are never remembered as successes.
    expect(await statuses(s.url, ['/metrics', '/metrics'], 'bob:x')).toEqual([401, 401]);
    expect(compare).toHaveBeenCalledTimes(2);
  });

  test('an unknown user is compared against a hash as costly as the costliest configured one (no timing tell)', async () => {
    const CAROL = bcrypt.hashSync('carol', 6);
    const s = await serve(`basic_auth_users:\n  bob: ${BOB}\n  carol: ${CAROL}\n`);
    const compare = vi.spyOn(bcrypt, 'compare');
    expect(await statuses(s.url, ['/metrics'], 'mallory:builder')).toEqual([401]);
    expect(compare).toHaveBeenCalledTimes(1);
    const hash = compare.mock.calls[0]?.[1] as string;
    expect(hash.split('$')[2]).toBe('06');
    expect(hash).toHaveLength(60);
    expect([BOB, CAROL]).not.toContain(hash);
  });

  test('failed attempts are limited per client before bcrypt runs: 429 with Retry-After, until a token comes back', async () => {
    const s = await serve(`basic_auth_users:\n  bob: ${BOB}\n`, {
      burst: 3,
      intervalMs: 60_000,
      maxClients: 100,
    });
    const compare = vi.spyOn(bcrypt, 'compare');
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await get(`${s.url}/metrics`, { auth: `bob:guess-${i}` }));
    expect(replies.map((r) => r.status)).toEqual([401, 401, 401, 429, 429, 429]);
    expect(compare).toHaveBeenCalledTimes(3);
    expect(replies[3]?.headers['retry-after']).toBe('60');
    // Exhausted, even the right password waits (it would cost a comparison too)...
    expect(await statuses(s.url, ['/metrics'], 'bob:builder')).toEqual([429]);
    // ...until the bucket refills; a right password does not use the attempt up.
    s.later(60_000);
    expect(await statuses(s.url, ['/metrics'], 'bob:builder')).toEqual([200]);
    expect(await statuses(s.url, ['/metrics'], 'bob:wrong')).toEqual([401]);
    expect(await statuses(s.url, ['/metrics'], 'bob:wrong')).toEqual([429]);
    // /healthz and a remembered success are not affected.
    expect(await statuses(s.url, ['/healthz', '/metrics'], 'bob:builder')).toEqual([200, 200]);
  });
});

describe('the status page', () => {
  test("is behind basic auth like /metrics, and the web config's headers win over its own", async () => {
    const s = await serve(
      `basic_auth_users:\n  bob: ${BOB}\n` +
        `http_server_config:\n  headers:\n    Content-Security-Policy: "default-src 'self'"\n`,
    );
    expect((await get(`${s.url}/`)).status).toBe(401);
    const page = await get(`${s.url}/`, { auth: 'bob:builder' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>connect-sentinel</h1>');
    expect(page.headers['content-security-policy']).toBe("default-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('client certificates', () => {
  test('RequireAndVerifyClientCert: no certificate or one from another CA is refused; a trusted one gets in', async () => {
    const s = await serve(
      tlsConfig(serverA, `  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${ca.cert}\n`),
    );
    await expect(get(`${s.url}/metrics`)).rejects.toThrow();
    await expect(get(`${s.url}/metrics`, { cert: stranger })).rejects.toThrow();
    const ok = await get(`${s.url}/metrics`, { cert: client });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(BODY.toString());
  });

  test('VerifyClientCertIfGiven lets clients without a certificate in but refuses an unverified one', async () => {
    const s = await serve(
      tlsConfig(serverA, `  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ${ca.cert}\n`),
    );
    expect((await get(`${s.url}/metrics`)).status).toBe(200);
    expect((await get(`${s.url}/metrics`, { cert: client })).status).toBe(200);
    await expect(get(`${s.url}/metrics`, { cert: stranger })).rejects.toThrow();
  });

  test('RequireAnyClientCert wants a certificate, any certificate', async () => {
    const s = await serve(tlsConfig(serverA, '  client_auth_type: RequireAnyClientCert\n'));
    await expect(get(`${s.url}/metrics`)).rejects.toThrow();
    expect((await get(`${s.url}/metrics`, { cert: stranger })).status).toBe(200);
  });

  test('client_allowed_sans admits only certificates carrying a listed name', async () => {
    const s = await serve(
      tlsConfig(
        serverA,
        `  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${ca.cert}\n  client_allowed_sans: [prometheus]\n`,
      ),
    );
    expect((await get(`${s.url}/metrics`, { cert: client })).status).toBe(200);
    const other = pki.leaf('grafana', ca, 'client');
    await expect(get(`${s.url}/metrics`, { cert: other })).rejects.toThrow();
  });
});

describe('the file is re-read', () => {
  test('a rotated certificate is served on the next connection, without a restart', async () => {
    const live = { cert: path.join(pki.dir, 'live.crt'), key: path.join(pki.dir, 'live.key') };
    fs.copyFileSync(serverA.cert, live.cert);
    fs.copyFileSync(serverA.key, live.key);
    const s = await serve(tlsConfig(live, `basic_auth_users:\n  bob: ${BOB}\n`));
    expect((await get(`${s.url}/metrics`, { auth: 'bob:builder' })).serverCert).toBe(fingerprint(serverA));

    fs.copyFileSync(serverB.cert, live.cert);
    fs.copyFileSync(serverB.key, live.key);
    expect((await get(`${s.url}/metrics`, { auth: 'bob:builder' })).serverCert).toBe(fingerprint(serverA));
    s.later(); // files are checked at most once a second
    const after = await get(`${s.url}/metrics`, { auth: 'bob:builder' });
    expect(after.status).toBe(200);
    expect(after.serverCert).toBe(fingerprint(serverB));
  });

  test('changed users take effect; a broken file keeps the previous config in force', async () => {
    const s = await serve(`basic_auth_users:\n  bob: ${BOB}\n`);
    expect((await get(`${s.url}/metrics`, { auth: 'bob:builder' })).status).toBe(200);

    fs.writeFileSync(s.file, `basic_auth_users:\n  bob: ${bcrypt.hashSync('architect', 4)}\n`);
    s.later();
    expect((await get(`${s.url}/metrics`, { auth: 'bob:builder' })).status).toBe(401);
    expect((await get(`${s.url}/metrics`, { auth: 'bob:architect' })).status).toBe(200);
    expect(s.logs.filter((l) => l.msg === 'web config reloaded')).toHaveLength(1);

    fs.writeFileSync(s.file, 'basic_auth_users:\n  bob: not-a-hash\n');
    s.later();
    expect((await get(`${s.url}/metrics`, { auth: 'bob:architect' })).status).toBe(200);
    expect((await get(`${s.url}/metrics`)).status).toBe(401);
    expect(s.logs.filter((l) => l.level === 50).map((l) => l.problems)).toEqual([
      [expect.stringMatching(/web-\d+\.yml:2: basic_auth_users\.bob: not a bcrypt hash/)],
    ]);
  });

  test.each([
    ['an empty file', ''],
    ['comments only', '# users moved to the vault\n'],
    ['basic_auth_users with nothing under it', 'basic_auth_users:\n'],
    ['basic_auth_users: {}', 'basic_auth_users: {}\n'],
  ])(
    'auth is not turned off while running by %s: refused, logged as an error, the users stay',
    async (_, text) => {
      const s = await serve(`basic_auth_users:\n  bob: ${BOB}\n`);
      expect(await statuses(s.url, PROTECTED)).toEqual(PROTECTED.map(() => 401));
      fs.writeFileSync(s.file, text);
      s.later();
      expect(await statuses(s.url, PROTECTED)).toEqual(PROTECTED.map(() => 401));
      expect(await statuses(s.url, ['/metrics'], 'bob:builder')).toEqual([200]);
      expect(s.logs.some((l) => l.msg === 'web config reloaded')).toBe(false);
      const errors = s.logs.filter((l) => l.level === 50);
      expect(errors.map((l) => [l.msg, l.problems])).toEqual([
        [
          'web config not reloaded; the previous one stays in force',
          [
            expect.stringContaining(
              'removing every user of basic_auth_users (turning basic auth off) takes a restart',
            ),
          ],
        ],
      ]);
    },
  );

  test('a file being rewritten (truncated, half written, then whole) never opens the endpoints', async () => {
    const s = await serve(`basic_auth_users:\n  bob: ${BOB}\n`);
    const next = `basic_auth_users:\n  bob: ${bcrypt.hashSync('architect', 4)}\n`;
    for (const partial of ['', next.slice(0, 20), next.slice(0, next.length - 10)]) {
      fs.writeFileSync(s.file, partial);
      s.later();
      expect(await statuses(s.url, ['/metrics', '/api/v1/status'])).toEqual([401, 401]);
      expect(await statuses(s.url, ['/metrics'], 'bob:builder')).toEqual([200]);
    }
    fs.writeFileSync(s.file, next);
    s.later();
    expect(await statuses(s.url, ['/metrics'], 'bob:architect')).toEqual([200]);
    expect(await statuses(s.url, ['/metrics'], 'bob:builder')).toEqual([401]);
  });

  test('switching TLS off while running is refused too', async () => {
    const s = await serve(tlsConfig(serverA));
    fs.writeFileSync(s.file, '');
    s.later();
    const after = await get(`${s.url}/metrics`);
    expect(after.status).toBe(200);
    expect(after.serverCert).toBe(fingerprint(serverA));
    expect(s.logs.filter((l) => l.level === 50).map((l) => l.problems)).toEqual([
      [expect.stringContaining('switching TLS on or off takes a restart')],
    ]);
  });
});

test('rate_limit answers 429 beyond the burst, /healthz included', async () => {
  const s = await serve('rate_limit:\n  interval: 1m\n  burst: 2\n');
  const seen = [];
  for (const p of ['/metrics', '/healthz', '/metrics']) seen.push((await get(`${s.url}${p}`)).status);
  expect(seen).toEqual([200, 200, 429]);
  s.later(60_000);
  expect((await get(`${s.url}/metrics`)).status).toBe(200);
});

describe('a bad web config stops the start', () => {
  test('building the sentinel throws a WebConfigError naming the problem', async () => {
    const file = pki.write('bad.yml', 'basic_auth_users:\n  alice: hunter2\n');
    const parsed = parseArgs({
      argv: ['--connect.url=http://127.0.0.1:1', `--web.config.file=${file}`],
      env: {},
    });
    if (parsed.kind !== 'run') throw new Error('expected a run config');
    let err: unknown;
    try {
      new Sentinel(parsed.config, silentLogger());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WebConfigError);
    expect((err as WebConfigError).problems).toEqual([
      expect.stringMatching(/bad\.yml:2: basic_auth_users\.alice: not a bcrypt hash/),
    ]);
  });

  test('the program exits with status 2 and one line per problem', async () => {
    const file = pki.write(
      'bad2.yml',
      `tls_server_config:\n  cert_file: ${serverA.cert}\n  key_file: missing.key\nbasic_auth_users:\n  alice: x\n`,
    );
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/main.ts',
          '--connect.url=http://127.0.0.1:1',
          '--web.listen-address=127.0.0.1:0',
          `--web.config.file=${file}`,
        ],
        { cwd: ROOT, timeout: 30_000 },
        (error, _stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
      );
    });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        /^connect-sentinel: config: .*bad2\.yml:3: tls_server_config\.key_file: cannot read .*missing\.key: ENOENT$/,
      ),
      expect.stringMatching(
        /^connect-sentinel: config: .*bad2\.yml:5: basic_auth_users\.alice: not a bcrypt hash/,
      ),
    ]);
  });
});
