import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import {
  ALERT_NAMES,
  DEFAULT_RULE_OPTIONS,
  JMX_ALERT_NAMES,
  JMX_RULE_FILE,
  RULE_FILE,
  buildJmxRules,
  buildRules,
  renderRuleFile,
  type AlertingRule,
} from '../../../alerts/build.js';
import { REPO_ROOT } from './known-metrics.js';
import { metricNames, promtool } from './promql.js';

/** Alerting rules of both generated rule files (the JMX file also has recording rules). */
const rules = [RULE_FILE, JMX_RULE_FILE].flatMap((file) =>
  (
    parse(readFileSync(join(REPO_ROOT, 'alerts', file), 'utf8')) as {
      groups: { name: string; rules: (AlertingRule<string> | { record: string })[] }[];
    }
  ).groups.flatMap((g) => g.rules.filter((r): r is AlertingRule<string> => 'alert' in r)),
);
const ALL_ALERTS: string[] = [...ALERT_NAMES, ...JMX_ALERT_NAMES];

/** GitHub's heading anchors: lower case, punctuation other than - and _ removed, spaces to dashes. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const runbook = readFileSync(join(REPO_ROOT, 'docs', 'runbook.md'), 'utf8');
const runbookAnchors = new Set(
  runbook
    .split('\n')
    .filter((l) => /^#{1,6}\s/.test(l))
    .map((l) => githubAnchor(l.replace(/^#+\s*/, ''))),
);

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

describe('every alert', () => {
  test('the rule files have exactly the alerts the generators name, each once', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([...ALL_ALERTS].sort());
  });

  test.each(rules.map((r) => [r.alert, r] as const))('%s is complete', (name, rule) => {
    expect(name).toMatch(/^(ConnectSentinel|KafkaConnect)[A-Z][A-Za-z]+$/);
    expect(rule.for).toMatch(DURATION);
    expect(rule.for).not.toMatch(/^0+[a-z]+$/);
    expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
    expect(rule.annotations.summary.length).toBeGreaterThan(10);
    expect(rule.annotations.description).toContain('{{');
    expect(rule.annotations.runbook_url).toBe(
      `${DEFAULT_RULE_OPTIONS.runbookBaseUrl}/docs/runbook.md#${name.toLowerCase()}`,
    );
    if (name !== 'ConnectSentinelDown')
      expect(rule.annotations.description).toContain('$labels.connect_cluster');
  });

  test.each(rules.map((r) => [r.alert, r.annotations.runbook_url] as const))(
    '%s links to an existing runbook section',
    (_name, url) => {
      const anchor = url.split('#')[1] ?? '';
      expect(runbookAnchors, `docs/runbook.md has no heading with anchor #${anchor}`).toContain(anchor);
    },
  );

  test('every in-page link of the runbook points at a heading', () => {
    const links = [...runbook.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] ?? '');
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((a) => !runbookAnchors.has(a))).toEqual([]);
  });

  test('every alert-shaped runbook section belongs to an alert', () => {
    const sections = runbook
      .split('\n')
      .filter((l) => /^##\s+(ConnectSentinel|KafkaConnect)\w+\s*$/.test(l))
      .map((l) => l.replace(/^##\s+/, '').trim());
    expect(sections.sort()).toEqual([...ALL_ALERTS].sort());
  });
});

interface ExpAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}
interface RuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: ExpAlert[] | null;
}
interface TestFile {
  rule_files: string[];
  tests: { alert_rule_test?: RuleTest[] }[];
}

const testDir = join(REPO_ROOT, 'alerts', 'tests');
const testFiles = readdirSync(testDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => [f, parse(readFileSync(join(testDir, f), 'utf8')) as TestFile] as const);
const cases = testFiles.flatMap(([, t]) => t.tests.flatMap((tc) => tc.alert_rule_test ?? []));
const firing = cases.filter((c) => (c.exp_alerts ?? []).length > 0);
const silent = cases.filter((c) => (c.exp_alerts ?? []).length === 0);

describe('promtool test cases', () => {
  test.each(testFiles.map(([f, t]) => [f, t] as const))('%s tests one generated rule file', (_f, t) => {
    expect([[`../${RULE_FILE}`], [`../${JMX_RULE_FILE}`]]).toContainEqual(t.rule_files);
  });

  test.each(ALL_ALERTS)('%s has a case where it fires and one where it does not', (name) => {
    expect(
      firing.map((c) => c.alertname),
      `no promtool case fires ${name}`,
    ).toContain(name);
    expect(
      silent.map((c) => c.alertname),
      `no promtool case expects ${name} not to fire`,
    ).toContain(name);
  });

  test.each(firing.map((c) => [c.alertname, c.eval_time, c] as const))(
    '%s at %s checks labels and annotations, and the description names the firing series',
    (name, _t, c) => {
      const rule = rules.find((r) => r.alert === name);
      expect(rule, `no rule named ${name}`).toBeDefined();
      for (const exp of c.exp_alerts ?? []) {
        expect(exp.exp_labels?.['severity']).toBe(rule?.labels.severity);
        expect(Object.keys(exp.exp_annotations ?? {}).sort()).toEqual([
          'description',
          'runbook_url',
          'summary',
        ]);
        for (const label of ['connect_cluster', 'connector', 'task']) {
          const value = exp.exp_labels?.[label];
          if (value === undefined) continue;
          expect(rule?.annotations.description).toContain(`$labels.${label}`);
          expect(exp.exp_annotations?.['description']).toContain(value);
        }
      }
    },
  );
});

describe('buildRules options', () => {
  const custom = buildRules({
    jobSelector: 'job=~".*connect-sentinel.*"',
    runbookBaseUrl: 'https://runbooks.example/ops/',
    forOverride: '0s',
  });
  const customRules = custom.groups.flatMap((g) => g.rules);

  test('the job selector is applied to every selector of every expression', () => {
    for (const rule of customRules) {
      for (const metric of metricNames(rule.expr)) {
        const selectors = rule.expr.match(new RegExp(`\\b${metric}\\b[^\\s)]*`, 'g')) ?? [];
        for (const selector of selectors) {
          expect(selector, `${rule.alert}: ${selector}`).toContain('{job=~".*connect-sentinel.*"');
        }
      }
    }
  });

  test('forOverride replaces every for, and the runbook base is used without a double slash', () => {
    for (const rule of customRules) {
      expect(rule.for).toBe('0s');
      expect(rule.annotations.runbook_url).toBe(
        `https://runbooks.example/ops/docs/runbook.md#${rule.alert.toLowerCase()}`,
      );
    }
  });

  test('per-alert for and severity overrides apply to that alert only', () => {
    const r = buildRules({
      for: { KafkaConnectTaskFailed: '30s' },
      severity: { KafkaConnectTaskFailed: 'info' },
    });
    const all = r.groups.flatMap((g) => g.rules);
    const failed = all.find((x) => x.alert === 'KafkaConnectTaskFailed');
    expect(failed?.for).toBe('30s');
    expect(failed?.labels.severity).toBe('info');
    expect(all.find((x) => x.alert === 'KafkaConnectConnectorFailed')?.for).toBe('2m');
  });

  test('an empty job selector leaves selectors bare', () => {
    const r = buildRules({ jobSelector: '' });
    const down = r.groups.flatMap((g) => g.rules).find((x) => x.alert === 'ConnectSentinelDown');
    expect(down?.expr).toBe('up == 0\nor\nabsent(up)');
  });

  test('rules rendered with other options (as the end-to-end test does) pass promtool check rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    try {
      for (const [i, options] of [
        { jobSelector: 'job=~".*connect-sentinel.*"', forOverride: '0s' },
        { jobSelector: '', rateWindow: '1m' },
        { jobSelector: 'namespace="kafka", job="sentinel"' },
      ].entries()) {
        const file = join(dir, `r${i}.yml`);
        writeFileSync(file, renderRuleFile(buildRules(options)));
        const r = promtool(['check', 'rules', file]);
        expect(r.status, r.output).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('buildJmxRules options', () => {
  const custom = buildJmxRules({
    jmxJobSelector: 'job="connect-workers"',
    jobSelector: 'job=~".*connect-sentinel.*"',
    forOverride: '0s',
    runbookBaseUrl: 'https://runbooks.example/ops',
  });
  const customRules = custom.groups.flatMap((g) => g.rules);

  test('JMX series are selected by the JMX job, the sidecar series by the sidecar job', () => {
    for (const rule of customRules) {
      for (const metric of metricNames(rule.expr)) {
        const selectors = rule.expr.match(new RegExp(`\\b${metric}\\b[^\\s)]*`, 'g')) ?? [];
        const expected = metric.startsWith('kafka_connect_jmx_')
          ? '{job="connect-workers"'
          : '{job=~".*connect-sentinel.*"';
        for (const selector of selectors) expect(selector, `${rule.expr}`).toContain(expected);
      }
    }
  });

  test('forOverride and the runbook base apply to every JMX alert; recording rules have neither', () => {
    for (const rule of customRules) {
      if ('record' in rule) {
        expect(Object.keys(rule).sort()).toEqual(['expr', 'record']);
        continue;
      }
      expect(rule.for).toBe('0s');
      expect(rule.annotations.runbook_url).toBe(
        `https://runbooks.example/ops/docs/runbook.md#${rule.alert.toLowerCase()}`,
      );
    }
  });

  test('thresholds are options, stated in the descriptions', () => {
    const r = buildJmxRules({ recordErrorsPerSecond: 5, rebalancesPer15m: 9 }).groups.flatMap((g) => g.rules);
    const errors = r.find((x) => 'alert' in x && x.alert === 'KafkaConnectRecordErrorRateHigh');
    expect(errors?.expr).toMatch(/\) > 5$/);
    expect(errors && 'annotations' in errors && errors.annotations.description).toContain('threshold 5/s');
    expect(r.find((x) => 'alert' in x && x.alert === 'KafkaConnectRebalanceStorm')?.expr).toMatch(/>= 9$/);
  });

  test('rules rendered with other options pass promtool check rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jmx-rules-'));
    try {
      for (const [i, options] of [
        { jmxJobSelector: '', jobSelector: '' },
        { jmxJobSelector: 'namespace="kafka", job="workers"', rateWindow: '1m', forOverride: '0s' },
      ].entries()) {
        const file = join(dir, `r${i}.yml`);
        writeFileSync(file, renderRuleFile(buildJmxRules(options)));
        const r = promtool(['check', 'rules', file]);
        expect(r.status, r.output).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
