/**
 * The build the image makes (its build stage runs `npm run build`), and the entrypoint's script run by this
 * Node as a process: the compiler and a real process, so with the integration tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
};

describe('the build the image makes', () => {
  test('tsc -p tsconfig.build.json emits a main.js that this Node runs (--help, --version)', () => {
    const out = path.join(ROOT, '.cache', 'docker-build-test');
    fs.rmSync(out, { recursive: true, force: true });
    // Inside the repo so node_modules resolves as it does in /app.
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      { cwd: ROOT, stdio: 'pipe' },
    );
    const main = path.join(out, pkg.bin['connect-sentinel']?.replace(/^dist\//, '') ?? '');
    expect(fs.readFileSync(main, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    const help = spawnSync(process.execPath, [main, '--help'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: connect-sentinel/);
    expect(help.stdout).toContain('--web.config.file');
    expect(help.stdout).toContain('--connect.scope');
    const bad = spawnSync(process.execPath, [main, '--connect.url=nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('connect-sentinel: config: --connect.url');
    fs.rmSync(out, { recursive: true, force: true });
  }, 180_000);
});
