import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
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

test.each(testFiles)('promtool test rules %s', (file) => {
  const r = promtool(['test', 'rules', file], REPO_ROOT);
  expect(r.status, r.output).toBe(0);
  expect(r.output).toContain('SUCCESS');
});
