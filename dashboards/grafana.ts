/**
 * A small Grafana dashboard model (schemaVersion 39): just the panel kinds and fields these dashboards
 * use. Panels are placed by `Layout`, which flows them left to right in 24 columns, so ids and
 * positions are stable between runs and the generated JSON only changes when the code does.
 */

export const SCHEMA_VERSION = 39;
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** Matchers every query filters by, from the dashboard's variables. */
export const CLUSTER = 'connect_cluster=~"$cluster"';
export const CLUSTER_CONNECTOR = 'connect_cluster=~"$cluster", connector=~"$connector"';

export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  /** Table panels query one instant; graphs query a range. */
  instant?: boolean;
}

type Json = Record<string, unknown>;

export interface Panel extends Json {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Json[];
}

export interface Dashboard extends Json {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Json[] };
}

/** One series per state, coloured the way operators read Connect states. */
export const STATE_COLORS: Record<string, string> = {
  RUNNING: 'green',
  FAILED: 'red',
  UNASSIGNED: 'orange',
  RESTARTING: 'yellow',
  PAUSED: 'blue',
  STOPPED: 'text',
};

interface Common {
  title: string;
  description?: string;
  w: number;
  h: number;
  targets: Target[];
  unit?: string;
  /** Shown instead of Grafana's "No data" when the queries return nothing. */
  noValue?: string;
}

export type PanelBody = Omit<Panel, 'id' | 'gridPos'> & { w: number; h: number };

function toTargets(targets: Target[], format: 'time_series' | 'table'): Json[] {
  return targets.map((t) => ({
    datasource: DATASOURCE,
    refId: t.refId,
    expr: t.expr,
    legendFormat: t.legendFormat ?? '__auto',
    range: !(t.instant ?? format === 'table'),
    instant: t.instant ?? format === 'table',
    format,
  }));
}

function common(p: Common): Json {
  const json: Json = { title: p.title, datasource: DATASOURCE };
  if (p.description !== undefined) json['description'] = p.description;
  return json;
}

function colorOverrides(colors: Record<string, string> | undefined): Json[] {
  return Object.entries(colors ?? {}).map(([name, color]) => ({
    matcher: { id: 'byName', options: name },
    properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }],
  }));
}

export function timeseries(
  p: Common & { stack?: boolean; bars?: boolean; min?: number; colors?: Record<string, string> },
): PanelBody {
  return {
    ...common(p),
    type: 'timeseries',
    title: p.title,
    w: p.w,
    h: p.h,
    targets: toTargets(p.targets, 'time_series'),
    fieldConfig: {
      defaults: {
        unit: p.unit ?? 'short',
        ...(p.min !== undefined ? { min: p.min } : {}),
        ...(p.noValue !== undefined ? { noValue: p.noValue } : {}),
        color: { mode: 'palette-classic' },
        custom: {
          drawStyle: p.bars ? 'bars' : 'line',
          lineWidth: 1,
          fillOpacity: p.bars || p.stack ? 80 : 10,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: p.stack ? 'normal' : 'none', group: 'A' },
        },
      },
      overrides: colorOverrides(p.colors),
    },
    options: {
      legend: { displayMode: 'table', placement: 'right', showLegend: true, calcs: ['lastNotNull', 'max'] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

export function stat(
  p: Common & {
    /** Value → text and colour, e.g. 1 → UP (green). */
    mappings?: Record<string, { text: string; color: string }>;
    /** Colour steps: base colour, then [from value, colour] pairs. */
    thresholds?: [string, ...[number, string][]];
    colors?: Record<string, string>;
  },
): PanelBody {
  const [base, ...steps] = p.thresholds ?? ['green'];
  return {
    ...common(p),
    type: 'stat',
    title: p.title,
    w: p.w,
    h: p.h,
    targets: toTargets(p.targets, 'time_series').map((t) => ({ ...t, range: false, instant: true })),
    fieldConfig: {
      defaults: {
        unit: p.unit ?? 'short',
        ...(p.noValue !== undefined ? { noValue: p.noValue } : {}),
        color: { mode: 'thresholds' },
        thresholds: {
          mode: 'absolute',
          steps: [{ color: base, value: null }, ...steps.map(([value, color]) => ({ color, value }))],
        },
        mappings:
          p.mappings === undefined
            ? []
            : [
                {
                  type: 'value',
                  options: Object.fromEntries(
                    Object.entries(p.mappings).map(([value, m], index) => [
                      value,
                      { text: m.text, color: m.color, index },
                    ]),
                  ),
                },
              ],
      },
      overrides: colorOverrides(p.colors),
    },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'none',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'value_and_name',
      wideLayout: true,
      showPercentChange: false,
    },
  };
}

export function table(
  p: Common & {
    /** Label columns to show, in order, with their header text. Other columns are hidden. */
    columns: Record<string, string>;
    /** Per value column (e.g. `Value`, or `Value #A` when several queries are merged): header and unit. */
    values?: Record<string, { header: string; unit?: string }>;
    sortBy?: string;
  },
): PanelBody {
  const values = p.values ?? {};
  const shown = [...Object.keys(p.columns), ...Object.keys(values)];
  const renames = {
    ...p.columns,
    ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.header])),
  };
  const transformations: Json[] = [];
  if (p.targets.length > 1) transformations.push({ id: 'merge', options: {} });
  transformations.push({
    id: 'filterFieldsByName',
    options: { include: { names: shown } },
  });
  transformations.push({
    id: 'organize',
    options: {
      excludeByName: {},
      indexByName: Object.fromEntries(shown.map((name, i) => [name, i])),
      renameByName: renames,
    },
  });
  return {
    ...common(p),
    type: 'table',
    title: p.title,
    w: p.w,
    h: p.h,
    targets: toTargets(p.targets, 'table'),
    transformations,
    fieldConfig: {
      defaults: {
        ...(p.noValue !== undefined ? { noValue: p.noValue } : {}),
        custom: { align: 'auto', filterable: true, cellOptions: { type: 'auto' } },
      },
      overrides: Object.entries(values)
        .filter(([, v]) => v.unit !== undefined)
        .map(([, v]) => ({
          matcher: { id: 'byName', options: v.header },
          properties: [{ id: 'unit', value: v.unit }],
        })),
    },
    options: {
      showHeader: true,
      cellHeight: 'sm',
      footer: { show: false, reducer: ['sum'], countRows: false, fields: '' },
      ...(p.sortBy !== undefined ? { sortBy: [{ displayName: p.sortBy, desc: true }] } : {}),
    },
  };
}

export function row(title: string): PanelBody {
  return { type: 'row', title, collapsed: false, panels: [], w: 24, h: 1 };
}

/** Flows panels left to right, wrapping at 24 columns; a row always starts a new line. */
export function layout(bodies: PanelBody[]): Panel[] {
  const panels: Panel[] = [];
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  bodies.forEach((body, index) => {
    const { w, h, ...rest } = body;
    if (x + w > 24 || (body.type === 'row' && x > 0)) {
      x = 0;
      y += lineHeight;
      lineHeight = 0;
    }
    panels.push({ ...rest, id: index + 1, gridPos: { x, y, w, h } } as Panel);
    x += w;
    lineHeight = Math.max(lineHeight, h);
    if (body.type === 'row') {
      x = 0;
      y += h;
      lineHeight = 0;
    }
  });
  return panels;
}

function queryVariable(name: string, label: string, query: string): Json {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query,
    refresh: 2,
    regex: '',
    sort: 1,
    multi: true,
    includeAll: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    hide: 0,
    skipUrlSync: false,
  };
}

export const VARIABLES: Json[] = [
  {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    options: [],
    refresh: 1,
    regex: '',
    hide: 0,
    includeAll: false,
    multi: false,
    skipUrlSync: false,
  },
  queryVariable('cluster', 'Connect cluster', 'label_values(kafka_connect_up, connect_cluster)'),
  queryVariable(
    'connector',
    'Connector',
    'label_values(kafka_connect_connector_info{connect_cluster=~"$cluster"}, connector)',
  ),
];

export const TAG = 'connect-sentinel';

export function dashboard(p: {
  uid: string;
  title: string;
  description: string;
  panels: PanelBody[];
}): Dashboard {
  return {
    id: null,
    uid: p.uid,
    title: p.title,
    description: p.description,
    tags: [TAG, 'kafka-connect'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    weekStart: '',
    links: [
      {
        type: 'dashboards',
        title: 'connect-sentinel',
        tags: [TAG],
        asDropdown: false,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: { list: VARIABLES },
    panels: layout(p.panels),
  };
}
