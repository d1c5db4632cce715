/**
 * Property-based tests: whatever JSON a worker (or a proxy in front of it) sends, parsing fails only with
 * ConnectResponseError; whatever Connect names its connectors, the exposition parses and gives the names
 * back exactly, and promtool accepts it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectClient } from '../../../src/connect/client.js';
import { ConnectApiError, ConnectResponseError, ConnectTransportError } from '../../../src/connect/errors.js';
import {
  parseExpanded,
  parseInfo,
  parseNameList,
  parseServerInfo,
  parseStatus,
} from '../../../src/connect/parse.js';
import { CONNECTOR_STATES, TASK_STATES, type ConnectorView } from '../../../src/connect/types.js';
import { ExpositionCache } from '../../../src/exposition/cache.js';
import { renderCluster } from '../../../src/exposition/render.js';
import { taskKey, type ClusterSnapshot } from '../../../src/state/snapshot.js';
import { startConnectSimulator, type ConnectorSpec } from '../../sim/connect-simulator.js';
import { chunksAt, viaJsonParse, viaStream } from '../connect/expanded-reference.js';
import { parseExposition, samplesOf } from '../../sim/exposition-parser.js';
import { startSentinel } from './harness.js';

const PARSERS: [string, (body: unknown) => unknown][] = [
  ['parseServerInfo', (b) => parseServerInfo(b)],
  ['parseNameList', (b) => parseNameList(b, '/connectors')],
  ['parseStatus', (b) => parseStatus(b, '/connectors/x/status')],
  ['parseInfo', (b) => parseInfo(b, '/connectors/x')],
  ['parseExpanded', (b) => parseExpanded(b, '/connectors?expand=status&expand=info')],
];

/** Only ConnectResponseError may escape; anything else (TypeError, RangeError) is a bug. */
function parsesOrRejects(parse: (body: unknown) => unknown, body: unknown): boolean {
  try {
    parse(body);
    return true;
  } catch (err) {
    if (err instanceof ConnectResponseError) return true;
    throw err;
  }
}

// JSON values with the keys the parsers look at, so the arbitrary input reaches past the first check.
const anyJson = fc.jsonValue({ maxDepth: 3 });
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> =>
  fc.oneof({ weight: 4, arbitrary: a }, anyJson);
const stateJson = maybe(fc.constantFrom(...CONNECTOR_STATES, 'DESTROYED', ''));
const taskJson = maybe(
  fc.record(
    {
      id: maybe(fc.oneof(fc.integer(), fc.double())),
      state: stateJson,
      worker_id: anyJson,
      trace: anyJson,
      version: anyJson,
    },
    { requiredKeys: [] },
  ),
);
const statusJson = maybe(
  fc.record(
    {
      name: maybe(fc.string()),
      connector: maybe(
        fc.record({ state: stateJson, worker_id: anyJson, trace: anyJson }, { requiredKeys: [] }),
      ),
      tasks: maybe(fc.array(taskJson, { maxLength: 4 })),
      type: maybe(fc.constantFrom('sink', 'source', 'unknown')),
    },
    { requiredKeys: [] },
  ),
);
const infoJson = maybe(
  fc.record(
    {
      name: maybe(fc.string()),
      config: maybe(fc.dictionary(fc.string(), anyJson, { maxKeys: 5 })),
      tasks: anyJson,
      type: anyJson,
    },
    { requiredKeys: [] },
  ),
);
const expandedJson = maybe(
  fc.dictionary(fc.string(), maybe(fc.record({ status: statusJson, info: infoJson }, { requiredKeys: [] })), {
    maxKeys: 4,
  }),
);

describe('parsing Connect answers (fast-check)', () => {
  it.each(PARSERS)('%s fails only with ConnectResponseError on arbitrary JSON', (_, parse) => {
    fc.assert(
      fc.property(anyJson, (body) => parsesOrRejects(parse, body)),
      { numRuns: 500 },
    );
  });

  it.each(PARSERS)('%s fails only with ConnectResponseError on near-valid answers', (_, parse) => {
    fc.assert(
      fc.property(fc.oneof(statusJson, infoJson, expandedJson), (body) => parsesOrRejects(parse, body)),
      { numRuns: 1000 },
    );
  });

  it('gives back exactly what a well-formed expanded answer holds', () => {
    const task = fc.record({
      state: fc.constantFrom(...TASK_STATES),
      trace: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    });
    const connector = fc.record({
      state: fc.constantFrom(...CONNECTOR_STATES),
      type: fc.constantFrom('sink' as const, 'source' as const),
      className: fc.string(),
      tasks: fc.array(task, { maxLength: 5 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary' }), connector), {
          selector: ([n]) => n,
          maxLength: 6,
        }),
        (list) => {
          const body = JSON.parse(
            JSON.stringify(
              Object.fromEntries(
                list.map(([name, c]) => [
                  name,
                  {
                    status: {
                      name,
                      connector: { state: c.state, worker_id: 'w:8083' },
                      // Connect sorts tasks by id; shuffle them to check the parser does too.
                      tasks: c.tasks
                        .map((t, id) => ({
                          id,
                          state: t.state,
                          worker_id: 'w:8083',
                          ...(t.trace ? { trace: t.trace } : {}),
                        }))
                        .reverse(),
                      type: c.type,
                    },
                    info: { name, config: { 'connector.class': c.className }, tasks: [], type: c.type },
                  },
                ]),
              ),
            ),
          ) as unknown;
          const parsed = parseExpanded(body, '/connectors');
          expect(parsed?.incomplete).toEqual([]);
          const byName = new Map(parsed?.connectors.map((c) => [c.name, c]));
          for (const [name, c] of list) {
            const got = byName.get(name);
            expect(got?.state).toBe(c.state);
            expect(got?.type).toBe(c.type);
            expect(got?.className).toBe(c.className);
            expect(got?.tasks.map((t) => [t.id, t.state, t.trace])).toEqual(
              c.tasks.map((t, id) => [id, t.state, t.trace]),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ConnectClient.listConnectors rejects any body with a typed Connect error, never anything else', async () => {
    let next: { status: number; body: string } = { status: 200, body: '{}' };
    const server = http.createServer((_, res) => {
      res.writeHead(next.status, { 'content-type': 'application/json' }).end(next.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new ConnectClient({ url, requestTimeoutMs: 1000 });
    const body = fc.oneof(
      anyJson.map((j) => JSON.stringify(j)),
      expandedJson.map((j) => JSON.stringify(j)),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(body, fc.constantFrom(200, 200, 200, 400, 404, 503), async (text, status) => {
          next = { status, body: text };
          try {
            await client.listConnectors(Date.now() + 150);
          } catch (err) {
            expect(
              [ConnectResponseError, ConnectApiError, ConnectTransportError].some((E) => err instanceof E),
              String(err),
            ).toBe(true);
          }
        }),
        { numRuns: 200 },
      );
    } finally {
      client.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

/** Characters that break naive escaping, mixed with any code point. */
const nasty = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '"',
      '\\',
      '\n',
      '\\n',
      '\\"',
      '\r',
      '\t',
      '{',
      '}',
      ',',
      '=',
      ' ',
      '#',
      '\u0000',
      '\u2028',
      '🚀',
    ),
  },
  { weight: 5, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const oddName = fc.string({ unit: nasty, maxLength: 30 });

function snapshotOf(cluster: string, connectors: ConnectorView[]): ClusterSnapshot {
  const tasks = new Map<string, number>();
  for (const c of connectors)
    for (const t of c.tasks) tasks.set(taskKey(c.name, t.id), t.state === 'FAILED' ? 1 : 0);
  return {
    cluster,
    takenAt: 0,
    connect: {
      up: true,
      durationSeconds: 0.01,
      lastSuccessAt: 1_700_000_000_000,
      errorsTotal: 0,
      info: { version: '3.9.0', commit: 'c', kafkaClusterId: 'k' },
      connectors,
      stale: false,
      expanded: true,
      requests: 1,
    },
    failures: { connectors: new Map(connectors.map((c) => [c.name, c.state === 'FAILED' ? 1 : 0])), tasks },
  };
}

describe('label escaping (fast-check)', () => {
  it('any connector, class, worker, state and cluster name comes back exactly from the exposition text', () => {
    const connector = fc.record({
      name: oddName,
      className: oddName,
      workerId: oddName,
      state: fc.oneof(fc.constantFrom(...CONNECTOR_STATES), oddName),
      dlq: oddName,
      tasks: fc.array(
        fc.record({ state: fc.oneof(fc.constantFrom(...TASK_STATES), oddName), workerId: oddName }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(
        oddName,
        fc.uniqueArray(connector, { selector: (c) => c.name, maxLength: 8 }),
        (cluster, list) => {
          const views: ConnectorView[] = list.map((c) => ({
            name: c.name,
            type: 'sink',
            state: c.state,
            workerId: c.workerId,
            className: c.className,
            config: { 'connector.class': c.className, 'errors.deadletterqueue.topic.name': c.dlq },
            tasks: c.tasks.map((t, id) => ({ id, state: t.state, workerId: t.workerId })),
          }));
          const cache = new ExpositionCache({ version: oddName.toString(), revision: 'r"\\\n' });
          cache.setCluster(cluster, renderCluster(snapshotOf(cluster, views)));
          const families = parseExposition(cache.text);

          const info = samplesOf(families, 'kafka_connect_connector_info');
          expect(info.map((s) => s.labels.connector).sort()).toEqual(list.map((c) => c.name).sort());
          for (const s of info) {
            const c = list.find((x) => x.name === s.labels.connector);
            expect(s.labels).toEqual({
              connect_cluster: cluster,
              connector: c?.name,
              connector_type: 'sink',
              connector_class: c?.className,
              worker_id: c?.workerId,
            });
          }
          for (const c of list) {
            const states = samplesOf(families, 'kafka_connect_connector_state').filter(
              (s) => s.labels.connector === c.name,
            );
            expect(states.filter((s) => s.value === 1).map((s) => s.labels.state)).toEqual([c.state]);
            const eh = samplesOf(families, 'kafka_connect_connector_error_handling_info').find(
              (s) => s.labels.connector === c.name,
            );
            expect(eh?.labels.dlq_topic).toBe(c.dlq.trim());
            c.tasks.forEach((t, id) => {
              const ts = samplesOf(families, 'kafka_connect_task_state').filter(
                (s) => s.labels.connector === c.name && s.labels.task === String(id),
              );
              expect(ts.filter((s) => s.value === 1).map((s) => s.labels.state)).toEqual([t.state]);
              const ti = samplesOf(families, 'kafka_connect_task_info').find(
                (s) => s.labels.connector === c.name && s.labels.task === String(id),
              );
              expect(ti?.labels.worker_id).toBe(t.workerId);
            });
          }
          expect(samplesOf(families, 'kafka_connect_task_failures_total')).toHaveLength(
            list.reduce((n, c) => n + c.tasks.length, 0),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

  it.skipIf(promtool === undefined)(
    'promtool check metrics accepts the live /metrics of a worker with many odd connector names',
    async () => {
      const fixed = [
        'with "quotes"',
        'back\\slash\\',
        'new\nline',
        'trailing backslash \\',
        '\\n literally',
        'ünïcødé ✓ 日本語 🚀',
        'tab\tand\rreturn',
        'x'.repeat(1000),
        '"}; kafka_connect_up{connect_cluster="evil"} 1\n#',
      ];
      const random =
        fc.sample(
          fc.uniqueArray(
            oddName.filter((n) => n.length > 0),
            { minLength: 100, maxLength: 100 },
          ),
          { numRuns: 1, seed: 42 },
        )[0] ?? [];
      const names = [...new Set([...fixed, ...random])];
      const specs: ConnectorSpec[] = names.map((name, i) => ({
        name,
        state: i % 5 === 0 ? 'FAILED' : i % 7 === 0 ? 'SOMETHING_NEW' : 'RUNNING',
        tasks: [{ state: 'RUNNING' }, { state: i % 3 === 0 ? 'FAILED' : 'UNASSIGNED' }],
        config: { 'connector.class': name, 'errors.deadletterqueue.topic.name': name },
      }));
      const sim = await startConnectSimulator({ connectors: specs });
      // Slow polls with a long timeout: the test reads one healthy scrape, even on a busy machine.
      const app = await startSentinel(sim, { intervalMs: 1_000, timeoutMs: 5_000 });
      try {
        const { body } = await app.scrape();
        const families = parseExposition(body);
        expect(
          samplesOf(families, 'kafka_connect_connector_info')
            .map((s) => s.labels.connector)
            .sort(),
        ).toEqual([...names].sort());
        expect(samplesOf(families, 'kafka_connect_up')).toHaveLength(1);

        const run = spawnSync(promtool as string, ['check', 'metrics'], {
          input: body,
          encoding: 'utf8',
          timeout: 30_000,
        });
        const problems = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim() !== '');
        // Exit 1 is a parse error. Exit 3 lists lint problems: none may concern our own families (prom-client's
        // default nodejs_active_*_total gauges draw lint warnings that are not ours to fix here).
        expect(run.error).toBeUndefined();
        expect([0, 3], problems.join('\n')).toContain(run.status);
        expect(problems.filter((l) => /kafka_connect_|connect_sentinel_|error parsing/i.test(l))).toEqual([]);
      } finally {
        await app.stop();
        await sim.close();
      }
    },
  );
});

describe('streaming the expanded answer (fast-check)', () => {
  it('ExpandedAnswerParser, fed any cut of any body, agrees with JSON.parse + parseExpanded', () => {
    const body = fc.oneof(
      { weight: 3, arbitrary: expandedJson.map((j) => JSON.stringify(j)) },
      { weight: 1, arbitrary: expandedJson.map((j) => JSON.stringify(j, null, 1)) },
      { weight: 1, arbitrary: anyJson.map((j) => JSON.stringify(j)) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    );
    // Whatever the generator gives, also cut short or with a byte dropped: malformed bodies must agree too.
    const damage = fc.option(fc.tuple(fc.constantFrom('cut', 'drop'), fc.nat()), { nil: undefined });
    fc.assert(
      fc.property(body, damage, fc.array(fc.nat(), { maxLength: 8 }), (text, dmg, cuts) => {
        let bytes = Buffer.from(text);
        if (dmg !== undefined && bytes.length > 0) {
          const at = dmg[1] % bytes.length;
          bytes =
            dmg[0] === 'cut'
              ? bytes.subarray(0, at)
              : Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
        }
        const got = viaStream(
          chunksAt(
            bytes,
            cuts.map((c) => c % (bytes.length + 1)),
          ),
        );
        expect(got.outcome).toStrictEqual(viaJsonParse(bytes));
      }),
      { numRuns: 1000 },
    );
  });
});
