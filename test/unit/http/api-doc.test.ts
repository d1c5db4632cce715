/** docs/api.md documents every field /api/v1/status and /api/v1/dlq have, and nothing they do not have. */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { dlqJson, dlqNotConfigured } from '../../../src/http/dlq.js';
import { statusJson } from '../../../src/http/status.js';
import { NO_DLQ_STATUS, connectorView, snapshotWith } from '../../fixtures/views.js';

const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');

/** The first column of the field table under a heading. */
function documented(heading: string): string[] {
  const section = doc.slice(doc.indexOf(`### \`${heading}\``));
  const table = section.slice(
    section.indexOf('| field |'),
    section.indexOf('\n\n', section.indexOf('| field |')),
  );
  return [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string);
}

/** Every field path of a JSON value: `a.b`, arrays as `a[]` followed by their elements' fields. */
function paths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) {
    return [
      `${prefix}[]`,
      ...value.flatMap((v) => paths(v, `${prefix}[]`).filter((p) => p !== `${prefix}[]`)),
    ];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    // An object-valued field is listed itself, then its fields; a list is listed as `name[]`.
    return Array.isArray(v) ? paths(v, p) : [p, ...paths(v, p)];
  });
}

test('the /api/v1/status field table is exactly the fields of a cluster', () => {
  const failing = {
    ...connectorView('orders-sink', 'FAILED', ['FAILED'], { connector: 't', task: () => 't' }),
  };
  const snapshot = {
    ...snapshotWith([failing]),
    kafka: {
      up: true,
      durationSeconds: 0,
      errorsTotal: 0,
      dlq: [{ connector: 'orders-sink', topic: 'dlq', records: 1, written: 1, partitions: 1 }],
      dlqErrors: [],
      dlqLast: [],
      lag: [{ connector: 'orders-sink', topic: 'orders', lag: 0, committed: 0 }],
      dlqStatus: NO_DLQ_STATUS,
    },
  };
  const restarts = {
    attempts: new Map(),
    failures: new Map(),
    conflicts: new Map(),
    budgetExhausted: new Set<string>(),
    nextAttemptAt: new Map([['orders-sink', 0]]),
  };
  const { head, items } = statusJson(snapshot, restarts);
  const actual = new Set([
    ...paths(head),
    'connectors[]',
    ...items.flatMap((i) => paths(i.value, 'connectors[]')),
  ]);
  expect(documented('/api/v1/status').sort()).toEqual([...actual].sort());
});

/** Every field named in the first column of the table under a heading; `.x` after `a.b` stands for `a.x`. */
function documentedAll(heading: string): string[] {
  const section = doc.slice(doc.indexOf(`### \`${heading}\``));
  const start = section.indexOf('| field |');
  const table = section.slice(start, section.indexOf('\n\n', start));
  return [...table.matchAll(/^\| (.+?) \|/gm)].flatMap((m) => {
    const names = [...(m[1] as string).matchAll(/`([^`]+)`/g)].map((n) => n[1] as string);
    const first = names[0];
    if (first === undefined) return [];
    const parent = first.slice(0, first.lastIndexOf('.'));
    return names.map((n) => (n.startsWith('.') ? parent + n : n));
  });
}

test('the /api/v1/dlq field table is exactly the fields of a cluster, with and without Kafka', () => {
  const recent = {
    topic: 'dlq',
    partition: 0,
    offset: 3,
    timestamp: null,
    stage: 'VALUE_CONVERTER',
    exceptionClass: 'org.apache.kafka.connect.errors.DataException',
    exceptionMessage: 'bad',
    executingClass: null,
    taskId: 0,
    original: { topic: 'orders', partition: 0, offset: 7 },
    stacktrace: null,
    key: null,
    value: { text: 'x', encoding: 'utf8' as const, truncated: false },
  };
  const snapshot = {
    ...snapshotWith([connectorView('orders-sink', 'RUNNING', ['RUNNING'])]),
    kafka: {
      up: true,
      durationSeconds: 0,
      errorsTotal: 0,
      dlq: [],
      dlqErrors: [],
      dlqLast: [],
      lag: [],
      dlqStatus: {
        ...NO_DLQ_STATUS,
        connectors: [
          {
            connector: 'orders-sink',
            topic: 'dlq',
            contextHeaders: true,
            records: 1,
            written: 1,
            problem: null,
            recent: [recent],
          },
        ],
      },
    },
  };
  const { head, items } = dlqJson('prod', snapshot);
  const actual = new Set([
    ...paths(head),
    'connectors[]',
    ...items.flatMap((i) => paths(i.value, 'connectors[]')),
    ...paths(dlqNotConfigured('dev').head),
  ]);
  // The payload's own fields are described in the row of `key` and `value`.
  const payload = /^connectors\[\]\.recent\[\]\.(key|value)\./;
  expect(documentedAll('/api/v1/dlq').sort()).toEqual([...actual].filter((p) => !payload.test(p)).sort());
});
