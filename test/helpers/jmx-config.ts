/**
 * Reads deploy/jmx/kafka-connect.yml, the JMX exporter configuration connect-sentinel ships, into
 * what the tests check: which metric each rule produces, from which MBean group and attribute, with
 * which type and labels. The set of JMX series the rules and dashboards may use comes from here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const JMX_CONFIG_FILE = fileURLToPath(new URL('../../deploy/jmx/kafka-connect.yml', import.meta.url));

export type JmxMetricType = 'COUNTER' | 'GAUGE';

export interface JmxRule {
  pattern: string;
  name: string;
  type: JmxMetricType;
  help: string;
  labels: Record<string, string>;
  /** The `type=` of the MBean the pattern reads, e.g. task-error-metrics. */
  group: string;
  /** The attribute(s) the pattern reads: one name, or the alternatives of a `(a|b)` group. */
  attributes: string[];
  value?: number;
  valueFactor?: number;
  /** Whether the agent keeps this rule's match per bean attribute between scrapes. */
  cache: boolean;
}

export interface JmxConfig {
  includeObjectNames: string[];
  rules: JmxRule[];
}

// ^kafka\.connect<type=GROUP[, key=...]><>ATTRIBUTE(:| value)
const PATTERN = /^\^kafka\\\.connect<type=([a-z-]+)(?:, [^>]*)?><>([a-z()|-]+?)(?::|: )/;

function fail(file: string, where: string, problem: string): never {
  throw new Error(`${file}: ${where}: ${problem}`);
}

/** The attribute names a pattern's attribute part matches: `x-(a|b)-y` → x-a-y, x-b-y. */
function expandAttributes(text: string): string[] {
  const m = /^([a-z-]*)\(([a-z|-]+)\)([a-z-]*)$/.exec(text);
  if (m === null) return [text];
  return (m[2] ?? '').split('|').map((alt) => `${m[1] ?? ''}${alt}${m[3] ?? ''}`);
}

export function readJmxConfig(file: string = JMX_CONFIG_FILE): JmxConfig {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  if (doc === null || typeof doc !== 'object') fail(file, 'top level', 'not a YAML mapping');
  const include = doc['includeObjectNames'];
  if (!Array.isArray(include) || !include.every((x) => typeof x === 'string'))
    fail(file, 'includeObjectNames', 'must be a list of ObjectName patterns');
  const rawRules = doc['rules'];
  if (!Array.isArray(rawRules) || rawRules.length === 0) fail(file, 'rules', 'must be a non-empty list');
  const rules = rawRules.map((raw: unknown, i): JmxRule => {
    const where = `rules[${i}]`;
    if (raw === null || typeof raw !== 'object') fail(file, where, 'not a mapping');
    const r = raw as Record<string, unknown>;
    const { pattern, name, type, help } = r;
    if (typeof pattern !== 'string') fail(file, where, 'pattern missing');
    if (typeof name !== 'string') fail(file, where, 'name missing (every rule names its metric)');
    if (name.includes('$')) fail(file, where, `name ${name} is built from a capture group`);
    if (type !== 'COUNTER' && type !== 'GAUGE')
      fail(file, where, `type ${String(type)} is not COUNTER or GAUGE`);
    if (typeof help !== 'string' || help === '') fail(file, where, 'help missing');
    const m = PATTERN.exec(pattern);
    if (m === null) fail(file, where, `pattern ${pattern} does not read one kafka.connect attribute`);
    const labels = (r['labels'] ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(labels))
      if (typeof v !== 'string') fail(file, where, `label ${k} is not a string`);
    const rule: JmxRule = {
      pattern,
      name,
      type,
      help,
      labels: labels as Record<string, string>,
      group: m[1] ?? '',
      attributes: expandAttributes(m[2] ?? ''),
      cache: r['cache'] === true,
    };
    if (typeof r['value'] === 'number') rule.value = r['value'];
    if (typeof r['valueFactor'] === 'number') rule.valueFactor = r['valueFactor'];
    return rule;
  });
  return { includeObjectNames: include as string[], rules };
}

/** Metric name → its rule, as the agent exposes them (COUNTER names already end in `_total`). */
export function jmxMetrics(config: JmxConfig = readJmxConfig()): Map<string, JmxRule> {
  return new Map(config.rules.map((r) => [r.name, r]));
}
