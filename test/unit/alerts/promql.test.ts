import { describe, expect, test } from 'vitest';
import { buildJmxRules, buildRules } from '../../../alerts/build.js';
import { buildDashboards, type Panel } from '../../../dashboards/build.js';
import { jmxMetricNames, knownMetrics, knownMetricsSource } from './known-metrics.js';
import {
  checkExpressions,
  labelValuesSelector,
  metricNames,
  substituteGrafanaVariables,
  templateQueries,
  type Expression,
} from './promql.js';

const jmxRules = buildJmxRules().groups.flatMap((g) => g.rules);
/** Series the JMX group records: rules and panels may read them. */
const recorded = new Set(jmxRules.flatMap((r) => ('record' in r ? [r.record] : [])));

function ruleExpressions(): Expression[] {
  return [...buildRules().groups.flatMap((g) => g.rules), ...jmxRules].flatMap((r) =>
    'record' in r
      ? [{ source: `record ${r.record}`, expr: r.expr }]
      : [
          { source: `alert ${r.alert}`, expr: r.expr },
          ...Object.entries(r.annotations).flatMap(([key, text]) =>
            templateQueries(text).map((expr) => ({
              source: `alert ${r.alert} annotation ${key} template query`,
              expr,
            })),
          ),
        ],
  );
}

function panelsOf(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...panelsOf((p['panels'] as Panel[] | undefined) ?? [])]);
}

function dashboardExpressions(): Expression[] {
  return [...buildDashboards()].flatMap(([file, d]) => [
    ...panelsOf(d.panels).flatMap((p) =>
      (p.targets ?? []).map((t) => ({
        source: `${file} panel "${p.title}" target ${String(t['refId'])}`,
        expr: substituteGrafanaVariables(String(t['expr'])),
      })),
    ),
    ...d.templating.list
      .filter((v) => v['type'] === 'query')
      .map((v) => {
        const query = String(v['query']);
        const selector = labelValuesSelector(query);
        if (selector === undefined)
          throw new Error(`${file} variable ${String(v['name'])}: unsupported query ${query}`);
        return {
          source: `${file} variable $${String(v['name'])}`,
          expr: substituteGrafanaVariables(selector),
        };
      }),
  ]);
}

const all = [...ruleExpressions(), ...dashboardExpressions()];

describe('PromQL in alerts/ and dashboards/', () => {
  test('there is something to check (rules, template queries, panels, variables)', () => {
    expect(all.filter((e) => e.source.startsWith('alert ')).length).toBeGreaterThanOrEqual(14);
    expect(all.some((e) => e.source.includes('template query'))).toBe(true);
    expect(all.filter((e) => e.source.includes('.json panel')).length).toBeGreaterThanOrEqual(30);
    expect(all.filter((e) => e.source.includes('variable')).length).toBe(6);
  });

  test('every expression parses and type-checks (promtool check rules)', () => {
    expect(checkExpressions(all)).toEqual([]);
  });

  test(`every metric named is the sidecar's (${knownMetricsSource()}), the JMX configuration's or recorded`, () => {
    const known = new Set([...knownMetrics(), ...jmxMetricNames(), ...recorded]);
    const unknown = all.flatMap((e) =>
      [...metricNames(e.expr)].filter((m) => !known.has(m)).map((m) => `${m} in ${e.source}`),
    );
    expect(unknown).toEqual([]);
  });

  test('JMX series are named only by the JMX rule group and by panels, never by the sidecar rules', () => {
    const jmx = jmxMetricNames();
    const sidecarRules = all.filter(
      (e) =>
        e.source.startsWith('alert ') && !jmxRules.some((r) => 'alert' in r && e.source.includes(r.alert)),
    );
    expect(sidecarRules.flatMap((e) => [...metricNames(e.expr)].filter((m) => jmx.has(m)))).toEqual([]);
    expect(jmxRules.every((r) => [...metricNames(r.expr)].some((m) => jmx.has(m)))).toBe(true);
  });

  test('every recorded series is shown on a dashboard', () => {
    const panels = all.filter((e) => e.source.includes('.json panel'));
    for (const r of recorded)
      expect(
        panels.some((e) => metricNames(e.expr).has(r)),
        r,
      ).toBe(true);
  });

  test('every selector of a state family keeps only series with value 1, which both exposition modes have alike', () => {
    // The default exposition has no 0-valued state series: `== 0`, `absent()` or `sum by (state)` over a
    // state family would read differently with and without --exposition.state-sets.
    const readers = all.filter((e) => /kafka_connect_(?:connector|task)_state\b/.test(e.expr));
    expect(readers.length).toBeGreaterThanOrEqual(10);
    const loose = readers.flatMap((e) =>
      [...e.expr.matchAll(/kafka_connect_(?:connector|task)_state(?:\{[^}]*\})?/g)]
        .filter((m) => !/^\s*==\s*1\b/.test(e.expr.slice(m.index + m[0].length)))
        .map((m) => `${e.source}: ${m[0]}`),
    );
    expect(loose).toEqual([]);
  });

  test('every metric of the contract is used by some rule or panel', () => {
    const used = new Set(all.flatMap((e) => [...metricNames(e.expr)]));
    const unused = [...knownMetrics()].filter((m) => !used.has(m));
    expect(unused).toEqual([]);
  });
});

describe('metricNames', () => {
  test('finds selectors and skips functions, keywords, label lists, strings and durations', () => {
    expect(
      metricNames(
        'sum by (connector, state) (rate(a_total{job="x", state=~"FAILED|up"}[5m] offset 1h)) ' +
          '* on(connect_cluster) group_left(worker_id) b_info ' +
          'or ignoring(task) label_replace(c, "dst", "$1", "src", "(.*)") > bool 0.5e3 ' +
          'unless topk(1, d) and absent(up) or {__name__="e"} - time() + vector(1) + Inf',
      ),
    ).toEqual(new Set(['a_total', 'b_info', 'c', 'd', 'up', 'e']));
  });

  test('handles aggregation clauses after the argument and subqueries', () => {
    expect(metricNames('max(deriv(lag[15m:1m])) without (topic)')).toEqual(new Set(['lag']));
  });

  test('Grafana variables are replaced before parsing', () => {
    expect(
      substituteGrafanaVariables('rate(x{c=~"$cluster", d=~"${connector}"}[$__rate_interval]) [$__range]'),
    ).toBe('rate(x{c=~".*", d=~".*"}[5m]) [1h]');
  });

  test('template queries are found in annotations', () => {
    expect(
      templateQueries(
        'a {{ with printf "m{job=%q, c=\\"y\\"}" $labels.job | query }}{{ . | first | value }}{{ end }}',
      ),
    ).toEqual(['m{job="x", c="y"}']);
  });
});
