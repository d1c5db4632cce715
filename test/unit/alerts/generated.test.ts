import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { parse } from 'yaml';
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

test.each([
  ['connect-sentinel.rules.yml', 'prometheusrule.yaml', 'connect-sentinel'],
  ['kafka-connect-jmx.rules.yml', 'prometheusrule-jmx.yaml', 'connect-sentinel-jmx'],
])('the PrometheusRule of %s carries exactly its groups', (ruleFile, crdFile, name) => {
  const plain = parse(read(join(ALERTS_DIR, ruleFile))) as { groups: unknown[] };
  const crd = parse(read(join(ALERTS_DIR, crdFile))) as {
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: { groups: unknown[] };
  };
  expect(crd.apiVersion).toBe('monitoring.coreos.com/v1');
  expect(crd.kind).toBe('PrometheusRule');
  expect(crd.metadata.name).toBe(name);
  expect(crd.spec.groups).toEqual(plain.groups);
  expect(plain.groups.length).toBeGreaterThan(0);
});
