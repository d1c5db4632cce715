/**
 * Writes the Grafana dashboards as JSON next to this file:
 *
 *   npx tsx dashboards/build.ts            # regenerate overview.json, dlq.json, lag.json
 *   npx tsx dashboards/build.ts --check    # exit 1 if they are out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dlqDashboard } from './dlq.js';
import type { Dashboard } from './grafana.js';
import { lagDashboard } from './lag.js';
import { overviewDashboard } from './overview.js';

export type { Dashboard, Panel } from './grafana.js';

export const DASHBOARDS_DIR = dirname(fileURLToPath(import.meta.url));

export function buildDashboards(): Map<string, Dashboard> {
  return new Map([
    ['overview.json', overviewDashboard()],
    ['dlq.json', dlqDashboard()],
    ['lag.json', lagDashboard()],
  ]);
}

export function renderDashboard(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** File name → content of every generated file. */
export function renderAll(): Map<string, string> {
  return new Map([...buildDashboards()].map(([file, d]) => [file, renderDashboard(d)]));
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  let stale = 0;
  for (const [file, content] of renderAll()) {
    const path = join(DASHBOARDS_DIR, file);
    if (check) {
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        // missing counts as out of date
      }
      if (current !== content) {
        process.stderr.write(`${path} is out of date: run npx tsx dashboards/build.ts\n`);
        stale++;
      }
    } else {
      writeFileSync(path, content);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
