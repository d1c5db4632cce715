/**
 * What a misbehaving or hostile worker (or a proxy in front of it) can do to ConnectClient: huge error
 * bodies, huge or deeply nested answers, connectors named to walk the URL path, echoed credentials,
 * redirects, a shutdown during a slow request. Each fails the call with a clear error, never the process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { ConnectClient, type ConnectClientOptions } from '../../../src/connect/client.js';
import { ConnectApiError, ConnectResponseError, ConnectTransportError } from '../../../src/connect/errors.js';
import { CONNECT_LIMIT_DEFAULTS } from '../../../src/connect/limits.js';
import { expandedAnswer } from '../../fixtures/connectors.js';
import { json, startFakeConnect, type FakeConnect } from '../../helpers/fake-connect.js';

const fakes: FakeConnect[] = [];
const clients: ConnectClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const f of fakes.splice(0)) await f.close();
});

// Nothing a server sends may escape as an uncaught exception or an unhandled rejection.
const escaped: unknown[] = [];
const onEscape = (err: unknown): void => {
  escaped.push(err);
};
beforeAll(() => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
});
afterAll(() => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  expect(escaped).toEqual([]);
});

async function fake(handler: Parameters<typeof startFakeConnect>[0]): Promise<FakeConnect> {
  const f = await startFakeConnect(handler);
  fakes.push(f);
  return f;
}

function client(opts: Partial<ConnectClientOptions> & { url: string }): ConnectClient {
  const c = new ConnectClient({ requestTimeoutMs: 5_000, ...opts });
  clients.push(c);
  return c;
}

const soon = (ms = 5_000): number => Date.now() + ms;
const LIST = '/connectors?expand=status&expand=info';

/** Writes `total` bytes of `fill` (or until the client goes away), honouring back-pressure. */
function stream(res: http.ServerResponse, total: number, fill = 'x'): { written: () => number } {
  const block = Buffer.alloc(64 * 1024, fill);
  let written = 0;
  const pump = (): void => {
    while (written < total && !res.destroyed) {
      written += block.length;
      if (!res.write(block)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on('error', () => undefined);
  pump();
  return { written: () => written };
}

const status = (name: string, trace?: string): object => ({
  name,
  connector: { state: 'RUNNING', worker_id: 'w:8083', ...(trace === undefined ? {} : { trace }) },
  tasks: [{ id: 0, state: 'FAILED', worker_id: 'w:8083', ...(trace === undefined ? {} : { trace }) }],
  type: 'sink',
});
const info = (name: string): object => ({
  name,
  config: { 'connector.class': 'C' },
  tasks: [],
  type: 'sink',
});

describe('error bodies', () => {
  test('of a huge non-2xx answer at most 4 KiB is kept, and the rest is not read', async () => {
    let sent: { written: () => number } | undefined;
    let closed = false;
    const f = await fake((_req, res) => {
      res.on('close', () => (closed = true));
      res.writeHead(500, { 'content-type': 'text/plain' });
      sent = stream(res, 256 * 2 ** 20);
    });
    const c = client({ url: f.url });
    const started = Date.now();
    const err = await c.serverInfo(soon(1_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectApiError);
    expect((err as ConnectApiError).body.length).toBeLessThanOrEqual(4096);
    expect((err as Error).message).toBe(`GET / answered 500: ${'x'.repeat(200)}…`);
    await vi.waitFor(() => expect(closed).toBe(true));
    // Cut off after the first few kilobytes: far from the 256 MiB the server meant to send.
    expect(sent?.written()).toBeLessThan(32 * 2 ** 20);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('connector names that are path steps', () => {
  test('".", ".." reach their own connector only, behind a base path too; "" is refused', async () => {
    const names = ['..', '.', '...', 'x.y'];
    const f = await fake((req, res) => {
      // Not through URL: it would resolve the dot segments this test is about.
      const pathname = req.url.split('?')[0] ?? '';
      if (req.method === 'POST') return void res.writeHead(202).end();
      if (/\/connectors$/.test(pathname)) return json(res, 200, names);
      const m = /\/connectors\/([^/]+)(\/status)?$/.exec(pathname);
      if (m === null) return json(res, 404, { error_code: 404, message: 'no such path' });
      const name = decodeURIComponent(m[1] ?? '');
      json(res, 200, m[2] ? status(name) : info(name));
    });
    for (const base of ['', '/base']) {
      f.requests.length = 0;
      const c = client({ url: `${f.url}${base}`, fallbackConcurrency: 1 });
      expect(await c.restartConnector('..', { includeTasks: true, onlyFailed: true }, soon())).toBe(202);
      expect(await c.restartConnector('.', { includeTasks: false, onlyFailed: false }, soon())).toBe(202);
      expect(await c.restartTask('..', 3, soon())).toBe(202);
      const list = await c.listConnectors(soon());
      expect(list.connectors.map((v) => v.name).sort()).toEqual([...names].sort());
      expect(f.requests.map((r) => `${r.method} ${r.url}`).sort()).toEqual(
        [
          `POST ${base}/connectors/%2E%2E/restart?includeTasks=true&onlyFailed=true`,
          `POST ${base}/connectors/%2E/restart?includeTasks=false&onlyFailed=false`,
          `POST ${base}/connectors/%2E%2E/tasks/3/restart`,
          `GET ${base}${LIST}`,
          ...['%2E%2E', '%2E', '%2E%2E%2E', 'x.y'].flatMap((s) => [
            `GET ${base}/connectors/${s}/status`,
            `GET ${base}/connectors/${s}`,
          ]),
        ].sort(),
      );
    }
    f.requests.length = 0;
    const c = client({ url: f.url });
    await expect(c.restartConnector('', { includeTasks: true, onlyFailed: true }, soon())).rejects.toThrow(
      'connector name is empty: no request can address it',
    );
    await expect(c.restartTask('', 0, soon())).rejects.toThrow(RangeError);
    expect(f.requests).toEqual([]);
    names.push('');
    const err = await c.listConnectors(soon()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectResponseError);
    expect((err as Error).message).toBe(
      `unexpected answer from ${LIST}: a connector has an empty name, which no request can address`,
    );
    expect(f.requests.map((r) => r.url)).toEqual([LIST]);
  });

  test('a name listed twice by a worker older than 2.3 is fetched and reported once', async () => {
    const f = await fake((req, res) => {
      const u = new URL(req.url, 'http://x');
      if (u.pathname === '/connectors') return json(res, 200, ['a', 'b', 'a', 'a']);
      const m = /^\/connectors\/([^/]+)(\/status)?$/.exec(u.pathname);
      const name = decodeURIComponent(m?.[1] ?? '');
      json(res, 200, m?.[2] ? status(name) : info(name));
    });
    const c = client({ url: f.url });
    const list = await c.listConnectors(soon());
    expect(list.connectors.map((v) => v.name).sort()).toEqual(['a', 'b']);
    expect(f.requests).toHaveLength(1 + 2 * 2);
  });
});

describe('caps', () => {
  test('a 2xx body over maxBodyBytes fails the call naming the cap; one announced over it is not read', async () => {
    const body = JSON.stringify(expandedAnswer);
    const f = await fake((_req, res) => json(res, 200, expandedAnswer));
    const small = client({ url: f.url, limits: { maxBodyBytes: body.length - 1 } });
    const err = await small.listConnectors(soon()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectResponseError);
    expect((err as Error).message).toBe(
      `unexpected answer from ${LIST}: body larger than ${body.length - 1} bytes (limit maxBodyBytes)`,
    );
    const exact = client({ url: f.url, limits: { maxBodyBytes: body.length } });
    expect((await exact.listConnectors(soon())).connectors).toHaveLength(3);

    // Streamed without a length: cut off once over the cap.
    let sent: { written: () => number } | undefined;
    f.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('["');
      sent = stream(res, 64 * 2 ** 20);
    };
    const streamed = client({ url: f.url, limits: { maxBodyBytes: 2 ** 20 } });
    await expect(streamed.getJson('connectors', soon())).rejects.toThrow(
      `unexpected answer from /connectors: body larger than ${2 ** 20} bytes (limit maxBodyBytes)`,
    );
    expect(sent?.written()).toBeLessThan(32 * 2 ** 20);

    // The default cap, announced by content-length: refused at once, not after the deadline.
    const max = CONNECT_LIMIT_DEFAULTS.maxBodyBytes;
    f.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(max + 1) });
      res.write('{');
    };
    const started = Date.now();
    await expect(client({ url: f.url }).listConnectors(soon())).rejects.toThrow(
      `body larger than ${max} bytes (limit maxBodyBytes)`,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('more connectors than maxConnectors fail the poll naming the cap', async () => {
    const f = await fake((_req, res) => json(res, 200, expandedAnswer));
    const err = await client({ url: f.url, limits: { maxConnectors: 2 } })
      .listConnectors(soon())
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `unexpected answer from ${LIST}: more than 2 connectors (limit maxConnectors)`,
    );
    expect(
      (await client({ url: f.url, limits: { maxConnectors: 3 } }).listConnectors(soon())).connectors,
    ).toHaveLength(3);
  });

  test('traces are cut to maxTraceChars in status answers too', async () => {
    const trace = `boom\n${'\tat x.y(Z.java:1)\n'.repeat(20_000)}Caused by: the root`;
    const f = await fake((_req, res) => json(res, 200, status('s', trace)));
    const view = await client({ url: f.url }).connectorStatus('s', soon());
    const max = CONNECT_LIMIT_DEFAULTS.maxTraceChars;
    for (const t of [view.trace, view.tasks[0]?.trace]) {
      expect(t?.length).toBeLessThanOrEqual(max);
      expect(t?.startsWith('boom\n')).toBe(true);
      expect(t?.endsWith('Caused by: the root')).toBe(true);
    }
    const short = await client({ url: f.url, limits: { maxTraceChars: 500 } }).connectorStatus('s', soon());
    expect(short.trace?.length).toBeLessThanOrEqual(500);
  });

  test('an answer nested deeper than maxJsonDepth fails naming the cap, whatever the call', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const f = await fake((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(deep));
    const c = client({ url: f.url });
    await expect(c.serverInfo(soon())).rejects.toThrow(
      'unexpected answer from /: JSON nested deeper than 64 levels (limit maxJsonDepth)',
    );
    await expect(c.listConnectors(soon())).rejects.toThrow(
      `unexpected answer from ${LIST}: JSON nested deeper than 64 levels (limit maxJsonDepth)`,
    );
  });

  test('limits that are not positive integers are refused with a clear error', () => {
    expect(
      () => new ConnectClient({ url: 'http://x', requestTimeoutMs: 1, limits: { maxJsonDepth: 0 } }),
    ).toThrow('Connect limit maxJsonDepth must be a positive integer, got 0');
    expect(
      () => new ConnectClient({ url: 'http://x', requestTimeoutMs: 1, limits: { maxBodyBytes: Number.NaN } }),
    ).toThrow('Connect limit maxBodyBytes must be a positive integer, got NaN');
  });
});

describe('credentials echoed by the server', () => {
  const password = 'Pa55-w0rd"secret';
  const b64 = Buffer.from(`admin:${password}`).toString('base64');
  const token = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig-123';

  test('are removed from every error message and body, whatever carries them', async () => {
    const f = await fake((req, res) => {
      const sent = req.headers.authorization ?? '';
      // What a helpful proxy might show: the credential itself, decoded.
      const secret = sent.startsWith('Basic ') ? password : sent.slice('Bearer '.length);
      const echo = `you sent authorization: ${sent}`;
      if (req.url === '/') return json(res, 401, { error_code: 401, message: `${echo} (${secret})` });
      if (req.url === '/connectors') return res.writeHead(502).end(`<pre>${'.'.repeat(60)}${echo}</pre>`);
      // A 200 that is not JSON, the credential across the place where the message cuts it.
      if (req.url === LIST) return res.writeHead(200).end(`${'<'.repeat(45)}${echo}`);
      // The credential across the end of the 4 KiB kept of an error body.
      res.writeHead(500).end(`${'y'.repeat(4096 - 10)}${secret}`);
    });
    const basic = client({ url: f.url, auth: { kind: 'basic', username: 'admin', password } });
    const bearer = client({ url: f.url, auth: { kind: 'bearer', token: () => token } });
    const errors: unknown[] = [];
    for (const c of [basic, bearer]) {
      errors.push(await c.serverInfo(soon()).catch((e: unknown) => e));
      errors.push(await c.getJson('connectors', soon(300)).catch((e: unknown) => e));
      errors.push(await c.listConnectors(soon()).catch((e: unknown) => e));
      errors.push(await c.getJson('other', soon(300)).catch((e: unknown) => e));
    }
    expect(errors.map((e) => e?.constructor.name)).toEqual([
      ...['ConnectApiError', 'ConnectApiError', 'ConnectResponseError', 'ConnectApiError'],
      ...['ConnectApiError', 'ConnectApiError', 'ConnectResponseError', 'ConnectApiError'],
    ]);
    for (const e of errors) {
      const text = `${(e as Error).message} ${(e as { body?: string }).body ?? ''}`;
      for (const secret of [password, b64, token]) {
        // Not even the first few characters of a credential cut at the end of what is kept.
        expect(text).not.toContain(secret.slice(0, 6));
      }
      // The marker itself may be cut where the message cuts the body.
      expect(text).toContain('[red');
    }
    expect((errors[0] as Error).message).toBe(
      'GET / answered 401: you sent authorization: Basic [redacted] ([redacted])',
    );
    expect((errors[4] as Error).message).toBe(
      'GET / answered 401: you sent authorization: Bearer [redacted] ([redacted])',
    );
  });

  test('prose after "Basic" or "Bearer" is left alone', async () => {
    const f = await fake((_req, res) =>
      res.writeHead(401).end('Basic authentication required; Bearer tokens expire'),
    );
    await expect(client({ url: f.url }).serverInfo(soon())).rejects.toThrow(
      'GET / answered 401: Basic authentication required; Bearer tokens expire',
    );
  });
});

describe('redirects and shutdown', () => {
  test('a 3xx is an error, never followed, for GET and POST', async () => {
    const elsewhere = await fake((_req, res) => json(res, 200, { version: '9.9' }));
    const f = await fake((_req, res) => res.writeHead(307, { location: `${elsewhere.url}/` }).end());
    const c = client({ url: f.url });
    const err = await c.serverInfo(soon()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectApiError);
    expect((err as Error).message).toBe('GET / answered 307');
    f.handler = (_req, res) =>
      res.writeHead(302, { location: `${elsewhere.url}/connectors/a/restart` }).end();
    await expect(c.restartConnector('a', { includeTasks: true, onlyFailed: true }, soon())).rejects.toThrow(
      'answered 302',
    );
    expect(elsewhere.requests).toEqual([]);
    expect(f.requests).toHaveLength(2);
  });

  test('close() aborts a request in flight and a wait between retries at once', async () => {
    const f = await fake(() => undefined); // never answers
    const c = client({ url: f.url, requestTimeoutMs: 30_000 });
    const started = Date.now();
    const pending = c.listConnectors(soon(30_000)).catch((e: unknown) => e);
    await vi.waitFor(() => expect(f.requests).toHaveLength(1));
    c.close();
    const err = await pending;
    expect(err).toBeInstanceOf(ConnectTransportError);
    expect((err as Error).message).toBe(`GET ${LIST} failed: client closed`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(f.requests).toHaveLength(1);

    f.handler = (_req, res) => json(res, 503, { error_code: 503, message: 'busy' });
    const d = client({ url: f.url, requestTimeoutMs: 30_000 });
    const before = f.requests.length;
    // The waits between attempts are 100, 200, 400, 800, 1600 ms: close during the 1600 ms one.
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const waiting = d.serverInfo(soon(30_000)).catch((e: unknown) => e);
    await vi.waitFor(() => expect(timers.mock.calls.some((call) => call[1] === 1600)).toBe(true), {
      timeout: 10_000,
    });
    timers.mockRestore();
    const closedAt = Date.now();
    const sent = f.requests.length - before;
    d.close();
    expect(((await waiting) as Error).message).toBe('GET / answered 503: busy');
    expect(Date.now() - closedAt).toBeLessThan(500);
    expect(sent).toBe(5);
    expect(f.requests).toHaveLength(before + 5);
    await expect(d.serverInfo(soon())).rejects.toThrow('GET / failed: client closed');
  });
});

describe('TLS client certificates', () => {
  function selfSigned(dir: string, name: string): { cert: Buffer; key: Buffer } {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
        ...['-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)],
        ...['-subj', `/CN=${name === 'server' ? '127.0.0.1' : 'sentinel'}`],
        ...(name === 'server' ? ['-addext', 'subjectAltName=IP:127.0.0.1'] : []),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, `${name}.pem`)), key: readFileSync(join(dir, `${name}.key`)) };
  }

  test('are presented to a worker that requires them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-mtls-'));
    const server = selfSigned(dir, 'server');
    const user = selfSigned(dir, 'client');
    const f = await startFakeConnect((_req, res) => json(res, 200, { version: '4.1.1' }), {
      ...server,
      ca: user.cert,
      requestCert: true,
      rejectUnauthorized: true,
    });
    fakes.push(f);
    const withCert = client({ url: f.url, tls: { ca: server.cert, cert: user.cert, key: user.key } });
    expect((await withCert.serverInfo(soon())).version).toBe('4.1.1');
    const without = client({ url: f.url, tls: { ca: server.cert } });
    await expect(without.serverInfo(soon(2_000))).rejects.toThrow(ConnectTransportError);
  });
});
