import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { TASK_RECORD_ERRORS_RECORD } from '../../../alerts/build.js';
import { buildDashboards, type Panel } from '../../../dashboards/build.js';
import { NO_JMX_DATA } from '../../../dashboards/jmx.js';
import { REPO_ROOT, jmxMetricNames } from './known-metrics.js';
import { metricNames } from './promql.js';

const dashboards = [...buildDashboards()];

function panelsOf(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...panelsOf((p['panels'] as Panel[] | undefined) ?? [])]);
}

/** Windows of rate() and increase(), e.g. `$__rate_interval`. */
function rateWindows(expr: string): string[] {
  return [...expr.matchAll(/\b(?:rate|increase)\(\s*[^[]*\[([^\]]+)\]/g)].map((m) => m[1] ?? '');
}

describe('Grafana dashboards', () => {
  test('are overview, dlq and lag with stable, unique uids', () => {
    expect(dashboards.map(([file, d]) => [file, d.uid])).toEqual([
      ['overview.json', 'connect-sentinel-overview'],
      ['dlq.json', 'connect-sentinel-dlq'],
      ['lag.json', 'connect-sentinel-lag'],
    ]);
  });

  test.each(dashboards)('%s has the datasource, cluster and connector variables', (_file, d) => {
    expect(d['schemaVersion']).toBe(39);
    const vars = Object.fromEntries(d.templating.list.map((v) => [String(v['name']), v]));
    expect(vars['datasource']).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars['cluster']).toMatchObject({
      type: 'query',
      query: 'label_values(kafka_connect_up, connect_cluster)',
      datasource: { type: 'prometheus', uid: '${datasource}' },
    });
    expect(vars['connector']).toMatchObject({
      type: 'query',
      query: 'label_values(kafka_connect_connector_info{connect_cluster=~"$cluster"}, connector)',
    });
  });

  test.each(dashboards)(
    '%s: panels have unique ids, fit the grid, do not overlap, use the datasource variable',
    (_f, d) => {
      const panels = panelsOf(d.panels);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      const cells = new Set<string>();
      for (const p of panels) {
        expect(['row', 'stat', 'timeseries', 'table']).toContain(p.type);
        const { x, y, w, h } = p.gridPos;
        expect(x + w, p.title).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            expect(cells.has(`${i},${j}`), `${p.title} overlaps another panel`).toBe(false);
            cells.add(`${i},${j}`);
          }
        }
        if (p.type === 'row') continue;
        expect(p['datasource']).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(p.targets?.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets ?? [])
          expect(t['datasource']).toEqual({ type: 'prometheus', uid: '${datasource}' });
      }
    },
  );

  test.each(dashboards)(
    '%s: graphs use $__rate_interval in rate()/increase(); every query filters by $cluster',
    (_f, d) => {
      for (const p of panelsOf(d.panels)) {
        for (const t of p.targets ?? []) {
          const expr = String(t['expr']);
          const windows = rateWindows(expr);
          if (p.type === 'timeseries') {
            for (const w of windows) expect(w, `${p.title}: ${expr}`).toBe('$__rate_interval');
          }
          if (!expr.includes('connect_sentinel_build_info'))
            expect(expr, p.title).toContain('connect_cluster=~"$cluster"');
        }
      }
    },
  );

  test.each(dashboards)(
    '%s: every panel reading JMX series is marked (JMX) and says how to enable JMX when it has no data',
    (_f, d) => {
      const jmx = new Set([...jmxMetricNames(), TASK_RECORD_ERRORS_RECORD]);
      for (const p of panelsOf(d.panels)) {
        const reads = (p.targets ?? []).some((t) =>
          [...metricNames(String(t['expr']))].some((m) => jmx.has(m)),
        );
        expect(p.title.endsWith('(JMX)'), p.title).toBe(
          reads || (p.type === 'row' && p.title.includes('(JMX)')),
        );
        if (!reads) continue;
        const defaults = (p['fieldConfig'] as { defaults: { noValue?: string } }).defaults;
        expect(defaults.noValue, p.title).toBe(NO_JMX_DATA);
      }
      expect(NO_JMX_DATA).toContain('docs/jmx.md');
    },
  );

  test('the Overview, DLQ and lag dashboards each have a JMX row', () => {
    for (const [, d] of dashboards)
      expect(panelsOf(d.panels).some((p) => p.type === 'row' && p.title.endsWith('(JMX)'))).toBe(true);
  });

  test('titles are unique within a dashboard', () => {
    for (const [, d] of dashboards) {
      const titles = panelsOf(d.panels).map((p) => p.title);
      expect(new Set(titles).size).toBe(titles.length);
    }
  });
});

describe('Grafana provisioning example', () => {
  const provisioning = join(REPO_ROOT, 'deploy', 'grafana', 'provisioning');

  test('provisions a Prometheus datasource with the scrape interval for $__rate_interval', () => {
    const ds = parse(readFileSync(join(provisioning, 'datasources', 'prometheus.yaml'), 'utf8')) as {
      apiVersion: number;
      datasources: { type: string; url: string; jsonData: { timeInterval: string } }[];
    };
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', jsonData: { timeInterval: '15s' } });
  });

  test('provisions the dashboards folder with a file provider', () => {
    const db = parse(readFileSync(join(provisioning, 'dashboards', 'connect-sentinel.yaml'), 'utf8')) as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    expect(db.apiVersion).toBe(1);
    expect(db.providers[0]?.type).toBe('file');
    expect(db.providers[0]?.options.path).toMatch(/^\//);
  });
});
