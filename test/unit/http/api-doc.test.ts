/** docs/api.md documents every field /api/v1/status has, and nothing it does not have. */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
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
  };
  const { head, items } = statusJson(snapshot, restarts);
  const actual = new Set([
    ...paths(head),
    'connectors[]',
    ...items.flatMap((i) => paths(i.value, 'connectors[]')),
  ]);
  expect(documented('/api/v1/status').sort()).toEqual([...actual].sort());
});
