/**
 * The command line of alerts/build.ts: the runbook base URL given once reaches every alert of both
 * generated files, and bad input is one line naming the problem (exit 2), never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, test } from 'vitest';
import { ALERT_NAMES, runCli, type CliIo } from '../../../alerts/build.js';
import { REPO_ROOT } from './known-metrics.js';

interface Captured extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
}

function capture(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

interface Rules {
  groups: { rules: { alert: string; annotations: { runbook_url: string } }[] }[];
}
const urlsOf = (r: Rules): Record<string, string> =>
  Object.fromEntries(r.groups.flatMap((g) => g.rules.map((x) => [x.alert, x.annotations.runbook_url])));

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('--runbook-url', () => {
  test('sets the link of every alert in the rule file and in the PrometheusRule', () => {
    dir = mkdtempSync(join(tmpdir(), 'cs-alerts-'));
    const io = capture();
    const base = 'https://git.example.com/ops/connect-sentinel/-/blob/main/';
    expect(runCli(['--runbook-url', base, '--out-dir', dir], io)).toBe(0);
    expect(io.stderr).toEqual([]);
    const plain = parse(readFileSync(join(dir, 'connect-sentinel.rules.yml'), 'utf8')) as Rules;
    const crd = parse(readFileSync(join(dir, 'prometheusrule.yaml'), 'utf8')) as { spec: Rules };
    const expected = Object.fromEntries(
      ALERT_NAMES.map((a) => [
        a,
        `https://git.example.com/ops/connect-sentinel/-/blob/main/docs/runbook.md#${a.toLowerCase()}`,
      ]),
    );
    expect(urlsOf(plain)).toEqual(expected);
    expect(urlsOf(crd.spec)).toEqual(expected);
    // --check with the same flag agrees with what it wrote; without it, the files differ from the default.
    expect(runCli(['--runbook-url', base, '--out-dir', dir, '--check'], capture())).toBe(0);
    expect(runCli(['--out-dir', dir, '--check'], capture())).toBe(1);
  });

  test('the README documents it', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/npx tsx alerts\/build\.ts --runbook-url https:\/\//);
  });
});

describe('bad input: one line naming the problem, exit 2', () => {
  test.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--job'], /'--job <value>' argument missing/],
    [['rules.yml'], /Unexpected argument 'rules\.yml'/],
    [['--runbook-url', 'git.example.com/ops'], /--runbook-url must be an http:\/\/ or https:\/\/ URL/],
    [['--for', '5 minutes'], /--for must be a Prometheus duration/],
    [['--label', 'team'], /--label must be key=value, got "team"/],
  ])('%j', (argv, message) => {
    const io = capture();
    expect(runCli(argv, io)).toBe(2);
    expect(io.stdout).toEqual([]);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(message);
    expect(io.stderr[0]).toMatch(/^alerts\/build\.ts: [^\n]+--help\n$/);
  });

  test('run as a user runs it: an unknown flag prints one line, no stack trace', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'alerts/build.ts', '--runbok-url', 'x'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "alerts/build.ts: Unknown option '--runbok-url'; see npx tsx alerts/build.ts --help\n",
    );
  });
});
