/**
 * The metric names connect-sentinel exposes, read from the documentation: `docs/metrics.md`, the
 * user-facing list, kept in sync with the exporter by its own test. Prometheus's own `up` is added.
 *
 * The JMX series are not the sidecar's: they are what the shipped JMX exporter configuration
 * (deploy/jmx/kafka-connect.yml) makes a worker expose, read from that file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jmxMetrics } from '../../helpers/jmx-config.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const METRIC_TYPES = new Set([
  'gauge',
  'counter',
  'histogram',
  'summary',
  'info',
  'stateset',
  'untyped',
  'unknown',
]);

/** The file the names come from. */
export function knownMetricsSource(root: string = REPO_ROOT): string {
  return join(root, 'docs', 'metrics.md');
}

/**
 * Names from markdown table rows whose first cell is a metric name (backticks allowed) and another
 * cell is its type: `| kafka_connect_up | gauge | ... |`. A counter family documented without
 * `_total` also yields the `_total` sample name; histograms and summaries yield their suffixes.
 */
export function parseMetricTable(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('|')) continue;
    const cells = trimmed
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split('|')
      .map((c) =>
        c
          .trim()
          .replace(/^`+|`+$/g, '')
          .trim(),
      );
    const [name, ...rest] = cells;
    if (name === undefined || !METRIC_NAME.test(name) || !name.includes('_')) continue;
    const type = rest.map((c) => c.toLowerCase()).find((c) => METRIC_TYPES.has(c));
    if (type === undefined) continue;
    names.add(name);
    if (type === 'counter' && !name.endsWith('_total')) names.add(`${name}_total`);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

export function knownMetrics(root: string = REPO_ROOT): Set<string> {
  const source = knownMetricsSource(root);
  const names = parseMetricTable(readFileSync(source, 'utf8'));
  if (names.size === 0) {
    throw new Error(`${source} has no metric table rows like "| kafka_connect_up | gauge | ... |"`);
  }
  names.add('up');
  return names;
}

/** Series a worker exposes with deploy/jmx/kafka-connect.yml (not the sidecar's). */
export function jmxMetricNames(): Set<string> {
  return new Set(jmxMetrics().keys());
}
