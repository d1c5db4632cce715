import { describe, expect, test } from 'vitest';
import { readArgv } from '../../../src/config/argv.js';
import { ENV_NAMES, readEnvironment } from '../../../src/config/env.js';
import { helpText } from '../../../src/config/help.js';
import { loadConfig, parseArgs } from '../../../src/config/load.js';
import { envName, SETTINGS } from '../../../src/config/schema.js';
import { problems, yamlFile } from '../../helpers/config.js';

const FLAGGED = SETTINGS.filter((s) => s.flag !== undefined);
const URL_FLAG = '--connect.url=http://connect:8083';

describe('every flag has an environment variable by one rule', () => {
  test('the rule: CONNECT_SENTINEL_ + the flag upper-cased, "." and "-" as "_"', () => {
    expect(envName('poll.interval')).toBe('CONNECT_SENTINEL_POLL_INTERVAL');
    expect(envName('connect.tls.ca-file')).toBe('CONNECT_SENTINEL_CONNECT_TLS_CA_FILE');
    for (const s of FLAGGED) expect(s.env, s.flag).toBe(envName(s.flag as string));
  });

  test.each(FLAGGED.map((s) => [s.flag as string, s] as const))(
    '--%s and its variable set the same setting',
    (flag, setting) => {
      const fromEnv = readEnvironment({ [envName(flag)]: 'x' }, []).settings;
      expect([...fromEnv]).toEqual([[setting, { raw: 'x', origin: envName(flag) }]]);
      const argv = readArgv([`--${flag}=x`], []);
      expect(argv.kind === 'flags' && [...argv.settings.keys()]).toEqual([setting]);
    },
  );

  test('--help lists each flag with its variable and older names', () => {
    const help = helpText();
    for (const s of FLAGGED) {
      const at = help.indexOf(`\n  --${s.flag}`);
      expect(at, s.flag).toBeGreaterThan(0);
      const block = help.slice(at + 1, help.indexOf('\n  -', at + 1));
      const older = s.aliases.length > 0 ? ` (or ${s.aliases.join(', ')})` : '';
      expect(block.replace(/\s+/g, ' '), s.flag).toContain(`Env: ${s.env}${older}.`);
    }
    expect(help).toContain('CONNECT_SENTINEL_CONFIG_FILE (or CONFIG_FILE)');
    expect(help).toContain('CONNECT_SENTINEL_CONNECT_PASSWORD (or CONNECT_PASSWORD)');
  });

  test('variables by the rule configure the sidecar and the flag-defined cluster', () => {
    const c = loadConfig({
      argv: [],
      env: {
        CONNECT_SENTINEL_CONNECT_URL: 'http://x:1',
        CONNECT_SENTINEL_CONNECT_USERNAME: 'u',
        CONNECT_SENTINEL_CONNECT_PASSWORD: 'p',
        CONNECT_SENTINEL_POLL_JITTER: '0.2',
        CONNECT_SENTINEL_RESTART_DRY_RUN: 'true',
        CONNECT_SENTINEL_NOTIFY_WEBHOOK_URL: 'http://h/1,http://h/2',
        CONNECT_SENTINEL_STALE_AFTER: '1m',
        CONNECT_SENTINEL_WEB_TELEMETRY_PATH: '/m',
      },
    });
    expect(c.clusters[0]).toMatchObject({ url: 'http://x:1', basicAuth: { username: 'u', password: 'p' } });
    expect(c.clusters[0]!.restart.dryRun).toBe(true);
    expect(c.poll).toMatchObject({ jitter: 0.2, staleAfterMs: 60_000 });
    expect(c.notify.webhookUrls).toEqual(['http://h/1', 'http://h/2']);
    expect(c.web.telemetryPath).toBe('/m');
  });

  test('a problem names the variable it came from', () => {
    expect(problems([URL_FLAG], { CONNECT_SENTINEL_DLQ_PAYLOAD_LIMIT: 'lots' })).toEqual([
      'CONNECT_SENTINEL_DLQ_PAYLOAD_LIMIT: "lots" is not an integer',
    ]);
  });

  test('the older names still work; the CONNECT_SENTINEL_ name wins over them; a flag wins over both', () => {
    expect(loadConfig({ argv: [], env: { CONNECT_URL: 'http://old:1' } }).clusters[0]!.url).toBe(
      'http://old:1',
    );
    const env = { POLL_INTERVAL: '3s', CONNECT_SENTINEL_POLL_INTERVAL: '2s', CONNECT_URL: 'http://x:1' };
    expect(loadConfig({ argv: [], env }).poll.intervalMs).toBe(2000);
    expect(loadConfig({ argv: ['--poll.interval=1s'], env }).poll.intervalMs).toBe(1000);
    const sasl = loadConfig({
      argv: [URL_FLAG, '--kafka.brokers=k:9092', '--kafka.sasl.mechanism=plain', '--kafka.sasl.username=u'],
      env: { KAFKA_SASL_PASSWORD: 'old', CONNECT_SENTINEL_KAFKA_SASL_PASSWORD: 'new' },
    });
    expect(sasl.clusters[0]!.kafka?.sasl?.password).toBe('new');
  });

  test('the configuration file can be named by CONNECT_SENTINEL_CONFIG_FILE or CONFIG_FILE', () => {
    const file = yamlFile('clusters:\n  - name: f\n    url: http://f:1\n');
    for (const name of ['CONNECT_SENTINEL_CONFIG_FILE', 'CONFIG_FILE'])
      expect(loadConfig({ argv: [], env: { [name]: file } }).clusters[0]!.name).toBe('f');
    expect(problems([], { CONNECT_SENTINEL_CONFIG_FILE: '/nonexistent/c.yaml' })).toEqual([
      expect.stringMatching(/^CONNECT_SENTINEL_CONFIG_FILE: cannot read \/nonexistent\/c.yaml/),
    ]);
  });

  test('variable names are unique: no two settings read the same variable', () => {
    const names = ENV_NAMES.flat();
    expect(names).toContain('CONNECT_SENTINEL_CONFIG_FILE');
    expect(names).toContain('CONNECT_SENTINEL_REVISION');
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('an unknown CONNECT_SENTINEL_ variable', () => {
  test('exits with a problem naming it', () => {
    expect(problems([URL_FLAG], { CONNECT_SENTINEL_POLL_INTERVALL: '5s' })).toEqual([
      'CONNECT_SENTINEL_POLL_INTERVALL: unknown environment variable (the CONNECT_SENTINEL_ variables are named after the flags: see --help)',
    ]);
    // A setting without a flag has no variable either.
    expect(problems([URL_FLAG], { CONNECT_SENTINEL_PASSWORD_ENV: 'X' })).toEqual([
      expect.stringMatching(/^CONNECT_SENTINEL_PASSWORD_ENV: unknown environment variable/),
    ]);
  });

  test('other variables are none of its business, and the build revision is known', () => {
    expect(
      problems([URL_FLAG], { HOME: '/root', CONNECT_SENTINEL_REVISION: 'abc123', POLLINTERVAL: 'x' }),
    ).toEqual([]);
  });

  test('--help and --version still answer', () => {
    const env = { CONNECT_SENTINEL_TYPO: '1' };
    expect(parseArgs({ argv: ['--help'], env }).kind).toBe('help');
    expect(parseArgs({ argv: ['--version'], env }).kind).toBe('version');
  });
});
