import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { currentStateOnly, expandValues, toDefaultExposition } from './exposition-modes.js';
import { REPO_ROOT } from './known-metrics.js';
import { promtool } from './promql.js';

const ruleFiles = ['alerts/connect-sentinel.rules.yml', 'alerts/kafka-connect-jmx.rules.yml'];
const testFiles = readdirSync(join(REPO_ROOT, 'alerts', 'tests'))
  .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
  .sort()
  .map((f) => join('alerts', 'tests', f));

test.each(ruleFiles)('promtool check rules passes on %s', (ruleFile) => {
  const r = promtool(['check', 'rules', ruleFile], REPO_ROOT);
  expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  expect(r.status, r.output).toBe(0);
});

test('there are promtool rule tests', () => {
  expect(testFiles.length).toBeGreaterThan(0);
});

describe('with full StateSets (--exposition.state-sets), as the tests are written', () => {
  test.each(testFiles)('promtool test rules %s', (file) => {
    const r = promtool(['test', 'rules', file], REPO_ROOT);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });
});

describe('with the default exposition: only the current state series, stale once it changes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promtool-default-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const converted = testFiles.map((file) => {
    const { text, changed } = toDefaultExposition(
      readFileSync(join(REPO_ROOT, file), 'utf8'),
      join(REPO_ROOT, 'alerts', 'tests'),
    );
    const out = join(dir, file.replace(/[/\\]/g, '_'));
    writeFileSync(out, text);
    return { file, out, changed };
  });

  test.each(converted)('promtool test rules $file', ({ out }) => {
    const r = promtool(['test', 'rules', out]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });

  test('the state tests really differ between the modes', () => {
    const byFile = Object.fromEntries(converted.map((c) => [c.file, c.changed]));
    expect(byFile[join('alerts', 'tests', 'connectors.yml')]).toBeGreaterThan(10);
    expect(byFile[join('alerts', 'tests', 'sink-lag.yml')]).toBeGreaterThan(0);
  });
});

describe('the conversion to the default exposition', () => {
  test("expands promtool's notation", () => {
    expect(expandValues('1x3 _x2 0+2x2 stale 5')).toEqual([
      '1',
      '1',
      '1',
      '1',
      '_',
      '_',
      '0',
      '2',
      '4',
      'stale',
      '5',
    ]);
  });

  test('a state left is stale at once, a state never entered has no samples', () => {
    expect(currentStateOnly('1 1 0 0 1', 's')).toBe('1 1 stale _ 1');
    expect(currentStateOnly('0x2 1x1', 's')).toBe('_ _ _ 1 1');
  });

  test('a state series holding anything but 0 or 1 is an error naming it', () => {
    expect(() => currentStateOnly('1 2', 'kafka_connect_task_state{task="0"}')).toThrow(
      /kafka_connect_task_state\{task="0"\}: a state series is 0 or 1, not 2/,
    );
  });
});
