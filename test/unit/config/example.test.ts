import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { configExample, configReference } from '../../../scripts/gen-config-example.js';

const path = fileURLToPath(new URL('../../../config.example.yaml', import.meta.url));
const reference = fileURLToPath(new URL('../../../docs/config.md', import.meta.url));

test('config.example.yaml is generated from the settings table (npx tsx scripts/gen-config-example.ts)', () => {
  expect(readFileSync(path, 'utf8')).toBe(configExample());
});

test('docs/config.md is generated from the settings table (npx tsx scripts/gen-config-example.ts)', () => {
  expect(readFileSync(reference, 'utf8')).toBe(configReference());
});

test('config.example.yaml loads, and its values are the defaults', () => {
  const fromExample = loadConfig({ argv: ['--config.file', path], env: {} });
  const fromFlags = loadConfig({ argv: ['--connect.url', 'http://127.0.0.1:8083'], env: {} });
  expect(fromExample).toEqual(fromFlags);
});
