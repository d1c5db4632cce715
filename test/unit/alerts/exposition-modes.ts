/**
 * The promtool rule tests in alerts/tests/ write connector and task states as full StateSets (what
 * `--exposition.state-sets` publishes: a series per state, 0 or 1). This turns such a test file into the
 * one Prometheus would have recorded from the default exposition, where only the current state's series
 * exists: a 0 is no sample at all, and a 1 → 0 step is a staleness marker, since Prometheus writes one
 * when a series leaves a scrape. The same expected alerts must then hold.
 */
import { parse, stringify } from 'yaml';

export const STATE_FAMILIES = ['kafka_connect_connector_state', 'kafka_connect_task_state'] as const;

interface TestFile {
  rule_files?: string[];
  tests?: { input_series?: { series: string; values: string }[] }[];
}

/** promtool's expanding notation: `a`, `a+bxn`, `a-bxn`, `axn`, `_`, `_xn`, `stale`. */
export function expandValues(values: string): string[] {
  const out: string[] = [];
  for (const token of values.trim().split(/\s+/)) {
    if (token === '') continue;
    if (token === 'stale' || token === '_') {
      out.push(token);
      continue;
    }
    const blanks = /^_x(\d+)$/.exec(token);
    if (blanks) {
      for (let i = 0; i < Number(blanks[1]); i++) out.push('_');
      continue;
    }
    const m = /^(-?\d+(?:\.\d+)?)(?:([+-]\d+(?:\.\d+)?)?x(\d+))?$/.exec(token);
    if (!m) throw new Error(`cannot expand the promtool value "${token}"`);
    const start = Number(m[1]);
    if (m[3] === undefined) {
      out.push(String(start));
      continue;
    }
    const step = m[2] === undefined ? 0 : Number(m[2]);
    for (let i = 0; i <= Number(m[3]); i++) out.push(String(start + i * step));
  }
  return out;
}

/** One StateSet series' samples as the default exposition would have left them in Prometheus. */
export function currentStateOnly(values: string, series: string): string {
  let present = false;
  const out = expandValues(values).map((v) => {
    if (v === '_') return v;
    if (v === 'stale') {
      present = false;
      return v;
    }
    if (v === '1') {
      present = true;
      return v;
    }
    if (v !== '0') throw new Error(`${series}: a state series is 0 or 1, not ${v}`);
    const was = present;
    present = false;
    return was ? 'stale' : '_';
  });
  return out.join(' ');
}

const isStateSeries = (series: string): boolean =>
  STATE_FAMILIES.some((f) => series.trimStart().startsWith(`${f}{`));

/**
 * The test file for the default exposition: state series converted, the rule files made absolute (the
 * result is written elsewhere) and everything else as it was. `changed` counts the series converted.
 */
export function toDefaultExposition(text: string, ruleDir: string): { text: string; changed: number } {
  const doc = parse(text) as TestFile;
  let changed = 0;
  doc.rule_files = (doc.rule_files ?? []).map((f) => (f.startsWith('/') ? f : `${ruleDir}/${f}`));
  for (const t of doc.tests ?? []) {
    for (const s of t.input_series ?? []) {
      if (!isStateSeries(s.series)) continue;
      const values = currentStateOnly(String(s.values), s.series);
      if (values !== expandValues(String(s.values)).join(' ')) changed++;
      s.values = values;
    }
  }
  return { text: stringify(doc, { lineWidth: 0 }), changed };
}
