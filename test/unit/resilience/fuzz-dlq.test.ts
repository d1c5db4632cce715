/**
 * Hostile DLQ writers: random and adversarial `__connect.errors.*` headers (any bytes, any length, repeated,
 * missing) through the real reading path (header parsing, attribution, tally) and the real rendering. Bounded
 * in time by its run count. Invariants: nothing throws, the series stay bounded whatever is written, and the
 * exposition stays valid (a strict parser and promtool).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ExpositionCache } from '../../../src/exposition/cache.js';
import { renderCluster } from '../../../src/exposition/render.js';
import { HEADER, type DlqRecordIn } from '../../../src/kafka/dlq-headers.js';
import { DlqTally } from '../../../src/kafka/dlq-tally.js';
import type { ClusterSnapshot } from '../../../src/state/snapshot.js';
import { NO_DLQ_STATUS, connectorView } from '../../fixtures/views.js';
import { promtoolCheckMetrics } from '../../helpers/promtool.js';
import { parseExposition } from '../../sim/exposition-parser.js';

const NAMES = Object.values(HEADER);
const MAX_CLASSES = 5;

/** A header value: text a Java writer would send, hostile text, or raw bytes (not always UTF-8). */
const value = fc.oneof(
  fc.constantFrom(
    'VALUE_CONVERTER',
    'TASK_PUT',
    'org.apache.kafka.connect.errors.DataException',
    '0',
    '-1',
    'sink',
  ),
  // Looks like a Stage name, so only the list of Connect's stages keeps it from becoming a label value.
  fc.stringMatching(/^[A-Z][A-Z0-9_]{0,20}$/),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.uint8Array({ maxLength: 128 }).map((a) => Buffer.from(a)),
  fc.constant('x'.repeat(100_000)),
  fc.constant(null),
);
const headers = fc.dictionary(
  fc.oneof(fc.constantFrom(...NAMES), fc.constantFrom(...NAMES), fc.string({ maxLength: 40 })),
  fc.oneof(
    value,
    fc.array(value, { maxLength: 3 }).map((vs) => vs.map((v) => v)),
  ),
  { maxKeys: 14 },
);
const record = fc.record({
  partition: fc.integer({ min: 0, max: 3 }),
  offset: fc.nat(),
  timestamp: fc.oneof(fc.integer({ min: -5, max: 2 ** 45 }), fc.constantFrom(NaN, Infinity, -Infinity)),
  key: fc.option(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a))),
  value: fc.option(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a))),
  headers,
});

function snapshotWith(tally: DlqTally): ClusterSnapshot {
  const connectors = [connectorView('sink', 'RUNNING', ['RUNNING']), connectorView('other', 'RUNNING', [])];
  return {
    cluster: 'fuzz',
    takenAt: 0,
    connect: {
      up: true,
      durationSeconds: 0,
      errorsTotal: 0,
      connectors,
      stale: false,
      expanded: true,
      requests: 1,
    },
    failures: { connectors: new Map(), tasks: new Map() },
    kafka: {
      up: true,
      durationSeconds: 0,
      errorsTotal: 0,
      dlq: [],
      dlqErrors: tally.counts(),
      dlqLast: tally.newest(),
      lag: [],
      dlqStatus: NO_DLQ_STATUS,
    },
  };
}

describe('hostile DLQ headers', () => {
  test('never throw, never mint unbounded series, always render a valid exposition', () => {
    let checked = '';
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 60 }), (records) => {
        const tally = new DlqTally({
          maxExceptionClasses: MAX_CLASSES,
          recentRecords: 5,
          showPayload: true,
          payloadLimit: 32,
        });
        const targets = [
          { connector: 'sink', topic: 'dlq', contextHeaders: true },
          { connector: 'other', topic: 'dlq', contextHeaders: false },
        ];
        for (const r of records) tally.add({ topic: 'dlq', ...r } as DlqRecordIn, targets);
        const counts = tally.counts();
        // Known stages (8) plus unknown, times the capped classes plus unknown and other, per connector.
        for (const connector of ['sink', 'other']) {
          const mine = counts.filter((c) => c.connector === connector);
          expect(new Set(mine.map((c) => c.stage)).size).toBeLessThanOrEqual(9);
          expect(new Set(mine.map((c) => c.exceptionClass)).size).toBeLessThanOrEqual(MAX_CLASSES + 2);
        }
        expect(counts.reduce((n, c) => n + c.count, 0) + tally.unattributed).toBe(records.length);
        const cache = new ExpositionCache({ version: 'v', revision: 'r' });
        cache.setCluster('fuzz', renderCluster(snapshotWith(tally)));
        const text = cache.text.toString('utf8');
        expect(() => parseExposition(text)).not.toThrow();
        checked = text;
      }),
      { numRuns: 200, seed: 20261129 },
    );
    // promtool once, on the last (random) body: it is slow to start per run.
    expect(promtoolCheckMetrics(checked).output).toBe('');
  });

  test('a writer minting stage names cannot add series: every unknown stage is one "unknown"', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,30}$/), { minLength: 20, maxLength: 200 }),
        (stages) => {
          const tally = new DlqTally({
            maxExceptionClasses: MAX_CLASSES,
            recentRecords: 0,
            showPayload: false,
            payloadLimit: 0,
          });
          for (const [i, stage] of stages.entries())
            tally.add(
              {
                topic: 'dlq',
                partition: 0,
                offset: i,
                timestamp: i,
                key: null,
                value: null,
                headers: { [HEADER.stage]: stage },
              },
              [{ connector: 'sink', topic: 'dlq', contextHeaders: true }],
            );
          expect(new Set(tally.counts().map((c) => c.stage)).size).toBeLessThanOrEqual(9);
        },
      ),
      { numRuns: 50, seed: 20261129 },
    );
  });
});
