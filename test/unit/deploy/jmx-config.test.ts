import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { JMX_CONFIG_FILE, jmxMetrics, readJmxConfig } from '../../helpers/jmx-config.js';

const GROUPS = [
  'connector-metrics',
  'connector-task-metrics',
  'task-error-metrics',
  'sink-task-metrics',
  'source-task-metrics',
  'connect-worker-metrics',
  'connect-worker-rebalance-metrics',
];
const PER_TASK = ['connector-task-metrics', 'task-error-metrics', 'sink-task-metrics', 'source-task-metrics'];

const config = readJmxConfig();
const metrics = [...jmxMetrics(config)];

/** Kafka Connect's running totals: `total-*`, `*-total`, and the DLQ produce counts. */
function isRunningTotal(attribute: string): boolean {
  return /^total-|-total$|^deadletterqueue-produce-/.test(attribute);
}

describe('deploy/jmx/kafka-connect.yml', () => {
  test('reads exactly the seven Connect MBean groups, each by at least one rule', () => {
    expect([...config.includeObjectNames].sort()).toEqual(
      GROUPS.map((g) => `kafka.connect:type=${g},*`).sort(),
    );
    expect([...new Set(config.rules.map((r) => r.group))].sort()).toEqual([...GROUPS].sort());
  });

  test('every rule names its own metric, prefixed kafka_connect_jmx_', () => {
    expect(metrics.length).toBe(config.rules.length);
    for (const [name] of metrics) expect(name).toMatch(/^kafka_connect_jmx_[a-z0-9_]+$/);
  });

  test.each(config.rules.map((r) => [r.name, r] as const))(
    '%s: COUNTER exactly when the attribute is a running total, named *_total',
    (name, rule) => {
      const totals = rule.attributes.map(isRunningTotal);
      expect(new Set(totals).size, `${name} mixes totals and gauges`).toBe(1);
      expect(rule.type).toBe(totals[0] ? 'COUNTER' : 'GAUGE');
      expect(name.endsWith('_total')).toBe(rule.type === 'COUNTER');
    },
  );

  test.each(config.rules.map((r) => [r.name, r] as const))(
    '%s: labels join with the sidecar (connector, task) and none comes from an unbounded name',
    (_name, rule) => {
      const captures = rule.pattern.includes('connector=(') ? ['connector'] : [];
      if (rule.pattern.includes('task=(')) captures.push('task');
      for (const [i, label] of captures.entries()) expect(rule.labels[label]).toBe(`$${i + 1}`);
      if (PER_TASK.includes(rule.group)) expect(captures).toEqual(['connector', 'task']);
      if (rule.group === 'connector-metrics') expect(captures).toEqual(['connector']);
      // Other labels hold a status read from the bean (a handful of words) or one of the
      // alternatives of the attribute name (listed in the pattern), never free text.
      for (const label of Object.keys(rule.labels).filter((l) => !captures.includes(l))) {
        expect(['status', 'state']).toContain(label);
        expect(rule.pattern).toMatch(/(status: \(\[a-z\]\+\)|\([a-z]+(\|[a-z]+)+\))/);
      }
    },
  );

  test('times are exported in seconds, and no windowed rate is exported (rate() the counters)', () => {
    for (const rule of config.rules) {
      const ms = rule.attributes.some((a) => /-ms$|-timestamp$/.test(a));
      expect(rule.valueFactor === 0.001, rule.name).toBe(ms);
      if (ms) expect(rule.name, rule.name).toMatch(/_seconds$/);
      expect(rule.attributes.filter((a) => a.endsWith('-rate'))).toEqual([]);
    }
  });

  test('every rule caches its match except those that read the value, which come last', () => {
    const readsValue = config.rules.map((r) => /: \(/.test(r.pattern));
    expect(config.rules.map((r) => r.cache)).toEqual(readsValue.map((v) => !v));
    const first = readsValue.indexOf(true);
    expect(readsValue.slice(first).every(Boolean)).toBe(true);
  });

  test('status rules export 1 with the status as a label', () => {
    const status = config.rules.filter((r) => r.attributes.includes('status'));
    expect(status.map((r) => r.group).sort()).toEqual(['connector-metrics', 'connector-task-metrics']);
    for (const r of status) {
      expect(r.value).toBe(1);
      expect(r.labels['status']).toMatch(/^\$\d$/);
    }
  });

  test('a rule that names its metric from a capture group is refused with the rule and the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jmx-config-'));
    try {
      const file = join(dir, 'bad.yml');
      writeFileSync(
        file,
        readFileSync(JMX_CONFIG_FILE, 'utf8').replace(
          'name: kafka_connect_jmx_task_retries_total',
          'name: kafka_connect_jmx_task_$3',
        ),
      );
      expect(() => readJmxConfig(file)).toThrow(
        /rules\[3\]: name kafka_connect_jmx_task_\$3 is built from a capture group/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/jmx.md', () => {
  const doc = readFileSync(new URL('../../../docs/jmx.md', import.meta.url), 'utf8');
  const rows = new Map(
    doc
      .split('\n')
      .map((line) => /^\|\s*`(kafka_connect_jmx_[a-z0-9_]+)`\s*\|\s*(\w+)\s*\|([^|]*)\|/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [
        m[1] ?? '',
        {
          type: m[2] ?? '',
          labels: (m[3] ?? '')
            .split(',')
            .map((l) => l.trim())
            .filter(Boolean),
        },
      ]),
  );

  test('lists every series of the configuration with its type and labels, and no other', () => {
    expect([...rows.keys()].sort()).toEqual(metrics.map(([name]) => name).sort());
    for (const [name, rule] of metrics) {
      expect(rows.get(name)?.type, name).toBe(rule.type.toLowerCase());
      expect(rows.get(name)?.labels, name).toEqual(Object.keys(rule.labels));
    }
  });
});
