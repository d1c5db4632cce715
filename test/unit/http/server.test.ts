/** The HTTP surface as a client sees it: paths, methods, headers, negotiation, odd request targets, listening. */
import net from 'node:net';
import { Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acceptsGzip } from '../../../src/http/accept-encoding.js';
import { JsonDocument } from '../../../src/http/json-document.js';
import { PageDocument } from '../../../src/http/page-document.js';
import { pageLinks } from '../../../src/http/paths.js';
import { startHttpServer, type RunningServer } from '../../../src/http/server.js';
import { createLogger, silentLogger } from '../../../src/log.js';

const BODY = Buffer.from('kafka_connect_up{connect_cluster="prod"} 1\n');
const METRICS = { parts: [BODY], length: BODY.length, gzip: gzipSync(BODY), compressed: async () => {} };

interface LogLine {
  level: number;
  msg: string;
}

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** One request written by hand, so the request target and headers are exactly what is given. */
function raw(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      const lines = Object.entries({ host: 'sentinel', connection: 'close', ...headers }).map(
        ([k, v]) => `${k}: ${v}\r\n`,
      );
      socket.write(`${method} ${target} HTTP/1.1\r\n${lines.join('')}\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const [statusLine = '', ...headerLines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const parsed: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(':');
        parsed[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers: parsed, body: all.subarray(end + 4) });
    });
  });
}

let server: RunningServer;
let ready = false;
const logs: LogLine[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const status = new JsonDocument();
  status.setClusters(['prod']);
  status.setCluster('prod', { name: 'prod', polled: true }, [
    { connector: 'orders', states: ['RUNNING', 'FAILED'], value: { name: 'orders' } },
    { connector: 'audit', states: ['RUNNING'], value: { name: 'audit' } },
  ]);
  const dlq = new JsonDocument();
  dlq.setClusters(['prod']);
  dlq.setCluster('prod', { name: 'prod' }, [
    { connector: 'orders', states: ['RUNNING'], value: { topic: 'dlq' } },
  ]);
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    telemetryPath: '/metrics',
    metrics: METRICS,
    ready: () => ready,
    status,
    dlq,
    page: new PageDocument({ links: pageLinks('/metrics'), refreshSeconds: 15, version: 'test' }),
    documents: () => Promise.resolve(),
    logger: createLogger('debug', 'json', sink),
  });
});
afterAll(async () => {
  await server?.close();
});

describe('paths', () => {
  test('each path answers with its status, content type and body; the url is where it listens', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const got = async (path: string) => {
      const r = await raw(server.port, 'GET', path);
      return [r.status, r.headers['content-type'], r.body.toString()];
    };
    expect(await got('/healthz')).toEqual([200, 'text/plain', 'ok\n']);
    expect(await got('/readyz')).toEqual([503, 'text/plain', 'first poll not finished\n']);
    ready = true;
    expect(await got('/readyz')).toEqual([200, 'text/plain', 'ready\n']);
    expect(await got('/metrics')).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8', BODY.toString()]);
    expect(await got('/api/v1/status')).toEqual([
      200,
      'application/json; charset=utf-8',
      '{"clusters":[{"name":"prod","polled":true,"connectors":[{"name":"orders"},{"name":"audit"}]}]}',
    ]);
    expect(await got('/api/v1/dlq?connector=nope')).toEqual([
      200,
      'application/json; charset=utf-8',
      '{"clusters":[{"name":"prod","connectors":[]}]}',
    ]);
    const [status, type, page] = await got('/');
    expect([status, type]).toEqual([200, 'text/html; charset=utf-8']);
    for (const href of ['metrics', 'healthz', 'readyz', 'api/v1/status', 'api/v1/dlq']) {
      expect(page).toContain(`href="${href}"`);
    }
    expect(await got('/nope')).toEqual([404, 'text/plain', 'not found\n']);
  });

  test('no express leftovers: no X-Powered-By, no ETag; keep-alive for 65 s', async () => {
    const res = await fetch(`${server.url}/api/v1/status`);
    await res.arrayBuffer();
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('etag')).toBeNull();
    expect(res.headers.get('keep-alive')).toBe('timeout=65');
  });

  test('HEAD everywhere GET is: the same status and headers, no body', async () => {
    for (const path of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/',
      '/api/v1/status',
      '/api/v1/dlq?pretty',
      '/nope',
    ]) {
      const get = await raw(server.port, 'GET', path);
      const head = await raw(server.port, 'HEAD', path);
      expect([path, head.status]).toEqual([path, get.status]);
      expect(head.headers['content-type']).toBe(get.headers['content-type']);
      if (get.headers['content-length'])
        expect(head.headers['content-length']).toBe(get.headers['content-length']);
      expect(head.body.length).toBe(0);
    }
  });

  test('other methods get 405 with Allow: GET, HEAD, on every path', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      for (const path of ['/metrics', '/healthz', '/nope']) {
        const r = await raw(server.port, method, path, { 'content-length': '0' });
        expect([method, path, r.status, r.headers.allow]).toEqual([method, path, 405, 'GET, HEAD']);
      }
    }
  });

  test('only exact origin-form paths are routes', async () => {
    const statusOf = async (target: string) => (await raw(server.port, 'GET', target)).status;
    expect(await statusOf('/metrics')).toBe(200);
    expect(await statusOf('/metrics?x=1')).toBe(200);
    for (const target of ['//evil.example/metrics', '/metrics/', '/METRICS', '/x/../metrics', '/%6detrics']) {
      expect([target, await statusOf(target)]).toEqual([target, 404]);
    }
    for (const target of ['http://sentinel/metrics', '*', 'metrics']) {
      expect([target, await statusOf(target)]).toEqual([target, 400]);
    }
  });

  test('a malformed target is a 400 logged at debug, not a 500 with a stack trace', async () => {
    logs.length = 0;
    const r = await raw(server.port, 'GET', '//[');
    expect(r.status).toBe(400);
    expect(r.body.toString()).toBe('bad request target: expected a path like /metrics\n');
    expect(logs.filter((l) => l.level >= 40)).toEqual([]);
    expect(logs.map((l) => [l.level, l.msg])).toEqual([[20, 'bad request target']]);
  });

  test('a bad JSON query is a 400 naming the problem', async () => {
    const r = await raw(server.port, 'GET', '/api/v1/status?conector=orders');
    expect([r.status, r.body.toString()]).toEqual([
      400,
      'unknown query parameter "conector" (known: cluster, connector, state, pretty)\n',
    ]);
    const ok = await raw(server.port, 'GET', '/api/v1/status?state=failed&pretty');
    expect(JSON.parse(ok.body.toString())).toEqual({
      clusters: [{ name: 'prod', polled: true, connectors: [{ name: 'orders' }] }],
    });
    expect(ok.body.toString()).toContain('\n        {\n          "name": "orders"\n        }');
  });
});

describe('gzip negotiation on /metrics', () => {
  test.each([
    ['gzip', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['deflate, gzip;q=0.8', true],
    ['*', true],
    ['gzip;q=0', false],
    ['gzip; Q=0.000', false],
    ['*;q=0, identity', false],
    ['identity', false],
    ['br, deflate', false],
    ['gzip;q=0.5, identity;q=1', false],
    ['gzip;q=0.5, *', false],
    ['gzip;q=nonsense', false],
    ['', false],
  ])('Accept-Encoding: %j → gzip %s', async (header, gzip) => {
    expect(acceptsGzip(header)).toBe(gzip);
    const r = await raw(server.port, 'GET', '/metrics', header ? { 'accept-encoding': header } : {});
    expect(r.headers.vary).toBe('Accept-Encoding');
    expect(r.headers['content-encoding']).toBe(gzip ? 'gzip' : undefined);
    expect((gzip ? gunzipSync(r.body) : r.body).equals(BODY)).toBe(true);
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
  });

  test('no header: plain', () => {
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

describe('listening', () => {
  test('a taken port rejects with one clear line', async () => {
    const err = await startHttpServer({
      host: '127.0.0.1',
      port: server.port,
      telemetryPath: '/metrics',
      metrics: METRICS,
      ready: () => true,
      status: new JsonDocument(),
      dlq: new JsonDocument(),
      page: new PageDocument({ links: pageLinks('/metrics'), refreshSeconds: 15, version: 'test' }),
      documents: () => Promise.resolve(),
      logger: silentLogger(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`cannot listen on 127.0.0.1:${server.port}: address already in use`);
  });

  test('a configured telemetry path is matched literally, even with characters express routes treat specially', async () => {
    const other = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      telemetryPath: '/prom:metrics(all)',
      metrics: METRICS,
      ready: () => true,
      status: new JsonDocument(),
      dlq: new JsonDocument(),
      page: new PageDocument({ links: pageLinks('/metrics'), refreshSeconds: 15, version: 'test' }),
      documents: () => Promise.resolve(),
      logger: silentLogger(),
    });
    try {
      expect((await raw(other.port, 'GET', '/prom:metrics(all)')).status).toBe(200);
      expect((await raw(other.port, 'GET', '/prom:x(all)')).status).toBe(404);
      expect((await raw(other.port, 'GET', '/metrics')).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe('the status page', () => {
  test('reloads itself unless ?refresh=off; another parameter is a 400 naming it', async () => {
    const on = await raw(server.port, 'GET', '/');
    expect(on.body.toString()).toContain('<meta http-equiv="refresh" content="15">');
    expect(on.headers['content-length']).toBe(String(on.body.length));
    const off = await raw(server.port, 'GET', '/?refresh=off');
    expect(off.status).toBe(200);
    expect(off.body.toString()).not.toContain('http-equiv="refresh"');
    expect((await raw(server.port, 'GET', '/?refresh=on')).body.toString()).toContain('http-equiv="refresh"');
    expect(
      await raw(server.port, 'GET', '/?cluster=prod').then((r) => [r.status, r.body.toString()]),
    ).toEqual([400, 'unknown query parameter "cluster" (known: refresh)\n']);
    expect((await raw(server.port, 'GET', '/?refresh=sometimes')).status).toBe(400);
  });

  test('no script may run on it, it is not cached, and links leak no address', async () => {
    const r = await raw(server.port, 'GET', '/');
    expect(r.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
  });
});
