import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { expect, test } from 'vitest';
import { ALERTS_DIR, renderAll as renderAlerts } from '../../../alerts/build.js';
import { DASHBOARDS_DIR, renderAll as renderDashboards } from '../../../dashboards/build.js';

const read = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

test.each([...renderAlerts()])('alerts/%s is up to date with alerts/build.ts', (file, content) => {
  const committed = read(join(ALERTS_DIR, file));
  expect(committed, `alerts/${file} is stale: run npx tsx alerts/build.ts`).toBe(content);
});

test.each([...renderDashboards()])(
  'dashboards/%s is up to date with dashboards/build.ts',
  (file, content) => {
    const committed = read(join(DASHBOARDS_DIR, file));
    expect(committed, `dashboards/${file} is stale: run npx tsx dashboards/build.ts`).toBe(content);
  },
);

test.each([...renderAlerts()])(
  'alerts/%s is formatted the way prettier (npm run lint) wants',
  async (file, content) => {
    const filepath = join(ALERTS_DIR, file);
    const options = (await prettier.resolveConfig(filepath)) ?? {};
    expect(await prettier.check(content, { ...options, filepath })).toBe(true);
  },
);
