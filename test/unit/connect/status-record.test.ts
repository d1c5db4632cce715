import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseStatusRecord, type StatusRecord } from '../../../src/connect/status-record.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const parse = (key: string | null, value: string | null): StatusRecord =>
  parseStatusRecord(key === null ? null : b(key), value === null ? null : b(value));

// Values as a Kafka 4.1.2 worker wrote them to its status topic (3.9 writes the same without "version").
const RUNNING =
  '{"state":"RUNNING","trace":null,"worker_id":"127.0.0.1:45575","generation":4,"version":"4.1.2"}';
const FAILED =
  '{"state":"FAILED","trace":"org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.\\n\\tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:659)","worker_id":"127.0.0.1:45575","generation":8,"version":"1.0.0"}';

describe('parseStatusRecord', () => {
  test('a connector record: state, worker, generation; a null trace is no trace', () => {
    expect(parse('status-connector-demo-healthy-sink', RUNNING)).toEqual({
      kind: 'connector',
      connector: 'demo-healthy-sink',
      status: { state: 'RUNNING', workerId: '127.0.0.1:45575', generation: 4 },
    });
  });

  test('a task record: the id follows the last dash of a name that has dashes itself', () => {
    expect(parse('status-task-demo-failing-task-12', FAILED)).toEqual({
      kind: 'task',
      connector: 'demo-failing-task',
      task: 12,
      status: {
        state: 'FAILED',
        workerId: '127.0.0.1:45575',
        generation: 8,
        trace: expect.stringMatching(/^org\.apache\.kafka\.connect\.errors\.ConnectException: Exiting/),
      },
    });
  });

  test('a 3.9 value without version, and a state this version does not know, are read as written', () => {
    expect(
      parse('status-connector-x', '{"state":"HIBERNATING","trace":null,"worker_id":"w:1","generation":0}'),
    ).toEqual({
      kind: 'connector',
      connector: 'x',
      status: { state: 'HIBERNATING', workerId: 'w:1', generation: 0 },
    });
  });

  test('a tombstone or the DESTROYED state is a removal', () => {
    expect(parse('status-connector-gone', null)).toEqual({ kind: 'connector', connector: 'gone' });
    expect(parse('status-task-gone-0', null)).toEqual({ kind: 'task', connector: 'gone', task: 0 });
    expect(
      parse('status-task-gone-3', '{"state":"DESTROYED","trace":null,"worker_id":"w:1","generation":9}'),
    ).toEqual({ kind: 'task', connector: 'gone', task: 3 });
  });

  test('topic records (KIP-558) are read but are not states', () => {
    expect(
      parse(
        'status-topic-demo-in:connector-demo-sink',
        '{"topic":{"name":"demo-in","connector":"demo-sink","task":0,"discoverTimestamp":1795989954389}}',
      ),
    ).toEqual({ kind: 'other' });
    expect(parse('status-topic-demo-in:connector-demo-sink', null)).toEqual({ kind: 'other' });
  });

  test.each([
    [null, RUNNING, /without a key/],
    ['some-other-key', RUNNING, /not a Connect status key/],
    ['status-connector-', RUNNING, /without a name/],
    ['status-task-x', RUNNING, /does not end in -<task id>/],
    ['status-task--0', RUNNING, /does not end in -<task id>/],
    ['status-task-x-01', RUNNING, /does not end in -<task id>/],
    ['status-task-x-99999999999', RUNNING, /does not end in -<task id>/],
    ['status-task-x-', RUNNING, /does not end in -<task id>/],
    ['status-connector-x', '{"state":', /not JSON/],
    ['status-connector-x', '[1]', /not a JSON object/],
    ['status-connector-x', 'null', /not a JSON object/],
    ['status-connector-x', '{"trace":null,"worker_id":"w","generation":1}', /no state/],
    ['status-connector-x', '{"state":"RUNNING","generation":1}', /no worker_id/],
    ['status-connector-x', '{"state":"RUNNING","worker_id":"w"}', /no integer generation/],
    ['status-connector-x', '{"state":"RUNNING","worker_id":"w","generation":1.5}', /no integer generation/],
    ['status-connector-x', '{"state":"RUNNING","worker_id":"w","generation":1,"trace":7}', /trace/],
  ])('%j → %j is unparsable (%s)', (key, value, reason) => {
    const r = parse(key, value);
    expect(r.kind).toBe('unparsable');
    expect(r.kind === 'unparsable' && r.reason).toMatch(reason);
  });

  test('a hostile key is shown bounded and escaped in the reason', () => {
    const r = parse(`\n${'k'.repeat(10_000)}`, RUNNING);
    expect(r.kind === 'unparsable' && r.reason.length).toBeLessThan(200);
    expect(r.kind === 'unparsable' && r.reason).toContain('\\n');
  });

  test('fuzz: any key and value bytes give a result, never an exception', () => {
    const bytes = fc.oneof(
      fc.constant(null),
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 200 }).map(b),
    );
    const key = fc.oneof(
      bytes,
      fc
        .tuple(fc.constantFrom('status-connector-', 'status-task-', 'status-topic-'), fc.string())
        .map(([p, s]) => b(p + s)),
    );
    const value = fc.oneof(
      bytes,
      fc.jsonValue().map((v) => b(JSON.stringify(v))),
      fc
        .record(
          {
            state: fc.oneof(fc.constantFrom('RUNNING', 'FAILED', 'DESTROYED'), fc.anything()),
            trace: fc.oneof(fc.constant(null), fc.string(), fc.anything()),
            worker_id: fc.oneof(fc.string(), fc.anything()),
            generation: fc.oneof(fc.integer(), fc.double(), fc.anything()),
          },
          { requiredKeys: [] },
        )
        .map((v) => b(JSON.stringify(v) ?? 'undefined')),
    );
    fc.assert(
      fc.property(key, value, (k, v) => {
        const r = parseStatusRecord(k, v);
        expect(['connector', 'task', 'other', 'unparsable']).toContain(r.kind);
        if (r.kind === 'connector' || r.kind === 'task') {
          expect(r.connector.length).toBeGreaterThan(0);
          if (r.status) {
            expect(typeof r.status.state).toBe('string');
            expect(Number.isSafeInteger(r.status.generation)).toBe(true);
          }
        }
        if (r.kind === 'task') expect(Number.isInteger(r.task) && r.task >= 0).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  test('property: every record Connect could write reads back as written', () => {
    const name = fc.string({ minLength: 1, maxLength: 40 });
    const status = fc.record({
      state: fc.constantFrom('RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'UNASSIGNED', 'RESTARTING'),
      workerId: fc.string(),
      generation: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      trace: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(name, fc.option(fc.nat(2 ** 31 - 1), { nil: undefined }), status, (n, task, s) => {
        const value = JSON.stringify({
          state: s.state,
          trace: s.trace ?? null,
          worker_id: s.workerId,
          generation: s.generation,
        });
        const key = task === undefined ? `status-connector-${n}` : `status-task-${n}-${task}`;
        const { trace, ...rest } = s;
        const expected = trace === undefined ? rest : { ...rest, trace };
        expect(parseStatusRecord(b(key), b(value))).toEqual(
          task === undefined
            ? { kind: 'connector', connector: n, status: expected }
            : { kind: 'task', connector: n, task, status: expected },
        );
      }),
      { numRuns: 1_000 },
    );
  });
});
