/**
 * A real Sentinel (no Connect behind it: its polls fail, /metrics is served regardless) behind
 * --web.config.file, fetched with node's HTTPS client as Prometheus would.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Sentinel } from '../../../src/app.js';
import { ConfigError, parseArgs } from '../../../src/config/load.js';
import { WebConfigRuntime } from '../../../src/http/web-config.js';
import { silentLogger } from '../../../src/log.js';
import { TestPki, type Pem } from './certs.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ALICE = bcrypt.hashSync('wonderland', 10);
const BOB = bcrypt.hashSync('builder', 4);

let pki: TestPki;
let ca: Pem;
let serverA: Pem;
let serverB: Pem;
let client: Pem;
let stranger: Pem;
const running: Sentinel[] = [];

beforeAll(() => {
  pki = new TestPki();
  ca = pki.ca('ca');
  serverA = pki.leaf('server-a', ca, 'server');
  serverB = pki.leaf('server-b', ca, 'server');
  client = pki.leaf('prometheus', ca, 'client');
  stranger = pki.leaf('stranger', pki.ca('other-ca'), 'client');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
afterAll(() => pki.cleanup());

async function startSentinel(webConfig: string): Promise<Sentinel> {
  const file = pki.write(`web-${running.length}-${Date.now()}.yml`, webConfig);
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

function fingerprint(pem: Pem): string {
  return new X509Certificate(pki.read(pem.cert)).fingerprint256;
}

const tlsConfig = (cert: Pem, extra = ''): string =>
  `tls_server_config:\n  cert_file: ${cert.cert}\n  key_file: ${cert.key}\n${extra}`;

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

  test('basic auth works without TLS too, and a successful comparison is remembered', async () => {
    const s = await startSentinel(`basic_auth_users:\n  alice: ${ALICE}\n`);
    expect(s.url).toMatch(/^http:\/\//);
    expect((await get(`${s.url}/metrics`, { auth: 'alice:wonderland' })).status).toBe(200);
    expect((await get(`${s.url}/metrics`, { auth: 'alice:x' })).status).toBe(401);

    const file = pki.write('cache.yml', `basic_auth_users:\n  alice: ${ALICE}\n`);
    const web = WebConfigRuntime.load(file, { logger: silentLogger() });
    const req = {
      headers: { authorization: `Basic ${Buffer.from('alice:wonderland').toString('base64')}` },
    } as http.IncomingMessage;
    const first = web.authorize(req);
    expect(first).toBeInstanceOf(Promise); // bcrypt runs once...
    expect(await first).toBe(true);
    expect(web.authorize(req)).toBe(true); // ...then the answer is known without it
    const wrong = {
      headers: { authorization: `Basic ${Buffer.from('alice:x').toString('base64')}` },
    } as http.IncomingMessage;
    expect(await web.authorize(wrong)).toBe(false);
    expect(web.authorize(wrong)).toBeInstanceOf(Promise); // failures are never remembered as successes
  });
});

describe('client certificates', () => {
  test('RequireAndVerifyClientCert: no certificate or one from another CA is refused; a trusted one gets in', async () => {
    const s = await startSentinel(
      tlsConfig(serverA, `  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${ca.cert}\n`),
    );
    await expect(get(`${s.url}/metrics`)).rejects.toThrow();
    await expect(get(`${s.url}/metrics`, { cert: stranger })).rejects.toThrow();
    const ok = await get(`${s.url}/metrics`, { cert: client });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('kafka_connect_up');
  });

  test('VerifyClientCertIfGiven lets clients without a certificate in but refuses an unverified one', async () => {
    const s = await startSentinel(
      tlsConfig(serverA, `  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ${ca.cert}\n`),
    );
    expect((await get(`${s.url}/metrics`)).status).toBe(200);
    expect((await get(`${s.url}/metrics`, { cert: client })).status).toBe(200);
    await expect(get(`${s.url}/metrics`, { cert: stranger })).rejects.toThrow();
  });

  test('RequireAnyClientCert wants a certificate, any certificate', async () => {
    const s = await startSentinel(tlsConfig(serverA, '  client_auth_type: RequireAnyClientCert\n'));
    await expect(get(`${s.url}/metrics`)).rejects.toThrow();
    expect((await get(`${s.url}/metrics`, { cert: stranger })).status).toBe(200);
  });

  test('client_allowed_sans admits only certificates carrying a listed name', async () => {
    const s = await startSentinel(
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
    const s = await startSentinel(tlsConfig(live, `basic_auth_users:\n  bob: ${BOB}\n`));
    expect((await get(`${s.url}/metrics`, { auth: 'bob:builder' })).serverCert).toBe(fingerprint(serverA));

    fs.copyFileSync(serverB.cert, live.cert);
    fs.copyFileSync(serverB.key, live.key);
    await new Promise((r) => setTimeout(r, 1100)); // files are checked at most once a second
    const after = await get(`${s.url}/metrics`, { auth: 'bob:builder' });
    expect(after.status).toBe(200);
    expect(after.serverCert).toBe(fingerprint(serverB));
  });

  test('changed users take effect; a broken file keeps the previous config in force', async () => {
    const s = await startSentinel(`basic_auth_users:\n  bob: ${BOB}\n`);
    const file = s.config.web.configFile as string;
    expect((await get(`${s.url}/metrics`, { auth: 'bob:builder' })).status).toBe(200);

    fs.writeFileSync(file, `basic_auth_users:\n  bob: ${bcrypt.hashSync('architect', 4)}\n`);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await get(`${s.url}/metrics`, { auth: 'bob:builder' })).status).toBe(401);
    expect((await get(`${s.url}/metrics`, { auth: 'bob:architect' })).status).toBe(200);

    fs.writeFileSync(file, 'basic_auth_users:\n  bob: not-a-hash\n');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await get(`${s.url}/metrics`, { auth: 'bob:architect' })).status).toBe(200);
    expect((await get(`${s.url}/metrics`)).status).toBe(401);
  });
});

test('rate_limit answers 429 beyond the burst', async () => {
  const s = await startSentinel('rate_limit:\n  interval: 1m\n  burst: 2\n');
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await get(`${s.url}/metrics`)).status);
  expect(statuses).toEqual([200, 200, 429]);
});

describe('a bad web config stops the start', () => {
  test('building the sentinel throws a ConfigError naming the problem', async () => {
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
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
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
