import { describe, expect, test } from 'vitest';
import { MAX_TIMER_MS } from '../../../src/config/duration.js';
import { loadConfig } from '../../../src/config/load.js';
import { SETTINGS } from '../../../src/config/schema.js';
import { problems, yamlFile } from '../../helpers/config.js';

const URL_FLAG = '--connect.url=http://connect:8083';

describe('durations have a maximum that a timer can wait', () => {
  test('the values that overflowed setTimeout are refused, naming the key', () => {
    expect(
      problems([URL_FLAG, '--poll.interval=4w', '--poll.timeout=1000d', '--notify.timeout=1000d']),
    ).toEqual([
      '--poll.interval: 4w is above the maximum of 1d',
      '--poll.timeout: 1000d is above the maximum of 1h',
      '--notify.timeout: 1000d is above the maximum of 10m',
    ]);
  });

  const durations = SETTINGS.filter((s) => s.kind.placeholder === 'DURATION');
  test.each(durations.map((s) => [s.flag as string]))('--%s: 2^31 ms is refused', (flag) => {
    expect(problems([URL_FLAG, `--${flag}=${MAX_TIMER_MS + 1}ms`])).toEqual([
      expect.stringMatching(new RegExp(`^--${flag}: ${MAX_TIMER_MS + 1}ms is above the maximum of`)),
    ]);
  });

  test('the maximum itself is accepted', () => {
    expect(
      loadConfig({ argv: [URL_FLAG, '--poll.timeout=1h', '--stale-after=24d'], env: {} }).poll,
    ).toMatchObject({
      timeoutMs: 3_600_000,
      staleAfterMs: 24 * 86_400_000,
    });
  });
});

describe('values of the wrong shape in the file', () => {
  test('a list where one value is expected names the key and line', () => {
    const file = yamlFile(
      'poll:\n  interval: [1s]\n  timeout:\n    value: 1s\nclusters:\n  - url: [http://a:1]\n',
    );
    expect(new Set(problems(['--config.file', file]))).toEqual(
      new Set([
        `${file}:2: poll.interval: must be a single value, not a list`,
        `${file}:4: poll.timeout: must be a single value, not a mapping`,
        `${file}:6: clusters[0].url: must be a single value, not a list`,
      ]),
    );
  });

  test('a list of lists, or a mapping where a list is expected', () => {
    const file = yamlFile(
      'clusters:\n  - url: http://a:1\n    kafka:\n      brokers: [[k:1]]\nnotify:\n  webhookUrls: {a: 1}\n',
    );
    expect(new Set(problems(['--config.file', file]))).toEqual(
      new Set([
        `${file}:4: clusters[0].kafka.brokers: must be a list of single values, not of lists or mappings`,
        `${file}:6: notify.webhookUrls: must be a list, not a mapping`,
      ]),
    );
  });

  test('an empty key is unset: the default applies', () => {
    const file = yamlFile(
      'poll:\n  interval:\nclusters:\n  - url: http://a:1\n    restart:\n      enabled:\n',
    );
    const c = loadConfig({ argv: ['--config.file', file, '--restart.enabled'], env: {} });
    expect(c.poll.intervalMs).toBe(15_000);
    expect(c.clusters[0]!.restart.enabled).toBe(true);
  });
});

describe('the metrics path cannot hide another endpoint', () => {
  test.each(['/healthz', '/readyz', '/', '/api/v1/status', '/api/v1/dlq', '/api/x'])(
    '%s is refused',
    (path) => {
      expect(problems([URL_FLAG, `--web.telemetry-path=${path}`])).toEqual([
        `--web.telemetry-path: "${path}" is reserved for connect-sentinel's own endpoints (/, /healthz, /readyz, /api/...); choose another path, e.g. /metrics`,
      ]);
    },
  );

  test('a path that is no plain path is refused', () => {
    expect(problems([URL_FLAG, '--web.telemetry-path=metrics'])).toEqual([
      '--web.telemetry-path: "metrics" must start with /',
    ]);
    expect(problems([URL_FLAG, '--web.telemetry-path=/metrics?x=1'])).toEqual([
      '--web.telemetry-path: "/metrics?x=1" must be a plain path, without ?, # or spaces',
    ]);
  });

  test('other paths are fine', () => {
    expect(
      loadConfig({ argv: [URL_FLAG, '--web.telemetry-path=/apis/metrics'], env: {} }).web.telemetryPath,
    ).toBe('/apis/metrics');
  });
});

describe('a file that cannot be read or parsed', () => {
  test('a YAML syntax error is the only problem reported', () => {
    const file = yamlFile('poll: [\n');
    expect(problems(['--config.file', file, '--poll.interval=soon'])).toEqual([
      expect.stringMatching(new RegExp(`^${file}:\\d+: invalid YAML: `)),
    ]);
  });

  test('an unreadable file is the only problem reported', () => {
    expect(problems(['--config.file', '/nonexistent/c.yaml'])).toEqual([
      expect.stringMatching(/^--config.file: cannot read \/nonexistent\/c.yaml/),
    ]);
  });

  test('a file that is not a mapping is the only problem reported', () => {
    const file = yamlFile('- a\n- b\n');
    expect(problems(['--config.file', file])).toEqual([
      `${file}:1: the file must be a mapping of keys (poll:, clusters:, ...)`,
    ]);
  });

  test('an empty file is an empty configuration', () => {
    expect(problems(['--config.file', yamlFile('')])).toEqual([
      expect.stringMatching(/^no Connect cluster configured/),
    ]);
  });
});

test('restart.backoffMax below restart.backoffBase names the key', () => {
  expect(problems([URL_FLAG, '--restart.backoff-base=10m', '--restart.backoff-max=5m'])).toEqual([
    '--restart.backoff-max: 300000 ms must not be below restart.backoffBase (600000 ms)',
  ]);
});
