import { describe, expect, test } from 'vitest';
import { buildRules } from '../../../alerts/build.js';
import { buildDashboards, type Panel } from '../../../dashboards/build.js';
import { knownMetrics, knownMetricsSource } from './known-metrics.js';
import {
  checkExpressions,
  labelValuesSelector,
  metricNames,
  substituteGrafanaVariables,
  templateQueries,
  type Expression,
} from './promql.js';

function ruleExpressions(): Expression[] {
  return buildRules().groups.flatMap((g) =>
    g.rules.flatMap((r) => [
      { source: `alert ${r.alert}`, expr: r.expr },
      ...Object.entries(r.annotations).flatMap(([key, text]) =>
        templateQueries(text).map((expr) => ({
          source: `alert ${r.alert} annotation ${key} template query`,
          expr,
        })),
      ),
    ]),
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

  test(`every metric named is one the exporter exposes (${knownMetricsSource()})`, () => {
    const known = knownMetrics();
    const unknown = all.flatMap((e) =>
      [...metricNames(e.expr)].filter((m) => !known.has(m)).map((m) => `${m} in ${e.source}`),
    );
    expect(unknown).toEqual([]);
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
