import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectClient } from '../../../src/connect/client.js';
import { ConnectApiError, ConnectResponseError, ConnectTransportError } from '../../../src/connect/errors.js';
import { generatedName, startConnectSimulator, type ConnectSimulator } from '../../sim/connect-simulator.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function request(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const get = (sim: ConnectSimulator, path: string): Promise<Answer> => request(sim.url, 'GET', path);
const json = async (sim: ConnectSimulator, path: string): Promise<unknown> => {
  const a = await get(sim, path);
  expect(a.status, `${path}: ${a.text}`).toBe(200);
  return JSON.parse(a.text) as unknown;
};
const enc = encodeURIComponent;

let sims: ConnectSimulator[] = [];
async function sim(opts: Parameters<typeof startConnectSimulator>[0]): Promise<ConnectSimulator> {
  const s = await startConnectSimulator(opts);
  sims.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

describe('the Connect REST simulator', () => {
  it('answers GET / like a worker', async () => {
    const s = await sim({ version: '3.7.1', commit: 'c0ffee', kafkaClusterId: 'kc-1' });
    expect(await json(s, '/')).toEqual({ version: '3.7.1', commit: 'c0ffee', kafka_cluster_id: 'kc-1' });
  });

  it('lists names, and expands status and info only when the parameter is repeated', async () => {
    const s = await sim({ connectors: 3, tasksPerConnector: 2 });
    expect(await json(s, '/connectors')).toEqual([generatedName(0), generatedName(1), generatedName(2)]);

    const expanded = (await json(s, '/connectors?expand=status&expand=info')) as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(expanded)).toEqual([generatedName(0), generatedName(1), generatedName(2)]);
    const first = expanded[generatedName(0)];
    expect(first).toEqual({
      status: {
        name: generatedName(0),
        connector: { state: 'RUNNING', worker_id: expect.stringMatching(/^[\d.]+:\d+$/) },
        tasks: [
          { id: 0, state: 'RUNNING', worker_id: expect.any(String) },
          { id: 1, state: 'RUNNING', worker_id: expect.any(String) },
        ],
        type: 'sink',
      },
      info: {
        name: generatedName(0),
        config: expect.objectContaining({
          'connector.class': expect.any(String),
          name: generatedName(0),
          'tasks.max': '2',
        }),
        tasks: [
          { connector: generatedName(0), task: 0 },
          { connector: generatedName(0), task: 1 },
        ],
        type: 'sink',
      },
    });
    // "status,info" is one unknown expansion: Connect logs it and maps every connector to {}.
    expect(await json(s, '/connectors?expand=status,info')).toEqual({
      [generatedName(0)]: {},
      [generatedName(1)]: {},
      [generatedName(2)]: {},
    });
    const statusOnly = (await json(s, '/connectors?expand=status')) as Record<string, object>;
    expect(Object.keys(statusOnly[generatedName(1)] ?? {})).toEqual(['status']);
    expect(s.requests).toMatchObject({ list: 1, expanded: 3, total: 4 });
  });

  it('behaves like a pre-2.3 worker when expand is off: the name array, whatever the query', async () => {
    const s = await sim({ connectors: 2, expand: false });
    expect(await json(s, '/connectors?expand=status&expand=info')).toEqual([
      generatedName(0),
      generatedName(1),
    ]);
    const client = new ConnectClient({ url: s.url, requestTimeoutMs: 2000 });
    try {
      const list = await client.listConnectors(Date.now() + 5000);
      expect(list.expanded).toBe(false);
      expect(list.connectors.map((c) => c.name).sort()).toEqual([generatedName(0), generatedName(1)]);
      // One list, then status and info for each connector.
      expect(s.requests).toMatchObject({ list: 2, connectorStatus: 2, connectorInfo: 2, expanded: 0 });
    } finally {
      client.close();
    }
  });

  it('adds the 4.1+ version field to connector and task status', async () => {
    const old = await sim({ connectors: 1, version: '4.0.0' });
    const now = await sim({ connectors: 1, version: '4.1.0' });
    const n = enc(generatedName(0));
    expect(await json(old, `/connectors/${n}/status`)).not.toHaveProperty('connector.version');
    const status = (await json(now, `/connectors/${n}/status`)) as { connector: object; tasks: object[] };
    expect(status.connector).toHaveProperty('version', '4.1.0');
    expect(status.tasks[0]).toHaveProperty('version', '4.1.0');
  });

  it('serves per-connector endpoints and Connect error bodies', async () => {
    const s = await sim({ connectors: 1, tasksPerConnector: 2 });
    const n = generatedName(0);
    s.setTaskState(n, 1, 'FAILED', 'java.lang.RuntimeException: boom\n\tat x.y(Z.java:1)');
    expect(await json(s, `/connectors/${n}/tasks/1/status`)).toEqual({
      id: 1,
      state: 'FAILED',
      worker_id: expect.any(String),
      trace: 'java.lang.RuntimeException: boom\n\tat x.y(Z.java:1)',
    });
    expect(await json(s, `/connectors/${n}/topics`)).toEqual({ [n]: { topics: ['topic-0'] } });
    expect(await json(s, `/connectors/nope/topics`)).toEqual({ nope: { topics: [] } });
    expect(await json(s, `/connectors/${n}/config`)).toMatchObject({ name: n, topics: 'topic-0' });

    const missing = await get(s, '/connectors/nope/status');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({
      error_code: 404,
      message: 'No status found for connector nope',
    });
    const unknownTask = await request(s.url, 'POST', `/connectors/${n}/tasks/7/restart`);
    expect(JSON.parse(unknownTask.text)).toEqual({ error_code: 404, message: `Unknown task: ${n}-7` });
    const unknownPath = await get(s, '/nothing/here');
    expect(JSON.parse(unknownPath.text)).toEqual({ error_code: 404, message: 'HTTP 404 Not Found' });
  });

  it('answers 403 on topics when topic tracking is disabled', async () => {
    const s = await sim({ connectors: 1, topicTracking: false });
    const a = await get(s, `/connectors/${generatedName(0)}/topics`);
    expect(a.status).toBe(403);
    expect(JSON.parse(a.text)).toEqual({ error_code: 403, message: 'Topic tracking is disabled.' });
  });

  it('restarts like KIP-745: 204 without options, 202 with the plan, 404 for an unknown connector', async () => {
    const s = await sim({ connectors: 1, tasksPerConnector: 3 });
    const n = generatedName(0);
    s.setConnectorState(n, 'FAILED', 'trace');
    s.setTaskState(n, 1, 'FAILED', 'trace');

    const legacy = await request(s.url, 'POST', `/connectors/${n}/restart`);
    expect(legacy.status).toBe(204);
    expect(legacy.text).toBe('');
    expect(s.connector(n)?.state).toBe('RUNNING');
    expect(s.connector(n)?.tasks[1]?.state).toBe('FAILED'); // the legacy restart leaves tasks alone

    const plan = await request(s.url, 'POST', `/connectors/${n}/restart?includeTasks=true&onlyFailed=true`);
    expect(plan.status).toBe(202);
    const body = JSON.parse(plan.text) as {
      connector: { state: string };
      tasks: { id: number; state: string }[];
    };
    expect(body.connector.state).toBe('RUNNING'); // not failed, so not selected
    expect(body.tasks.map((t) => t.state)).toEqual(['RUNNING', 'RESTARTING', 'RUNNING']);
    expect(s.connector(n)?.tasks[1]?.state).toBe('RUNNING');

    expect((await request(s.url, 'POST', `/connectors/${n}/tasks/2/restart`)).status).toBe(204);
    const unknown = await request(s.url, 'POST', '/connectors/nope/restart?includeTasks=true');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toEqual({ error_code: 404, message: 'Unknown connector: nope' });
    expect(s.restarts).toEqual([
      { connector: n, includeTasks: false, onlyFailed: false },
      { connector: n, includeTasks: true, onlyFailed: true },
      { connector: n, task: 2 },
    ]);
  });

  it('reports a STOPPED connector with no tasks', async () => {
    const s = await sim({ connectors: 1, tasksPerConnector: 4 });
    s.setConnectorState(generatedName(0), 'STOPPED');
    const st = (await json(s, `/connectors/${generatedName(0)}/status`)) as { tasks: unknown[] };
    expect(st.tasks).toEqual([]);
    expect(s.taskCount()).toBe(0);
  });

  it('round-trips any connector name through the URL', async () => {
    const names = [
      'with "quotes"',
      'back\\slash',
      'new\nline',
      'slash/inside',
      'percent %41 and ?query=1&x#frag',
      'ünïcødé ✓ 日本語 🚀',
      'x'.repeat(1000),
      '🚀'.repeat(1000),
    ];
    const s = await sim({ connectors: names.map((name) => ({ name })) });
    const client = new ConnectClient({ url: s.url, requestTimeoutMs: 2000 });
    try {
      for (const name of names) {
        const st = await client.connectorStatus(name, Date.now() + 5000);
        expect(st.name).toBe(name);
      }
      expect((await client.listConnectors(Date.now() + 5000)).connectors.map((c) => c.name).sort()).toEqual(
        [...names].sort(),
      );
    } finally {
      client.close();
    }
  });

  it('refuses requests without the right basic-auth credentials in plain text', async () => {
    const s = await sim({ connectors: 1, basicAuth: { username: 'u', password: 'p' } });
    const refused = await get(s, '/connectors');
    expect(refused.status).toBe(401);
    expect(refused.text).toBe('User cannot access the resource.');
    expect(refused.headers['www-authenticate']).toBeUndefined();
    const ok = await request(s.url, 'GET', '/connectors', {
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
    });
    expect(ok.status).toBe(200);
  });

  describe('faults', () => {
    const client = (s: ConnectSimulator, timeoutMs = 2000): ConnectClient =>
      new ConnectClient({ url: s.url, requestTimeoutMs: timeoutMs });

    it('500 and 409 carry Connect error bodies', async () => {
      const s = await sim({ connectors: 1 });
      s.setFault({ kind: 'rebalance' });
      const a = await get(s, '/connectors');
      expect(a.status).toBe(409);
      expect(JSON.parse(a.text)).toEqual({
        error_code: 409,
        message:
          'Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.',
      });
      s.setFault({ kind: 'error' });
      expect((await get(s, '/')).status).toBe(500);
      s.setFault({ kind: 'error', status: 503, only: ['expanded'] });
      expect((await get(s, '/')).status).toBe(200);
      expect((await get(s, '/connectors?expand=status')).status).toBe(503);
      s.setFault(undefined);
      expect((await get(s, '/connectors?expand=status')).status).toBe(200);
    });

    it('timeout never answers; cut-off closes mid-body; malformed is 200 with garbage; 401 is plain text', async () => {
      const s = await sim({ connectors: 50, tasksPerConnector: 4 });
      const c = client(s, 300);
      try {
        s.setFault({ kind: 'timeout' });
        await expect(c.getJson('connectors', Date.now() + 300)).rejects.toThrow(/timed out/);

        s.setFault({ kind: 'cutoff' });
        const err = await c
          .getJson('connectors?expand=status&expand=info', Date.now() + 300)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConnectTransportError);

        s.setFault({ kind: 'malformed' });
        await expect(c.getJson('connectors', Date.now() + 300)).rejects.toBeInstanceOf(ConnectResponseError);

        s.setFault({ kind: 'unauthorized' });
        const refused = await c.getJson('connectors', Date.now() + 300).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(ConnectApiError);
        expect((refused as ConnectApiError).status).toBe(401);
        expect((refused as ConnectApiError).body).toBe('User cannot access the resource.');
      } finally {
        c.close();
      }
    });

    it('latency delays answers by the given time', async () => {
      const s = await sim({ connectors: 1 });
      s.setFault({ kind: 'latency', ms: 150 });
      const started = process.hrtime.bigint();
      expect((await get(s, '/connectors')).status).toBe(200);
      // A lower bound only: the answer cannot come before the delay.
      expect(Number(process.hrtime.bigint() - started) / 1e6).toBeGreaterThanOrEqual(140);
    });

    it('vanishing connectors are listed but 404 on their own endpoints, and left out of the expanded map', async () => {
      const s = await sim({ connectors: 4, expand: false });
      s.setFault({ kind: 'vanishing' });
      expect(((await json(s, '/connectors')) as string[]).length).toBe(4);
      expect((await get(s, `/connectors/${generatedName(1)}/status`)).status).toBe(404);
      expect((await get(s, `/connectors/${generatedName(0)}/status`)).status).toBe(200);
      const c = client(s);
      try {
        const list = await c.listConnectors(Date.now() + 5000);
        expect(list.connectors.map((x) => x.name).sort()).toEqual([generatedName(0), generatedName(2)]);
      } finally {
        c.close();
      }
      const expanding = await sim({ connectors: 4 });
      expanding.setFault({ kind: 'vanishing', names: [generatedName(3)] });
      expect(Object.keys((await json(expanding, '/connectors?expand=status&expand=info')) as object)).toEqual(
        [generatedName(0), generatedName(1), generatedName(2)],
      );
    });

    it('churn replaces connectors on every list request and keeps their number', async () => {
      const s = await sim({ connectors: 5 });
      s.setFault({ kind: 'churn', perList: 2 });
      const a = Object.keys((await json(s, '/connectors?expand=status&expand=info')) as object);
      const b = Object.keys((await json(s, '/connectors?expand=status&expand=info')) as object);
      expect(a).toHaveLength(5);
      expect(b).toHaveLength(5);
      expect(b.filter((n) => !a.includes(n))).toHaveLength(2);
      expect(s.names()).toEqual(b);
    });
  });
});
