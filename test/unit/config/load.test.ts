import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig, parseArgs } from '../../../src/config/load.js';
import { problems, yamlFile } from '../../helpers/config.js';

describe('defaults and precedence', () => {
  test('one flag is enough; defaults follow the design', () => {
    const c = loadConfig({ argv: ['--connect.url', 'http://connect:8083'], env: {} });
    expect(c.clusters).toHaveLength(1);
    expect(c.clusters[0]).toMatchObject({ name: 'default', url: 'http://connect:8083' });
    expect(c.poll).toEqual({ intervalMs: 15_000, timeoutMs: 10_000, staleAfterMs: 45_000, jitter: 0.1 });
    expect(c.web).toEqual({ port: 9840, telemetryPath: '/metrics' });
    expect(c.clusters[0]!.restart).toMatchObject({
      enabled: false,
      maxAttempts: 10,
      backoffBaseMs: 60_000,
      backoffMaxMs: 3_600_000,
    });
    expect(c.clusters[0]!.kafka).toBeUndefined();
  });

  test('file < env < flag', () => {
    const file = yamlFile(
      'poll:\n  interval: 30s\n  timeout: 5s\nlog:\n  level: debug\nclusters:\n  - name: prod\n    url: http://a:8083\n',
    );
    const c = loadConfig({
      argv: ['--config.file', file, '--poll.interval', '2s'],
      env: { POLL_INTERVAL: '20s', POLL_TIMEOUT: '4s' },
    });
    expect(c.poll.intervalMs).toBe(2000);
    expect(c.poll.timeoutMs).toBe(4000);
    expect(c.poll.staleAfterMs).toBe(6000);
    expect(c.log.level).toBe('debug');
    // With one cluster in the file, flags and env apply to it.
    const d = loadConfig({ argv: ['--config.file', file, '--kafka.brokers', 'k1:9092,k2:9092'], env: {} });
    expect(d.clusters).toHaveLength(1);
    expect(d.clusters[0]!.kafka?.brokers).toEqual(['k1:9092', 'k2:9092']);
  });

  test('several clusters, each with its own auth; secrets from files and env', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-secret-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    writeFileSync(join(dir, 'token'), 'tok');
    const file = yamlFile(
      [
        'clusters:',
        '  - name: a',
        '    url: https://a:8443',
        '    username: admin',
        `    passwordFile: ${join(dir, 'pw')}`,
        '  - name: b',
        '    url: http://b:8083',
        `    bearerTokenFile: ${join(dir, 'token')}`,
        '  - name: c',
        '    url: http://c:8083',
        '    username: ops',
        '    passwordEnv: C_PASSWORD',
        '    restart:',
        '      enabled: true',
      ].join('\n'),
    );
    const c = loadConfig({ argv: ['--config.file', file], env: { C_PASSWORD: 'envpw' } });
    expect(c.clusters.map((x) => x.name)).toEqual(['a', 'b', 'c']);
    expect(c.clusters[0]!.basicAuth).toEqual({ username: 'admin', password: 's3cret' });
    expect(c.clusters[1]!.bearerTokenFile).toBe(join(dir, 'token'));
    expect(c.clusters[2]!.basicAuth).toEqual({ username: 'ops', password: 'envpw' });
    expect(c.clusters[2]!.restart.enabled).toBe(true);
    expect(c.clusters[0]!.restart.enabled).toBe(false);
  });

  test('CONNECT_PASSWORD and CONNECT_USERNAME configure the flag cluster', () => {
    const c = loadConfig({
      argv: [],
      env: { CONNECT_URL: 'http://x:1', CONNECT_USERNAME: 'u', CONNECT_PASSWORD: 'p' },
    });
    expect(c.clusters[0]!.basicAuth).toEqual({ username: 'u', password: 'p' });
  });

  test('repeatable webhook flag and bool flags with and without a value', () => {
    const c = loadConfig({
      argv: [
        '--connect.url=http://x:1',
        '--notify.webhook-url',
        'http://h/1',
        '--notify.webhook-url=http://h/2',
        '--restart.enabled',
        '--restart.dry-run',
        'false',
      ],
      env: {},
    });
    expect(c.notify.webhookUrls).toEqual(['http://h/1', 'http://h/2']);
    expect(c.clusters[0]!.restart.enabled).toBe(true);
    expect(c.clusters[0]!.restart.dryRun).toBe(false);
  });

  test('--help and --version', () => {
    const h = parseArgs({ argv: ['--help'], env: {} });
    expect(h.kind).toBe('help');
    if (h.kind === 'help') {
      expect(h.text).toContain('--connect.url');
      expect(h.text).toContain('Env: CONNECT_SENTINEL_CONNECT_URL (or CONNECT_URL).');
    }
    expect(parseArgs({ argv: ['--version'], env: {} }).kind).toBe('version');
  });
});

describe('bad configuration names the key', () => {
  test('no cluster at all', () => {
    expect(problems([])).toEqual([expect.stringMatching(/no Connect cluster configured/)]);
  });

  test('every problem is reported, one line each', () => {
    const p = problems([
      '--connect.url',
      'ftp://x',
      '--poll.interval',
      '15 seconds',
      '--restart.max-attempts',
      '-1',
      '--log.level',
      'loud',
      '--web.listen-address',
      'nowhere',
      '--restart.include',
      '(',
      '--kafka.brokers',
      'just-a-host',
    ]);
    expect(p).toHaveLength(7);
    expect(p.join('\n')).toMatch(/--connect.url: "ftp:\/\/x" must be an http/);
    expect(p.join('\n')).toMatch(/--poll.interval: "15 seconds" is not a duration/);
    expect(p.join('\n')).toMatch(/--restart.max-attempts: -1 is out of range/);
    expect(p.join('\n')).toMatch(/--log.level: "loud" is not one of trace, debug, info/);
    expect(p.join('\n')).toMatch(/--web.listen-address: "nowhere" is not \[host\]:port/);
    expect(p.join('\n')).toMatch(/--restart.include: "\(" is not a valid regular expression/);
    expect(p.join('\n')).toMatch(/--kafka.brokers: kafka broker "just-a-host" is not host:port/);
  });

  test('unknown flag', () => {
    expect(problems(['--connect.ulr', 'http://x'])).toEqual(['--connect.ulr: unknown flag (see --help)']);
  });

  test('env values name the variable', () => {
    expect(problems(['--connect.url', 'http://x:1'], { POLL_INTERVAL: 'soon' })).toEqual([
      'POLL_INTERVAL: "soon" is not a duration (e.g. 500ms, 15s, 2m, 1h)',
    ]);
  });

  test('unknown YAML keys name the key and the line', () => {
    const file = yamlFile(
      'poll:\n  interval: 10s\n  intervall: 5s\nclusters:\n  - name: a\n    url: http://a:1\n    usrname: x\nbogus: 1\n',
    );
    const p = problems(['--config.file', file]);
    expect(p).toHaveLength(3);
    expect(p[0]).toBe(
      `${file}:3: unknown key "poll.intervall" (known here: interval, jitter, staleAfter, timeout)`,
    );
    expect(p[1]).toMatch(new RegExp(`^${file}:7: unknown key "clusters\\[0\\].usrname"`));
    expect(p[2]).toMatch(new RegExp(`^${file}:8: unknown key "bogus"`));
  });

  test('bad YAML values name the line', () => {
    const file = yamlFile(
      'clusters:\n  - name: a\n    url: http://a:1\n  - name: a\n    url: not a url\npoll:\n  interval: 1x\n',
    );
    const p = problems(['--config.file', file]);
    expect(p).toContain(`${file}:7: poll.interval: "1x" is not a duration (e.g. 500ms, 15s, 2m, 1h)`);
    expect(p).toContain(`${file}:5: clusters[1].url: "not a url" is not a URL (e.g. http://connect:8083)`);
    expect(p.some((x) => /cluster name "a" is used twice/.test(x))).toBe(true);
  });

  test('broken YAML, missing file, missing password file', () => {
    expect(problems(['--config.file', yamlFile('poll: [\n')])[0]).toMatch(/:\d+: invalid YAML/);
    expect(problems(['--config.file', '/nonexistent/c.yaml'])[0]).toMatch(
      /--config.file: cannot read \/nonexistent\/c.yaml/,
    );
    expect(
      problems([
        '--connect.url',
        'http://x:1',
        '--connect.username',
        'u',
        '--connect.password-file',
        '/nope',
      ]),
    ).toEqual([
      '--connect.password-file: cannot read /nope: ENOENT',
      'cluster "default": username is set but no password (connect.password-file, CONNECT_SENTINEL_CONNECT_PASSWORD or passwordEnv)',
    ]);
  });

  test('credentials in the URL are refused (they would leak into logs)', () => {
    expect(problems(['--connect.url', 'http://u:p@x:1'])[0]).toMatch(/must not contain credentials/);
  });
});

test('problems come in a stable order: one per value in the order of the settings, then those across keys', () => {
  expect(problems(['--connect.url', 'ftp://x', '--poll.interval', 'often', '--connect.username=u'])).toEqual([
    '--poll.interval: "often" is not a duration (e.g. 500ms, 15s, 2m, 1h)',
    '--connect.url: "ftp://x" must be an http:// or https:// URL',
    'cluster "default": username is set but no password (connect.password-file, CONNECT_SENTINEL_CONNECT_PASSWORD or passwordEnv)',
  ]);
});
