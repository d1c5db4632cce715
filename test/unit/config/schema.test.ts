import { expect, test } from 'vitest';
import { CLUSTER_SETTINGS, GLOBAL_SETTINGS, SETTINGS, type Config } from '../../../src/config/schema.js';
import { Values } from '../../../src/config/values.js';

test('every default is a valid value of its setting', () => {
  for (const s of SETTINGS) {
    if (s.default === undefined) continue;
    const parsed = s.kind.parse(s.default);
    expect(parsed.ok, `${s.scope} ${s.key}: ${parsed.ok ? '' : parsed.problems.join('; ')}`).toBe(true);
  }
});

test('the typed getter: a value has its kind’s type, and a misspelt key does not compile', () => {
  const problems: string[] = [];
  const g = new Values(
    GLOBAL_SETTINGS,
    new Map([['poll.interval', { raw: '2s', origin: '--poll.interval' }]]),
    '',
    problems,
  );
  const interval: number = g.get('poll.interval');
  const level: Config['log']['level'] = g.get('log.level');
  const exclude: RegExp | undefined = g.get('restart.exclude');
  expect([interval, level, exclude]).toEqual([2000, 'info', undefined]);
  // @ts-expect-error -- not a key of the table
  expect(() => g.get('poll.intervall')).toThrow();
  const c = new Values(CLUSTER_SETTINGS, new Map(), 'clusters[0]', problems);
  // @ts-expect-error -- a global key is not a cluster key
  expect(() => c.get('poll.interval')).toThrow();
  expect(c.origin('url')).toBe('clusters[0].url');
  expect(problems).toEqual([]);
});

test('a flag names one setting', () => {
  const flags = SETTINGS.flatMap((s) => (s.flag ? [s.flag] : []));
  expect(new Set(flags).size).toBe(flags.length);
});
