/**
 * Imports point down only. Each folder of src/ is a layer; a file may import its own folder and the layers
 * below it, never a layer above, and never a sibling of the same rank (consumers of a snapshot know nothing of
 * each other). The configuration loader is for the composition only: every other part gets its settings.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

/** Highest first. Files of one row may not import each other's folders. */
const LAYERS: readonly (readonly string[])[] = [
  ['main.ts'],
  ['app.ts'],
  ['cli'],
  ['http'],
  ['exposition', 'restarter', 'notify'],
  ['poller'],
  ['kafka'],
  ['state'],
  ['connect'],
  ['config'],
  ['lib', 'log.ts', 'version.ts', 'yield.ts'],
];
const LOADER = 'config/load.ts';
const MAY_LOAD = new Set(['main.ts', 'app.ts', 'cli']);

function layerOf(rel: string): string {
  const top = rel.split('/')[0] as string;
  if (!LAYERS.some((row) => row.includes(top)))
    throw new Error(`${rel}: in no layer; add its folder to LAYERS`);
  return top;
}
const rankOf = (layer: string): number => LAYERS.length - LAYERS.findIndex((row) => row.includes(layer));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file, static and dynamic, resolved to paths under src/ (`.js` → `.ts`). */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    const target = path.resolve(path.dirname(file), (m[1] as string).replace(/\.js$/, '.ts'));
    out.push(path.relative(SRC, target).split(path.sep).join('/'));
  }
  return out;
}

/** Every import that breaks a rule, as "from → to: why". */
export function violations(sources: readonly { rel: string; imports: readonly string[] }[]): string[] {
  const problems: string[] = [];
  for (const { rel, imports } of sources) {
    const from = layerOf(rel);
    for (const to of imports) {
      const target = layerOf(to);
      if (to === LOADER && !MAY_LOAD.has(from)) {
        problems.push(`${rel} → ${to}: only the composition loads configuration`);
        continue;
      }
      if (target === from) continue;
      const [a, b] = [rankOf(from), rankOf(target)];
      if (a < b) problems.push(`${rel} → ${to}: imports a higher layer (${target} above ${from})`);
      else if (a === b)
        problems.push(`${rel} → ${to}: siblings ${from} and ${target} must not know each other`);
    }
  }
  return problems;
}

describe('layers', () => {
  const sources = files(SRC).map((f) => ({
    rel: path.relative(SRC, f).split(path.sep).join('/'),
    imports: importsOf(f),
  }));

  test('every import of src/ points down (or stays in its folder)', () => {
    expect(sources.length).toBeGreaterThan(30);
    expect(sources.reduce((n, s) => n + s.imports.length, 0)).toBeGreaterThan(100);
    expect(violations(sources)).toEqual([]);
  });

  test('the rule catches an upward import, a sibling import, a loader import and a dynamic import', () => {
    expect(
      violations([
        { rel: 'kafka/hooks.ts', imports: ['http/server.ts'] },
        { rel: 'notify/events.ts', imports: ['restarter/restarter.ts'] },
        { rel: 'http/web-config.ts', imports: ['config/load.ts'] },
        { rel: 'restarter/healing.ts', imports: ['app.ts'] },
        { rel: 'state/snapshot.ts', imports: ['state/dlq.ts', 'connect/types.ts', 'lib/limit.ts'] },
      ]),
    ).toEqual([
      'kafka/hooks.ts → http/server.ts: imports a higher layer (http above kafka)',
      'notify/events.ts → restarter/restarter.ts: siblings notify and restarter must not know each other',
      'http/web-config.ts → config/load.ts: only the composition loads configuration',
      'restarter/healing.ts → app.ts: imports a higher layer (app.ts above restarter)',
    ]);
    const file = path.join(SRC, 'kafka', 'x.ts');
    expect(
      importsOf(file, "const m = await import('../http/server.js');\nimport type { A } from './a.js';"),
    ).toEqual(['http/server.ts', 'kafka/a.ts']);
  });
});
