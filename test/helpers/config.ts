/** Helpers for configuration tests: the problems a config gives, and a YAML file to load. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.js';

/** The problems loading this configuration reports, one per line (empty when it loads). */
export function problems(argv: string[], env: Record<string, string> = {}): string[] {
  try {
    loadConfig({ argv, env });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

/** Writes `text` to a config.yaml in a new temp dir and returns its path. */
export function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cs-config-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
}
