/**
 * Clients that ask for a large /api/v1/status and never read it: every response is written from the buffers
 * made at publication, so 200 of them hold references to one body, not 200 copies (before, each held its own
 * JSON string: 165 MB → 2.4 GB RSS at 5,000 connectors × 8 tasks).
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, expect, test, vi } from 'vitest';
import { statusJson } from '../../../src/http/status.js';
import { JsonDocument } from '../../../src/http/json-document.js';
import { parseJsonQuery } from '../../../src/http/json-query.js';
import { PageDocument } from '../../../src/http/page-document.js';
import { pageLinks } from '../../../src/http/paths.js';
import { startHttpServer, type RunningServer } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/log.js';
import { connectorView, snapshotWith } from '../../fixtures/views.js';

const CLIENTS = 200;
let server: RunningServer | undefined;
const sockets: net.Socket[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
});

test(`${CLIENTS} clients that do not read a large status body share its buffers`, async () => {
  const trace = 'org.apache.kafka.connect.errors.ConnectException: boom\n\tat X.y(X.java:1)\n'.repeat(4);
  const snapshot = snapshotWith(
    Array.from({ length: 3000 }, (_, i) =>
      connectorView(`connector-${i}`, i % 10 === 0 ? 'FAILED' : 'RUNNING', Array(8).fill('RUNNING'), {
        connector: trace,
      }),
    ),
  );
  const status = new JsonDocument();
  status.setClusters(['c']);
  const { head, items } = statusJson(snapshot);
  status.setCluster('c', head, items);
  const size = status.body({}, false).length;
  expect(size).toBeGreaterThan(2_000_000);

  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    telemetryPath: '/metrics',
    metrics: { parts: [], length: 0, gzip: undefined, compressed: async () => {} },
    ready: () => true,
    status,
    dlq: new JsonDocument(),
    page: new PageDocument({ links: pageLinks('/metrics'), refreshSeconds: 15, version: 'test' }),
    documents: () => Promise.resolve(),
    logger: silentLogger(),
  });

  const written = new Map<http.ServerResponse, unknown[]>();
  const write = http.ServerResponse.prototype.write;
  vi.spyOn(http.ServerResponse.prototype, 'write').mockImplementation(function (
    this: http.ServerResponse,
    ...args: Parameters<typeof write>
  ) {
    const list = written.get(this) ?? [];
    list.push(args[0]);
    written.set(this, list);
    return write.apply(this, args);
  });

  const rssBefore = process.memoryUsage().rss;
  const port = server.port;
  for (let i = 0; i < CLIENTS; i++) {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET /api/v1/status${i % 2 ? '?state=FAILED' : ''} HTTP/1.1\r\nhost: x\r\n\r\n`);
      socket.pause(); // never reads
    });
    sockets.push(socket);
  }
  await vi.waitFor(() => expect(written.size).toBe(CLIENTS), { timeout: 15_000, interval: 20 });

  // Held for all of them, memory grows by about one body (and the sockets), not by one per client: a copy
  // per client measured +306 MB here, shared buffers +32 to +40 MB.
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(40 * size);

  const responses = [...written.values()];
  // Every response is exactly the document's own buffers (the same objects), whole or filtered.
  const whole = status.body({}, false).parts;
  const failed = status.body(parseJsonQuery('state=FAILED').filter, false).parts;
  expect(failed.length).toBeGreaterThan(5);
  for (const chunks of responses) {
    const expected = chunks.length === whole.length ? whole : failed;
    expect(chunks).toHaveLength(expected.length);
    chunks.forEach((c, i) => expect(c).toBe(expected[i]));
  }
  expect(responses.filter((chunks) => chunks.length === whole.length)).toHaveLength(CLIENTS / 2);
  const bodies = new Set(responses.flat().map((c) => (c as Buffer).buffer));
  // The item bytes live in one allocation; the rest are the small fixed pieces (pooled or not).
  expect([...bodies].filter((b) => b.byteLength >= size / 2)).toHaveLength(1);
});
