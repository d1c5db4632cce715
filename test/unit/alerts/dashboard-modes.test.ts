/**
 * The overview panels that read connector and task states, evaluated by promtool over the same fleet as
 * both exposition modes publish it (full StateSets, and only the current state's series): the operator
 * sees the same numbers and rows either way, including a state this version does not know.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, expect, test } from 'vitest';
import { buildDashboards, type Panel } from '../../../dashboards/build.js';
import { CONNECTOR_STATES, TASK_STATES } from '../../../src/connect/types.js';
import { toDefaultExposition } from './exposition-modes.js';
import { promtool, substituteGrafanaVariables } from './promql.js';

const TARGET = 'job="connect-sentinel", instance="sentinel:9840", connect_cluster="prod"';

/** Six samples a minute apart: the state the thing is in at each, as the sidecar reported it. */
interface Thing {
  readonly labels: string;
  readonly states: readonly string[];
}

const connectors: Thing[] = [
  { labels: 'connector="a"', states: Array(6).fill('RUNNING') },
  { labels: 'connector="b"', states: ['RUNNING', 'RUNNING', 'FAILED', 'FAILED', 'FAILED', 'FAILED'] },
  { labels: 'connector="c"', states: Array(6).fill('PAUSED') },
  // A state a newer worker reports that this version does not know.
  { labels: 'connector="d"', states: Array(6).fill('DRAINING') },
];
const tasks: Thing[] = [
  { labels: 'connector="a", task="0"', states: Array(6).fill('RUNNING') },
  {
    labels: 'connector="a", task="1"',
    states: ['RUNNING', 'RUNNING', 'FAILED', 'FAILED', 'FAILED', 'FAILED'],
  },
  { labels: 'connector="b", task="0"', states: Array(6).fill('UNASSIGNED') },
  { labels: 'connector="c", task="0"', states: Array(6).fill('PAUSED') },
  { labels: 'connector="d", task="0"', states: Array(6).fill('QUIESCING') },
];

/** The StateSets `--exposition.state-sets` publishes: every known state, and an unknown one as reported. */
function stateSets(family: string, things: Thing[], known: readonly string[]): object[] {
  return things.flatMap((t) => {
    const states = [...known, ...new Set(t.states.filter((s) => !known.includes(s)))];
    return states.map((state) => ({
      series: `${family}{${TARGET}, ${t.labels}, state="${state}"}`,
      values: t.states.map((s) => (s === state ? '1' : '0')).join(' '),
    }));
  });
}

const info = [
  ...['a', 'b', 'c', 'd'].map((c, i) => ({
    series: `kafka_connect_connector_info{${TARGET}, connector="${c}", connector_type="sink", connector_class="x.Sink", worker_id="w${i % 2}"}`,
    values: '1x5',
  })),
  ...tasks.map((t, i) => ({
    series: `kafka_connect_task_info{${TARGET}, ${t.labels}, worker_id="w${i % 2}"}`,
    values: '1x5',
  })),
];

function panel(title: string): string {
  const panels = [...buildDashboards()].flatMap(([, d]) =>
    d.panels.flatMap((p: Panel) => [p, ...((p['panels'] as Panel[] | undefined) ?? [])]),
  );
  const p = panels.find((x) => x.title === title);
  if (p?.targets?.length !== 1) throw new Error(`no one-query panel "${title}"`);
  return substituteGrafanaVariables(String(p.targets[0]?.['expr']));
}

const counts = (n: Record<string, number>): object[] =>
  Object.entries(n).map(([state, value]) => ({ labels: `{state="${state}"}`, value }));

const expectations = [
  {
    expr: panel('Connectors by state'),
    eval_time: '5m',
    exp_samples: counts({
      RUNNING: 1,
      PAUSED: 1,
      STOPPED: 0,
      FAILED: 1,
      UNASSIGNED: 0,
      RESTARTING: 0,
      DRAINING: 1,
    }),
  },
  {
    expr: panel('Tasks by state'),
    eval_time: '5m',
    exp_samples: counts({ RUNNING: 1, PAUSED: 1, FAILED: 1, UNASSIGNED: 1, RESTARTING: 0, QUIESCING: 1 }),
  },
  {
    expr: panel('FAILED connectors'),
    eval_time: '5m',
    exp_samples: [
      {
        labels: `{${TARGET}, connector="b", state="FAILED", connector_type="sink", connector_class="x.Sink", worker_id="w1"}`,
        value: 1,
      },
    ],
  },
  {
    expr: panel('FAILED tasks'),
    eval_time: '5m',
    exp_samples: [
      { labels: `{${TARGET}, connector="a", task="1", state="FAILED", worker_id="w1"}`, value: 1 },
    ],
  },
  // Two minutes before, nothing had failed yet.
  { expr: panel('FAILED tasks'), eval_time: '1m', exp_samples: [] },
];

const stateSetsFile = stringify(
  {
    rule_files: [],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          ...stateSets('kafka_connect_connector_state', connectors, CONNECTOR_STATES),
          ...stateSets('kafka_connect_task_state', tasks, TASK_STATES),
          ...info,
        ],
        promql_expr_test: expectations,
      },
    ],
  },
  { lineWidth: 0 },
);

const dir = mkdtempSync(join(tmpdir(), 'dashboard-modes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each([
  ['full StateSets (--exposition.state-sets)', 'state-sets.yml', stateSetsFile],
  ['the default exposition', 'default.yml', toDefaultExposition(stateSetsFile, dir).text],
])('the state panels of the overview show the same fleet alike with %s', (_mode, name, text) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  const r = promtool(['test', 'rules', file]);
  expect(r.status, r.output).toBe(0);
  expect(r.output).toContain('SUCCESS');
});

test('the two inputs differ: the default one has no 0-valued state samples', () => {
  const { changed } = toDefaultExposition(stateSetsFile, dir);
  expect(changed).toBeGreaterThan(30);
});
