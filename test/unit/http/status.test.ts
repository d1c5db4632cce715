/** /api/v1/status from snapshots: the same JSON, field for field and in the same order, as before it was a document. */
import { expect, test } from 'vitest';
import { JsonDocument } from '../../../src/http/json-document.js';
import { parseJsonQuery } from '../../../src/http/json-query.js';
import { statusJson, unpolledStatus } from '../../../src/http/status.js';
import type { RestartView } from '../../../src/state/restarts.js';
import type { ClusterSnapshot } from '../../../src/state/snapshot.js';
import { NO_DLQ_STATUS, connectorView } from '../../fixtures/views.js';

const failing = {
  ...connectorView('orders-sink', 'RUNNING', ['RUNNING', 'FAILED'], { task: (id) => `boom ${id}` }),
  config: { 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'dlq-orders' },
};
const rich: ClusterSnapshot = {
  cluster: 'prod',
  takenAt: Date.UTC(2025, 0, 2, 3, 4, 5),
  connect: {
    up: true,
    durationSeconds: 0.25,
    errorsTotal: 1,
    lastSuccessAt: Date.UTC(2025, 0, 2, 3, 4, 5),
    connectors: [failing, connectorView('audit-source', 'PAUSED', ['PAUSED'])],
    stale: false,
    expanded: true,
    requests: 1,
    info: { version: '3.9.1', commit: 'abc', kafkaClusterId: 'K1' },
  },
  failures: {
    connectors: new Map([
      ['orders-sink', 0],
      ['audit-source', 2],
    ]),
    tasks: new Map([['orders-sink\u00001', 3]]),
    taskConnectors: new Set(['orders-sink']),
  },
  kafka: {
    up: false,
    durationSeconds: 0.5,
    errorsTotal: 4,
    error: 'timeout',
    dlq: [{ connector: 'orders-sink', topic: 'dlq-orders', records: 7, written: 9, partitions: 1 }],
    dlqErrors: [],
    dlqLast: [],
    lag: [
      { connector: 'orders-sink', topic: 'orders', lag: 12, committed: 100 },
      { connector: 'orders-sink', topic: 'orders-eu', lag: 0, committed: 5 },
    ],
    dlqStatus: NO_DLQ_STATUS,
  },
};
const restarts: RestartView = {
  attempts: new Map([['orders-sink', 2]]),
  failures: new Map([['orders-sink', 1]]),
  conflicts: new Map(),
  budgetExhausted: new Set(['orders-sink']),
  nextAttemptAt: new Map(),
};

/** What the JSON.stringify of the former per-request statusJson gave for [rich, not yet polled], plus nextAttemptAt. */
const BEFORE =
  '{"clusters":[{"name":"prod","polled":true,"takenAt":"2025-01-02T03:04:05.000Z","connect":{"up":true,"error":null,"stale":false,"lastSuccessAt":"2025-01-02T03:04:05.000Z","pollSeconds":0.25,"requests":1,"expanded":true,"version":"3.9.1","kafkaClusterId":"K1"},"kafka":{"up":false,"error":"timeout","lastSuccessAt":null,"pollSeconds":0.5},"connectors":[{"name":"orders-sink","type":"sink","class":"X","state":"RUNNING","workerId":"w1","trace":null,"failures":0,"errorHandling":{"tolerance":"all","logEnable":false,"dlqTopic":"dlq-orders","dlqContextHeaders":false},"tasks":[{"id":0,"state":"RUNNING","workerId":"w1","trace":null,"failures":0},{"id":1,"state":"FAILED","workerId":"w1","trace":"boom 1","failures":3}],"dlq":[{"topic":"dlq-orders","records":7,"written":9}],"lag":[{"topic":"orders","lag":12,"committed":100},{"topic":"orders-eu","lag":0,"committed":5}],"restart":{"attempts":2,"failures":1,"budgetExhausted":true,"nextAttemptAt":null}},{"name":"audit-source","type":"sink","class":"X","state":"PAUSED","workerId":"w1","trace":null,"failures":2,"errorHandling":{"tolerance":"none","logEnable":false,"dlqTopic":"","dlqContextHeaders":false},"tasks":[{"id":0,"state":"PAUSED","workerId":"w1","trace":null,"failures":0}],"dlq":[],"lag":[],"restart":{"attempts":0,"failures":0,"budgetExhausted":false,"nextAttemptAt":null}}]},{"name":"staging","polled":false}]}';

function document(restarts: RestartView | undefined): JsonDocument {
  const doc = new JsonDocument();
  doc.setClusters(['prod', 'staging']);
  const { head, items } = statusJson(rich, restarts);
  doc.setCluster('prod', head, items);
  doc.setCluster('staging', unpolledStatus('staging').head);
  return doc;
}

const text = (doc: JsonDocument, query = ''): string => {
  const { filter, pretty } = parseJsonQuery(query);
  return Buffer.concat(doc.body(filter, pretty).parts).toString();
};

test('byte for byte what /api/v1/status answered before', () => {
  expect(text(document(restarts))).toBe(BEFORE);
  expect(text(document(restarts), 'pretty')).toBe(JSON.stringify(JSON.parse(BEFORE), null, 2));
});

test('without a restart view, restart is null', () => {
  const parsed = JSON.parse(text(document(undefined))) as {
    clusters: [{ connectors: { restart: unknown }[] }];
  };
  expect(parsed.clusters[0].connectors.map((c) => c.restart)).toEqual([null, null]);
});

test("items carry the connector's and its tasks' states for ?state=", () => {
  expect(statusJson(rich, restarts).items.map((i) => [i.connector, i.states])).toEqual([
    ['orders-sink', ['RUNNING', 'RUNNING', 'FAILED']],
    ['audit-source', ['PAUSED', 'PAUSED']],
  ]);
  const failed = JSON.parse(text(document(restarts), 'state=FAILED')) as {
    clusters: { connectors?: { name: string }[] }[];
  };
  expect(failed.clusters.map((c) => c.connectors?.map((x) => x.name))).toEqual([['orders-sink'], undefined]);
});

test('the next restart attempt is an ISO time; a cluster without Kafka says "not configured"', () => {
  const waiting: RestartView = {
    ...restarts,
    budgetExhausted: new Set(),
    nextAttemptAt: new Map([['orders-sink', Date.UTC(2025, 0, 2, 3, 10)]]),
  };
  const withoutKafka: ClusterSnapshot = {
    cluster: rich.cluster,
    takenAt: rich.takenAt,
    connect: rich.connect,
    failures: rich.failures,
  };
  const { head, items } = statusJson(withoutKafka, waiting);
  expect(head.kafka).toBe('not configured');
  expect(items.map((i) => (i.value as { restart: unknown }).restart)).toEqual([
    { attempts: 2, failures: 1, budgetExhausted: false, nextAttemptAt: '2025-01-02T03:10:00.000Z' },
    { attempts: 0, failures: 0, budgetExhausted: false, nextAttemptAt: null },
  ]);
});
