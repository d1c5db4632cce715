/**
 * ConnectClient.listConnectors reads the expanded answer while it arrives (ExpandedAnswerParser): the
 * same connectors as one JSON.parse of the whole body, and a body that turns out not to be JSON fails the
 * call as soon as the bad bytes arrive.
 */
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ConnectClient } from '../../../src/connect/client.js';
import { ConnectApiError, ConnectResponseError, ConnectTransportError } from '../../../src/connect/errors.js';
import { ExpandedAnswerParser } from '../../../src/connect/expanded-stream.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import { startFakeConnect, type FakeConnect } from '../../helpers/fake-connect.js';
import { normalize, viaJsonParse } from './expanded-reference.js';

let fake: FakeConnect | undefined;
let client: ConnectClient | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  client?.close();
  client = undefined;
  await fake?.close();
  fake = undefined;
});

const soon = (ms = 5000): number => Date.now() + ms;
const LIST = '/connectors?expand=status&expand=info';

function entry(name: string): object {
  const tasks = Array.from({ length: 8 }, (_, id) => ({
    id,
    state: id === 3 ? 'FAILED' : 'RUNNING',
    worker_id: `10.0.0.${id % 3}:8083`,
    ...(id === 3
      ? { trace: 'org.apache.kafka.connect.errors.ConnectException: boom\n\tat x(Y.java:1)' }
      : {}),
  }));
  return {
    status: { name, connector: { state: 'RUNNING', worker_id: '10.0.0.1:8083' }, tasks, type: 'sink' },
    info: {
      name,
      config: { 'connector.class': 'FileStreamSink', 'tasks.max': '8', topics: `t-${name}` },
      tasks: tasks.map((t) => ({ connector: name, task: t.id })),
      type: 'sink',
    },
  };
}

const NAMES = [
  ...Array.from({ length: 300 }, (_, i) => `connector-${String(i).padStart(5, '0')}`),
  'quo"te',
  'back\\slash',
  'astral 😀𝄞',
  'üñí€ode',
  '__proto__',
  '42',
];
const BODY = Buffer.from(JSON.stringify(Object.fromEntries(NAMES.map((n) => [n, entry(n)]))));

/** Writes `body` in slices of `size` bytes (multi-byte characters split between them), pausing between. */
async function trickle(
  res: http.ServerResponse,
  body: Buffer,
  size: number,
  opts: { pauseMs?: number; end?: boolean } = {},
): Promise<void> {
  for (let i = 0; i < body.length && !res.destroyed; i += size) {
    res.write(body.subarray(i, i + size));
    await sleep(opts.pauseMs ?? 1);
  }
  if (opts.end ?? true) res.end();
}

/** The connectors JSON.parse + parseExpanded give, sorted by name. */
function expectedConnectors(body: Buffer): unknown {
  const ref = viaJsonParse(body);
  if (!('ok' in ref) || ref.ok.kind !== 'expanded') throw new Error('not an expanded answer');
  return ref.ok.connectors;
}

function sorted(connectors: ConnectorView[]): unknown {
  const out = normalize({ kind: 'expanded', answer: { connectors, incomplete: [] } });
  return 'ok' in out && out.ok.kind === 'expanded' ? out.ok.connectors : out;
}

describe('listConnectors streams the expanded answer', () => {
  test.each([
    ['chunked', false],
    ['with content-length', true],
  ])(
    'a body written in many small pieces with pauses (%s) gives what JSON.parse gives',
    async (_, length) => {
      const push = vi.spyOn(ExpandedAnswerParser.prototype, 'push');
      fake = await startFakeConnect((_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          ...(length ? { 'content-length': String(BODY.length) } : {}),
        });
        void trickle(res, BODY, 3001);
      });
      client = new ConnectClient({ url: fake.url, requestTimeoutMs: 10_000 });
      const r = await client.listConnectors(soon(10_000));
      expect(r.expanded).toBe(true);
      expect(sorted(r.connectors)).toStrictEqual(expectedConnectors(BODY));
      expect(r.connectors.map((c) => c.name).sort()).toEqual([...NAMES].sort());
      expect(push.mock.calls.length).toBeGreaterThan(20);
      expect(fake.requests).toHaveLength(1);
    },
  );

  test('a body cut off mid-stream is the transport error it always was', async () => {
    fake = await startFakeConnect((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(BODY.length) });
      void trickle(res, BODY.subarray(0, BODY.length >> 1), 4096, { end: false }).then(() => res.destroy());
    });
    client = new ConnectClient({ url: fake.url, requestTimeoutMs: 5000 });
    const err = await client.listConnectors(soon()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectTransportError);
    expect((err as Error).message).toBe(
      `GET ${LIST} failed: connection closed before the answer was complete`,
    );

    // Without a content-length (chunked), the same.
    fake.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      void trickle(res, BODY.subarray(0, 5000), 1000, { end: false }).then(() => res.destroy());
    };
    const err2 = await client.listConnectors(soon()).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(ConnectTransportError);
    expect((err2 as Error).message).toBe(
      `GET ${LIST} failed: connection closed before the answer was complete`,
    );
  });

  test('a body that turns out not to be JSON fails as soon as the bad bytes arrive, without a retry', async () => {
    // Valid for 100 KB, then an empty member; the worker would go on for long and never end.
    const cut = BODY.indexOf('},"connector-00100"') + 2;
    const bad = Buffer.concat([BODY.subarray(0, cut), Buffer.from(','), BODY.subarray(cut)]);
    let serverSawClose = false;
    fake = await startFakeConnect((_req, res) => {
      res.on('close', () => (serverSawClose = true));
      res.writeHead(200, { 'content-type': 'application/json' });
      void trickle(res, bad, 2048, { pauseMs: 2, end: false });
    });
    client = new ConnectClient({ url: fake.url, requestTimeoutMs: 20_000 });
    const started = Date.now();
    const err = await client.listConnectors(soon(20_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectResponseError);
    expect((err as Error).message).toBe(
      `unexpected answer from ${LIST}: body is not JSON: Expected a member before ',' at byte ${cut}; ` +
        `the body begins ${JSON.stringify(`${bad.toString().slice(0, 80)}…`)}`,
    );
    expect(Date.now() - started).toBeLessThan(5000); // not the 20 s timeout, nor the whole body
    expect(fake.requests).toHaveLength(1);
    await vi.waitFor(() => expect(serverSawClose).toBe(true));
  });

  test('an answer whose content is wrong fails with the same error once it is complete', async () => {
    const noName = Buffer.from(
      JSON.stringify({ a: entry('a'), b: { status: { connector: {} }, info: {} }, c: entry('c') }),
    );
    fake = await startFakeConnect((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      void trickle(res, noName, 100);
    });
    client = new ConnectClient({ url: fake.url, requestTimeoutMs: 5000 });
    const err = await client.listConnectors(soon()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectResponseError);
    expect((err as Error).message).toBe(`unexpected answer from ${LIST}: status.name is not a string`);
    expect(fake.requests).toHaveLength(1);
  });

  test('a worker older than 2.3 answers the name list in pieces: the per-connector fallback', async () => {
    fake = await startFakeConnect((req, res) => {
      if (req.url === LIST) {
        res.writeHead(200, { 'content-type': 'application/json' });
        void trickle(res, Buffer.from(JSON.stringify(['a', 'ü😀'])), 3);
        return;
      }
      const name = decodeURIComponent(/^\/connectors\/([^/]+)/.exec(req.url)?.[1] ?? '');
      const e = entry(name) as { status: object; info: object };
      res.writeHead(200).end(JSON.stringify(req.url.endsWith('/status') ? e.status : e.info));
    });
    client = new ConnectClient({ url: fake.url, requestTimeoutMs: 5000 });
    const r = await client.listConnectors(soon());
    expect(r.expanded).toBe(false);
    expect(r.connectors.map((c) => c.name).sort()).toEqual(['a', 'ü😀']);
  });

  test('garbage in pieces is a "not JSON" error showing how the body begins', async () => {
    const html = Buffer.from(`<html><body>${'502 Bad Gateway '.repeat(20)}</body></html>`);
    fake = await startFakeConnect((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      void trickle(res, html, 7);
    });
    client = new ConnectClient({ url: fake.url, requestTimeoutMs: 5000 });
    const err = await client.listConnectors(soon()).catch((e: unknown) => e);
    // V8's own words about the syntax error, then where the body begins.
    const message = (err as Error).message;
    expect(message.startsWith(`unexpected answer from ${LIST}: body is not JSON: `), message).toBe(true);
    expect(message.endsWith(`; the body begins ${JSON.stringify(`${html.toString().slice(0, 80)}…`)}`)).toBe(
      true,
    );
  });

  test('a 503 is retried and the next, streamed answer gets a fresh parser', async () => {
    let n = 0;
    fake = await startFakeConnect((_req, res) => {
      if (n++ === 0) {
        res.writeHead(503, { 'content-type': 'application/json' });
        void trickle(res, Buffer.from(JSON.stringify({ error_code: 503, message: 'busy' })), 5);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      void trickle(res, BODY, 8192);
    });
    client = new ConnectClient({ url: fake.url, requestTimeoutMs: 5000 });
    const r = await client.listConnectors(soon());
    expect(sorted(r.connectors)).toStrictEqual(expectedConnectors(BODY));
    expect(fake.requests).toHaveLength(2);
  });

  test('a 500 streamed in pieces is still an API error with its text', async () => {
    fake = await startFakeConnect((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      void trickle(res, Buffer.from(JSON.stringify({ error_code: 500, message: 'Request timed out' })), 4);
    });
    client = new ConnectClient({ url: fake.url, requestTimeoutMs: 1000 });
    const err = await client.listConnectors(soon(300)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectApiError);
    expect((err as Error).message).toBe(`GET ${LIST} answered 500: Request timed out`);
  });

  test('a worker that trickles a valid body is still cut off at the total deadline', async () => {
    fake = await startFakeConnect((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      void trickle(res, BODY, 64, { pauseMs: 20 });
    });
    client = new ConnectClient({ url: fake.url, requestTimeoutMs: 300 });
    const err = await client.listConnectors(soon()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectTransportError);
    expect((err as Error).message).toBe(`GET ${LIST} failed: timed out after 300 ms`);
  });
});
