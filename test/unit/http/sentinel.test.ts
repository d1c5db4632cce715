/** The HTTP surface of a real Sentinel, against a fake Connect server on 127.0.0.1. */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expandedAnswer } from '../../fixtures/connectors.js';
import { value } from '../../helpers/exposition.js';
import { json, startFakeConnect, type FakeConnect } from '../../helpers/fake-connect.js';
import { promtoolCheckMetrics } from '../../helpers/promtool.js';
import { startSentinel, type TestSentinel } from '../../helpers/sentinel.js';

let fake: FakeConnect;
let s: TestSentinel;

beforeAll(async () => {
  fake = await startFakeConnect((req, res) => {
    if (req.url === '/') return json(res, 200, { version: '4.1.2', commit: 'abc', kafka_cluster_id: 'K' });
    json(res, 200, expandedAnswer);
  });
  s = await startSentinel(['--connect.url', fake.url]);
});
afterAll(async () => {
  await s?.stop();
  await fake?.close();
});

describe('/metrics', () => {
  test('text format 0.0.4, with the domain, self and process metrics, and promtool finds nothing', async () => {
    const res = await fetch(`${s.url}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(value(text, 'kafka_connect_up', { connect_cluster: 'default' })).toBe(1);
    expect(
      value(text, 'kafka_connect_task_state', { connector: 'poison-sink', task: '0', state: 'FAILED' }),
    ).toBe(1);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^connect_sentinel_build_info\{version="0\.1\.0",/m);
    const r = promtoolCheckMetrics(text);
    expect(r.output).toBe('');
  });

  test('gzip when asked, the same body', async () => {
    const plain = await (
      await fetch(`${s.url}/metrics`, { headers: { 'accept-encoding': 'identity' } })
    ).text();
    const raw = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(`${s.url}/metrics`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ enc: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
        }).on('error', reject),
      );
    });
    expect(raw.enc).toBe('gzip');
    const unzipped = gunzipSync(raw.body).toString('utf8');
    // Both come from the same assembled buffer unless a poll landed in between.
    const domain = (t: string) =>
      t
        .split('\n')
        .filter((l) => l.startsWith('kafka_connect_connector_state'))
        .join('\n');
    expect(domain(unzipped)).toBe(domain(plain));
  });
});

describe('other endpoints', () => {
  test('/healthz, /readyz, landing page, status JSON, 404, 405', async () => {
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    const landing = await (await fetch(`${s.url}/`)).text();
    expect(landing).toContain('href="metrics"');
    expect(landing).toContain('href="api/v1/status"');
    const status = await s.status();
    expect(status.clusters[0]!.connect.version).toBe('4.1.2');
    expect(status.clusters[0]!.connectors.map((c) => c.name)).toEqual([
      'file-sink',
      'poison-sink',
      'stopped-source',
    ]);
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
    expect((await fetch(`${s.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('the status page and the DLQ API of a real Sentinel', () => {
  test('the FAILED task is the first card, with its trace; the healthy ones are rows', async () => {
    const res = await fetch(`${s.url}/`);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await res.text();
    const attention = page.slice(page.indexOf('<h3>Needs attention'), page.indexOf('<h3>Other connectors'));
    expect(attention.match(/<h4><a [^>]*>([^<]*)<\/a>/)?.[1]).toBe('poison-sink');
    expect(attention).toContain('<b>Task 0 FAILED</b>');
    expect(attention).toContain('<details class="trace">');
    expect(page.slice(page.indexOf('<h3>Other connectors'))).toContain('>file-sink</a>');
  });

  test('made on the first request after a publication: requests in between get the same bytes; without Kafka the DLQ API says so', async () => {
    await s.sentinel.published();
    await s.sentinel.documents();
    const a = s.sentinel.page.body(true);
    await s.sentinel.documents();
    const b = s.sentinel.page.body(true);
    a.parts.forEach((p, i) => expect(p).toBe(b.parts[i]));
    await s.sentinel.pollNow();
    // Published but not asked for: not made yet.
    expect(s.sentinel.page.body(true).parts[1]).toBe(a.parts[1]);
    const page = await (await fetch(`${s.url}/`)).text();
    expect(s.sentinel.page.body(true).parts[1]).not.toBe(a.parts[1]);
    expect(page).toContain((s.sentinel.page.body(true).parts[1] as Buffer).toString());
    const dlq = await (await fetch(`${s.url}/api/v1/dlq`)).json();
    expect(dlq).toEqual({
      clusters: [{ name: 'default', kafka: 'not configured', reader: null, connectors: [] }],
    });
  });
});

test('a gzip scrape that comes while the new body is being compressed waits for its gzip, never an older body', async () => {
  const { ExpositionCache } = await import('../../../src/exposition/cache.js');
  const { renderCluster } = await import('../../../src/exposition/render.js');
  const { startHttpServer } = await import('../../../src/http/server.js');
  const { JsonDocument } = await import('../../../src/http/json-document.js');
  const { PageDocument } = await import('../../../src/http/page-document.js');
  const { pageLinks } = await import('../../../src/http/paths.js');
  const { silentLogger } = await import('../../../src/log.js');
  const { connectorView, snapshotWith } = await import('../../fixtures/views.js');
  const { get } = await import('node:http');
  const cache = new ExpositionCache({ version: 'v', revision: 'r' });
  await cache.compressed();
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    telemetryPath: '/metrics',
    metrics: cache,
    ready: () => true,
    status: new JsonDocument(),
    dlq: new JsonDocument(),
    page: new PageDocument({ links: pageLinks('/metrics'), refreshSeconds: 15, version: 'test' }),
    documents: () => Promise.resolve(),
    logger: silentLogger(),
  });
  try {
    const snapshot = (state: string) =>
      snapshotWith(Array.from({ length: 2000 }, (_, i) => connectorView(`c-${i}`, state, ['RUNNING'])));
    cache.setCluster('c', renderCluster(snapshot('RUNNING')));
    await cache.compressed();
    cache.setCluster('c', renderCluster(snapshot('PAUSED')));
    expect(cache.gzip).toBeUndefined();
    const newest = cache.text;
    const got = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      get(`${server.url}/metrics`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ enc: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(got.enc).toBe('gzip');
    expect(gunzipSync(got.body).equals(newest)).toBe(true);
  } finally {
    await server.close();
  }
});
