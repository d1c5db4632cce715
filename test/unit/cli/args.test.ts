import { describe, expect, it } from 'vitest';
import { HELP, parseDlqArgs, UsageError } from '../../../src/cli/args.js';

const NOW = Date.parse('2026-01-10T12:00:00Z');
const parse = (...argv: string[]) => parseDlqArgs(argv, NOW);

function usage(argv: string[]): UsageError {
  try {
    parseDlqArgs(argv, NOW);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`);
}

describe('parseDlqArgs', () => {
  it('hands every flag it does not own, with its value, to the sidecar loader', () => {
    const cmd = parse(
      'inspect',
      '--connect.url',
      'http://connect:8083',
      '--connector',
      'orders-sink',
      '--kafka.brokers=k1:9092',
      '--config.file',
      'sentinel.yaml',
      '--dlq.show-payload',
      '--stage',
      'value_converter,TASK_PUT',
    );
    expect(cmd).toMatchObject({
      kind: 'inspect',
      connector: 'orders-sink',
      showPayload: false,
      sidecarArgv: [
        '--connect.url',
        'http://connect:8083',
        '--kafka.brokers=k1:9092',
        '--config.file',
        'sentinel.yaml',
        '--dlq.show-payload',
      ],
    });
    if (cmd.kind !== 'inspect') throw new Error(cmd.kind);
    expect([...(cmd.filters.stage ?? [])]).toEqual(['VALUE_CONVERTER', 'TASK_PUT']);
  });

  it('gives replay its defaults, named after the connector', () => {
    expect(parse('replay', '--connector', 'c1')).toEqual({
      kind: 'replay',
      connector: 'c1',
      filters: {},
      sidecarArgv: [],
      maxReplays: 3,
      reviewFile: 'dlq-review-c1.jsonl',
      group: 'connect-sentinel-replay-c1',
      fromBeginning: false,
      dryRun: false,
    });
  });

  it('reads every replay flag', () => {
    const cmd = parse(
      'replay',
      '--connector=c1',
      '--to',
      'orders',
      '--fix',
      './fix.mjs',
      '--max-replays',
      '1',
      '--review-file',
      'r.jsonl',
      '--group',
      'g',
      '--from-beginning',
      '--dry-run',
      '--rate',
      '250',
      '--output',
      'json',
      '--cluster',
      'prod',
    );
    expect(cmd).toMatchObject({
      to: 'orders',
      fix: './fix.mjs',
      maxReplays: 1,
      reviewFile: 'r.jsonl',
      group: 'g',
      fromBeginning: true,
      dryRun: true,
      rate: 250,
      output: 'json',
      cluster: 'prod',
    });
  });

  it('reads time and offset filters: ISO times, durations back from now, ranges', () => {
    const cmd = parse(
      'export',
      '--connector',
      'c',
      '--out',
      '-',
      '--since',
      '2h',
      '--until',
      '2026-01-10T11:30:00Z',
      '--offset',
      '10..20',
      '--partition',
      '2',
      '--exception-class',
      'DataException$',
      '--original-topic',
      'orders',
      '--limit',
      '5',
    );
    if (cmd.kind !== 'export') throw new Error(cmd.kind);
    expect(cmd.filters).toMatchObject({
      since: NOW - 2 * 3_600_000,
      until: Date.parse('2026-01-10T11:30:00Z'),
      offset: { from: 10, to: 20 },
      partition: 2,
      originalTopic: 'orders',
      limit: 5,
    });
    expect(cmd.filters.exceptionClass?.test('org.apache.kafka.connect.errors.DataException')).toBe(true);
    const open = (v: string) => {
      const c = parse('inspect', '--connector', 'c', '--offset', v);
      return c.kind === 'inspect' ? c.filters.offset : undefined;
    };
    expect(open('7')).toEqual({ from: 7, to: 7 });
    expect(open('7..')).toEqual({ from: 7 });
    expect(open('..9')).toEqual({ to: 9 });
  });

  it.each([
    [['replay', '--connector', 'c', '--rate', '0'], '--rate: "0" is not a number above 0'],
    [['replay', '--connector', 'c', '--max-replays', 'x'], '--max-replays: "x" is not a whole number'],
    [['replay', '--connector', 'c', '--max-replays', '0'], '--max-replays: 0 is below the minimum 1'],
    [['inspect', '--stage', 'PUT', '--connector', 'c'], '--stage: "PUT" is not a stage'],
    [
      ['inspect', '--connector', 'c', '--exception-class', '('],
      '--exception-class: not a regular expression',
    ],
    [['inspect', '--connector', 'c', '--since', 'yesterday'], '--since: "yesterday" is neither an ISO'],
    [['inspect', '--connector', 'c', '--since', '1h', '--until', '2h'], '--until: is before --since'],
    [['inspect', '--connector', 'c', '--offset', '9..3'], '--offset: 3 is below 9'],
    [['inspect', '--connector', 'c', '--offset', '..'], '--offset: ".." is not N, A..B'],
    [['inspect'], '--connector: required'],
    [['export', '--connector', 'c'], '--out: required'],
    [['inspect', '--connector'], '--connector: needs a value'],
    [['inspect', '--connector', 'a', '--connector', 'b'], '--connector: given twice'],
    [['inspect', '--connector', 'c', '--to', 't'], '--to: not a flag of dlq inspect'],
    [['list', '--connector', 'c'], '--connector: not a flag of dlq list'],
    [['inspect', '--connector', 'c', 'stray'], 'stray: unexpected argument'],
    [['prune'], 'prune: unknown command'],
    [['inspect', '--connector', 'c', '--show-payload=maybe'], '--show-payload: "maybe" is not true or false'],
    [['inspect', '--connector', 'c', '--output', 'yaml'], '--output: "yaml" is not one of table, json'],
  ])('%j → %s', (argv, text) => {
    const err = usage(argv);
    expect(err.message.startsWith(text)).toBe(true);
    expect(err.message.startsWith(err.flag)).toBe(true);
  });

  it("answers --help at every level with the command's own text", () => {
    expect(parse()).toEqual({ kind: 'help', text: HELP.dlq });
    expect(parse('--help')).toEqual({ kind: 'help', text: HELP.dlq });
    expect(parse('replay', '--connector', 'c', '--help')).toEqual({ kind: 'help', text: HELP.replay });
    expect(parse('list', '-h')).toEqual({ kind: 'help', text: HELP.list });
    for (const sub of ['list', 'inspect', 'export', 'replay'] as const)
      expect(HELP[sub]).toMatch(new RegExp(`^usage: connect-sentinel dlq ${sub}`));
    // Every flag a command accepts is in its help.
    expect(HELP.replay).toMatch(/--max-replays N/);
    expect(HELP.replay).toMatch(/--from-beginning/);
    expect(HELP.inspect).toMatch(/--show-payload/);
  });
});
