import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ConnectClient } from '../../../src/connect/client.js';
import { ConnectApiError, ConnectResponseError, ConnectTransportError } from '../../../src/connect/errors.js';
import { expandedAnswer } from '../../fixtures/connectors.js';
import { json, startFakeConnect, type FakeConnect } from '../../helpers/fake-connect.js';

let fake: FakeConnect | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const soon = (ms = 3000): number => Date.now() + ms;

describe('listConnectors', () => {
  test('one request on a worker that expands', async () => {
    fake = await startFakeConnect((_req, res) => json(res, 200, expandedAnswer));
    const client = new ConnectClient({ url: fake.url, requestTimeoutMs: 1000 });
    const r = await client.listConnectors(soon());
    expect(r.expanded).toBe(true);
    expect(r.connectors.map((c) => c.name).sort()).toEqual(['file-sink', 'poison-sink', 'stopped-source']);
    expect(fake.requests.map((q) => q.url)).toEqual(['/connectors?expand=status&expand=info']);
    expect(client.requests).toBe(1);
    client.close();
  });

  test('falls back to per-connector calls on a worker that ignores expand, skipping vanished ones', async () => {
    const names = ['a b', 'quo"te', 'gone', 'ü/slash'];
    fake = await startFakeConnect((req, res) => {
      const u = new URL(req.url, 'http://x');
      if (u.pathname === '/connectors') return json(res, 200, names);
      const m = /^\/connectors\/([^/]+)(\/status)?$/.exec(u.pathname);
      const name = decodeURIComponent(m?.[1] ?? '');
      if (!m || name === 'gone')
        return json(res, 404, { error_code: 404, message: `No status found for connector ${name}` });
      if (m[2])
        return json(res, 200, {
          name,
          connector: { state: 'RUNNING', worker_id: 'w' },
          tasks: [],
          type: 'sink',
        });
      return json(res, 200, { name, config: { 'connector.class': 'C' }, tasks: [], type: 'sink' });
    });
    const client = new ConnectClient({ url: fake.url, requestTimeoutMs: 1000, fallbackConcurrency: 2 });
    const r = await client.listConnectors(soon());
    expect(r.expanded).toBe(false);
    expect(r.connectors.map((c) => c.name).sort()).toEqual(['a b', 'quo"te', 'ü/slash']);
    expect(fake.requests).toHaveLength(1 + 2 * names.length);
    client.close();
  });

  test('connectors the expanded answer returns empty are fetched one by one', async () => {
    fake = await startFakeConnect((req, res) => {
      if (req.url.startsWith('/connectors?')) return json(res, 200, { ...expandedAnswer, fresh: {} });
      if (req.url === '/connectors/fresh/status')
        return json(res, 200, {
          name: 'fresh',
          connector: { state: 'UNASSIGNED', worker_id: '' },
          tasks: [],
          type: 'source',
        });
      if (req.url === '/connectors/fresh')
        return json(res, 200, { name: 'fresh', config: {}, tasks: [], type: 'source' });
      json(res, 404, {});
    });
    const client = new ConnectClient({ url: fake.url, requestTimeoutMs: 1000 });
    const r = await client.listConnectors(soon());
    expect(r.connectors.find((c) => c.name === 'fresh')?.state).toBe('UNASSIGNED');
    client.close();
  });
});

describe('errors and retries', () => {
  test('409 during a rebalance is retried within the deadline', async () => {
    let n = 0;
    fake = await startFakeConnect((_req, res) => {
      if (n++ < 2)
        return json(res, 409, {
          error_code: 409,
          message:
            'Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.',
        });
      json(res, 200, expandedAnswer);
    });
    const client = new ConnectClient({ url: fake.url, requestTimeoutMs: 1000 });
    const r = await client.listConnectors(soon());
    expect(r.connectors).toHaveLength(3);
    expect(fake.requests).toHaveLength(3);
    client.close();
  });

  test('a 500 that persists surfaces as ConnectApiError with the message, once the deadline is near', async () => {
    fake = await startFakeConnect((_req, res) =>
      json(res, 500, { error_code: 500, message: 'Request timed out' }),
    );
    const client = new ConnectClient({ url: fake.url, requestTimeoutMs: 1000 });
    const err = await client.listConnectors(soon(700)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectApiError);
    expect((err as Error).message).toBe(
      'GET /connectors?expand=status&expand=info answered 500: Request timed out',
    );
    expect(fake.requests.length).toBeGreaterThan(1);
    client.close();
  });

  test('401 from the basic-auth extension is not retried and says so', async () => {
    fake = await startFakeConnect((_req, res) => res.writeHead(401).end('User cannot access the resource.'));
    const client = new ConnectClient({
      url: fake.url,
      requestTimeoutMs: 1000,
      auth: { kind: 'basic', username: 'u', password: 'wrong' },
    });
    const err = await client.listConnectors(soon()).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/answered 401: User cannot access the resource\./);
    expect((err as Error).message).not.toContain('wrong');
    expect(fake.requests).toHaveLength(1);
    client.close();
  });

  test('garbage and cut-off bodies are response errors, not crashes', async () => {
    fake = await startFakeConnect((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>proxy error</html>'),
    );
    const client = new ConnectClient({ url: fake.url, requestTimeoutMs: 1000 });
    await expect(client.listConnectors(soon())).rejects.toThrow(ConnectResponseError);
    fake.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"a":');
      setTimeout(() => res.destroy(), 20);
    };
    await expect(client.listConnectors(soon(500))).rejects.toThrow(ConnectTransportError);
    client.close();
  });

  test('a worker that never answers is cut off at the request timeout', async () => {
    fake = await startFakeConnect(() => undefined);
    const client = new ConnectClient({ url: fake.url, requestTimeoutMs: 300 });
    const t0 = Date.now();
    const err = await client.listConnectors(soon(5000)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/timed out after 300 ms/);
    expect(Date.now() - t0).toBeLessThan(4000);
    client.close();
  });

  test('connection refused is a transport error naming the path', async () => {
    const client = new ConnectClient({ url: 'http://127.0.0.1:1', requestTimeoutMs: 300 });
    await expect(client.serverInfo(soon())).rejects.toThrow(/GET \/ failed: ECONNREFUSED/);
    client.close();
  });
});

describe('restarts', () => {
  test('are POSTs without a body or a content type: Connect answers 415 to any type but JSON', async () => {
    fake = await startFakeConnect((_req, res) => res.writeHead(202).end('{}'));
    const client = new ConnectClient({ url: fake.url, requestTimeoutMs: 1000 });
    expect(await client.restartConnector('a', { includeTasks: true, onlyFailed: true }, soon())).toBe(202);
    expect(await client.restartTask('a', 2, soon())).toBe(202);
    for (const r of fake.requests) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBeUndefined();
      expect(r.headers['content-length']).toBe('0');
      expect(r.headers['transfer-encoding']).toBeUndefined();
    }
    expect(fake.requests.map((r) => r.url)).toEqual([
      '/connectors/a/restart?includeTasks=true&onlyFailed=true',
      '/connectors/a/tasks/2/restart',
    ]);
    client.close();
  });
});

describe('auth and TLS', () => {
  test('basic auth and bearer headers', async () => {
    fake = await startFakeConnect((_req, res) =>
      json(res, 200, { version: '4.1.1', commit: 'c', kafka_cluster_id: 'k' }),
    );
    const basic = new ConnectClient({
      url: fake.url,
      requestTimeoutMs: 1000,
      auth: { kind: 'basic', username: 'admin', password: 'p@ss:word' },
    });
    await basic.serverInfo(soon());
    expect(fake.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('admin:p@ss:word').toString('base64')}`,
    );
    const bearer = new ConnectClient({
      url: fake.url,
      requestTimeoutMs: 1000,
      auth: { kind: 'bearer', token: () => 'tok-1' },
    });
    await bearer.serverInfo(soon());
    expect(fake.requests[1]!.headers.authorization).toBe('Bearer tok-1');
    basic.close();
    bearer.close();
  });

  test('a custom CA is trusted; without it the certificate is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'));
    fake = await startFakeConnect((_req, res) => json(res, 200, { version: '4.1.1' }), {
      cert,
      key: readFileSync(join(dir, 'key.pem')),
    });
    const trusting = new ConnectClient({ url: fake.url, requestTimeoutMs: 2000, tls: { ca: cert } });
    expect((await trusting.serverInfo(soon())).version).toBe('4.1.1');
    const plain = new ConnectClient({ url: fake.url, requestTimeoutMs: 2000 });
    await expect(plain.serverInfo(soon())).rejects.toThrow(/SELF_SIGNED|self.signed/i);
    const insecure = new ConnectClient({
      url: fake.url,
      requestTimeoutMs: 2000,
      tls: { insecureSkipVerify: true },
    });
    expect((await insecure.serverInfo(soon())).version).toBe('4.1.1');
    for (const c of [trusting, plain, insecure]) c.close();
  });
});
