/**
 * Helpers to check PromQL from the rules and dashboards: run promtool, substitute Grafana variables,
 * and find the metric names an expression selects.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface PromtoolResult {
  status: number;
  output: string;
}

export const PROMTOOL_MISSING =
  'promtool was not found on PATH. Install it with `apt-get install prometheus` (the Debian package provides /usr/bin/promtool).';

export function promtool(args: string[], cwd?: string): PromtoolResult {
  const result = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(PROMTOOL_MISSING);
    throw result.error;
  }
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

export interface Expression {
  /** Where it comes from, for failure messages. */
  source: string;
  expr: string;
}

/**
 * Parses and type-checks expressions by loading them as recording rules with `promtool check rules`.
 * Returns one message per expression that fails (empty when all pass).
 */
export function checkExpressions(exprs: Expression[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'promql-check-'));
  try {
    const check = (list: Expression[]): PromtoolResult => {
      const file = join(dir, 'exprs.rules.yml');
      const rules = list.map((e, i) => ({ record: `check:expr_${i}`, expr: e.expr }));
      writeFileSync(file, stringify({ groups: [{ name: 'expressions', rules }] }));
      return promtool(['check', 'rules', file]);
    };
    if (check(exprs).status === 0) return [];
    // Something failed: check one by one to say which.
    return exprs.flatMap((e) => {
      const r = check([e]);
      return r.status === 0 ? [] : [`${e.source}: ${e.expr}\n${r.output.trim()}`];
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Values Grafana would put in: a realistic duration for interval variables, a match-all regex for the rest. */
export function substituteGrafanaVariables(expr: string): string {
  const fixed: Record<string, string> = {
    __rate_interval: '5m',
    __interval: '1m',
    __range: '1h',
    __range_s: '3600',
    __range_ms: '3600000',
    __interval_ms: '60000',
  };
  return expr.replace(
    /\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g,
    (_m, a?: string, b?: string, c?: string) => {
      const name = a ?? b ?? c ?? '';
      return fixed[name] ?? '.*';
    },
  );
}

const AGGREGATORS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
/** Keywords followed by a parenthesised list of label names. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const OTHER_KEYWORDS = new Set(['bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);

/**
 * The metric names an expression selects: identifiers standing as selectors (`foo`, `foo{...}`,
 * `foo[5m]`) and `{__name__="foo"}`. Skips strings, label matchers, durations, function and
 * aggregation names, keywords and the label lists after by/without/on/ignoring/group_left/group_right.
 */
export function metricNames(expr: string): Set<string> {
  const names = new Set<string>();
  let i = 0;
  const n = expr.length;
  const skipSpace = (): void => {
    while (i < n && /\s/.test(expr[i] ?? '')) i++;
  };
  const skipString = (): string => {
    const quote = expr[i];
    let value = '';
    i++;
    while (i < n && expr[i] !== quote) {
      if (expr[i] === '\\' && quote !== '`') {
        value += expr[i + 1] ?? '';
        i += 2;
      } else {
        value += expr[i];
        i++;
      }
    }
    i++;
    return value;
  };
  const skipBalanced = (open: string, close: string): void => {
    let depth = 0;
    while (i < n) {
      const ch = expr[i] ?? '';
      if (ch === '"' || ch === "'" || ch === '`') {
        skipString();
        continue;
      }
      if (ch === open) depth++;
      if (ch === close) {
        depth--;
        if (depth === 0) {
          i++;
          return;
        }
      }
      i++;
    }
  };
  const readMatchers = (): void => {
    // at '{'
    i++;
    while (i < n && expr[i] !== '}') {
      skipSpace();
      const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*/.exec(expr.slice(i));
      if (m === null) {
        if (expr[i] === '"' || expr[i] === "'" || expr[i] === '`') skipString();
        else i++;
        continue;
      }
      i += m[0].length;
      const value = expr[i] === '"' || expr[i] === "'" || expr[i] === '`' ? skipString() : '';
      if (m[1] === '__name__' && m[2] === '=') names.add(value);
    }
    i++;
  };

  while (i < n) {
    const ch = expr[i] ?? '';
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '#') {
      while (i < n && expr[i] !== '\n') i++;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      skipString();
    } else if (ch === '{') {
      readMatchers();
    } else if (ch === '[') {
      skipBalanced('[', ']');
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(expr[i + 1] ?? ''))) {
      while (i < n && /[0-9a-zA-Z_.]/.test(expr[i] ?? '')) i++;
    } else if (ch === '$') {
      i++;
      while (i < n && /[\w{}]/.test(expr[i] ?? '')) i++;
    } else if (/[a-zA-Z_:]/.test(ch)) {
      const start = i;
      while (i < n && /[a-zA-Z0-9_:]/.test(expr[i] ?? '')) i++;
      const word = expr.slice(start, i);
      const lower = word.toLowerCase();
      skipSpace();
      if (LABEL_LIST_KEYWORDS.has(lower)) {
        if (expr[i] === '(') skipBalanced('(', ')');
      } else if (OTHER_KEYWORDS.has(lower) || AGGREGATORS.has(lower)) {
        // operator or aggregation: its argument follows
      } else if (expr[i] === '(') {
        // function call
      } else {
        names.add(word);
      }
    } else {
      i++;
    }
  }
  return names;
}

/**
 * PromQL inside alert annotation templates: `{{ with printf "..." args | query }}`. `%q` verbs become
 * a quoted placeholder value.
 */
export function templateQueries(template: string): string[] {
  const queries: string[] = [];
  const re = /printf\s+"((?:[^"\\]|\\.)*)"[^}]*?\|\s*query/g;
  for (const m of template.matchAll(re)) {
    const format = (m[1] ?? '').replace(/\\(.)/g, '$1');
    queries.push(format.replace(/%q/g, '"x"').replace(/%s/g, 'x'));
  }
  const direct = /query\s+"((?:[^"\\]|\\.)*)"/g;
  for (const m of template.matchAll(direct)) queries.push((m[1] ?? '').replace(/\\(.)/g, '$1'));
  return queries;
}

/** `label_values(selector, label)` of a Grafana variable → the selector; undefined for `label_values(label)`. */
export function labelValuesSelector(query: string): string | undefined {
  const m = /^\s*label_values\(\s*(.+)\s*,\s*[a-zA-Z_]\w*\s*\)\s*$/s.exec(query);
  return m?.[1];
}
