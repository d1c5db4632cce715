import { describe, expect, test } from 'vitest';
import { ConnectResponseError } from '../../../src/connect/errors.js';
import { parseExpanded, parseServerInfo, parseStatus } from '../../../src/connect/parse.js';
import { expandedAnswer } from '../../fixtures/connectors.js';

describe('parseExpanded', () => {
  test('joins status and info, sorts tasks by id, keeps traces', () => {
    const out = parseExpanded(expandedAnswer, '/connectors')!;
    expect(out.incomplete).toEqual([]);
    const poison = out.connectors.find((c) => c.name === 'poison-sink')!;
    expect(poison.tasks.map((t) => [t.id, t.state])).toEqual([
      [0, 'FAILED'],
      [1, 'RUNNING'],
    ]);
    expect(poison.tasks[0]!.trace).toContain('Tolerance exceeded');
    expect(poison.tasks[1]!.trace).toBeUndefined();
    expect(poison.className).toBe('FileStreamSink');
    expect(poison.workerId).toBe('127.0.0.1:8084');
  });

  test('a plain name array means the worker ignored expand (pre-2.3)', () => {
    expect(parseExpanded(['a', 'b'], '/connectors')).toBeUndefined();
  });

  test('entries without status or info are reported as incomplete, not dropped', () => {
    const out = parseExpanded({ a: {}, b: { status: expandedAnswer['file-sink'].status } }, '/connectors')!;
    expect(out.connectors).toEqual([]);
    expect(out.incomplete.sort()).toEqual(['a', 'b']);
  });

  test('an unknown state from a newer worker is kept as reported', () => {
    const s = parseStatus(
      { name: 'n', connector: { state: 'HIBERNATING', worker_id: 'w' }, tasks: [], type: 'sink' },
      '/x',
    );
    expect(s.state).toBe('HIBERNATING');
  });

  test.each([
    ['a string', 'garbage'],
    ['null', null],
    ['a number', 42],
  ])('rejects %s with a ConnectResponseError naming the path', (_label, body) => {
    expect(() => parseExpanded(body, '/connectors?expand=status')).toThrow(ConnectResponseError);
    expect(() => parseExpanded(body, '/connectors?expand=status')).toThrow(/\/connectors\?expand=status/);
  });

  test('a task without an integer id is an error, not a task 0', () => {
    expect(() =>
      parseStatus({ name: 'n', connector: { state: 'RUNNING' }, tasks: [{ state: 'RUNNING' }] }, '/s'),
    ).toThrow(/task #0 without an integer id/);
  });
});

test('parseServerInfo reads GET /', () => {
  expect(parseServerInfo({ version: '4.1.1', commit: 'abc', kafka_cluster_id: 'K1' })).toEqual({
    version: '4.1.1',
    commit: 'abc',
    kafkaClusterId: 'K1',
  });
  expect(() => parseServerInfo([])).toThrow(ConnectResponseError);
});
