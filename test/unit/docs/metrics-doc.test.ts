import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { FAMILIES } from '../../../src/exposition/families.js';

const doc = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');

interface Row {
  name: string;
  type: string;
  labels: string[];
}

function rows(): Row[] {
  const out: Row[] = [];
  for (const line of doc.split('\n')) {
    const m = /^\|\s*`?([a-z_:]+)`?\s*\|\s*(\w+)\s*\|([^|]*)\|/.exec(line);
    if (!m || m[1] === 'metric') continue;
    const labels = (m[3] ?? '')
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean);
    out.push({ name: m[1]!, type: m[2]!, labels });
  }
  return out;
}

test('docs/metrics.md has one row per family, with its type and labels', () => {
  const documented = rows();
  expect(documented.map((r) => r.name).sort()).toEqual(FAMILIES.map((f) => f.name).sort());
  for (const f of FAMILIES) {
    const row = documented.find((r) => r.name === f.name)!;
    expect(row.type, f.name).toBe(f.type);
    expect(row.labels, f.name).toEqual([...f.labels]);
  }
});
