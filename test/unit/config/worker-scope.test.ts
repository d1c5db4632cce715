import { expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { problems, yamlFile } from '../../helpers/config.js';

test('cluster scope is the default: no worker id, everything published', () => {
  expect(
    loadConfig({ argv: ['--connect.url=http://connect:8083'], env: {} }).clusters[0]?.workerId,
  ).toBeUndefined();
});

test('worker scope takes the worker id from the flag, the environment or the YAML cluster', () => {
  const flag = loadConfig({
    argv: [
      '--connect.url=http://127.0.0.1:8083',
      '--connect.scope=worker',
      '--connect.worker-id=10.1.2.3:8083',
    ],
    env: {},
  });
  expect(flag.clusters[0]?.workerId).toBe('10.1.2.3:8083');
  const env = loadConfig({
    argv: [],
    env: {
      CONNECT_URL: 'http://localhost:8083',
      CONNECT_SCOPE: 'worker',
      CONNECT_WORKER_ID: 'connect-0.connect:8083',
    },
  });
  expect(env.clusters[0]?.workerId).toBe('connect-0.connect:8083');
  const file = yamlFile(
    'clusters:\n  - name: a\n    url: http://127.0.0.1:8083\n    scope: worker\n    workerId: "[fd00::1]:8083"\n',
  );
  expect(loadConfig({ argv: ['--config.file', file], env: {} }).clusters[0]?.workerId).toBe('[fd00::1]:8083');
});

test("without a worker id, the url's host:port is the worker id, since Connect names workers by advertised host:port", () => {
  expect(
    loadConfig({ argv: ['--connect.url=http://connect-1.connect:8083', '--connect.scope=worker'], env: {} })
      .clusters[0]?.workerId,
  ).toBe('connect-1.connect:8083');
  expect(
    loadConfig({ argv: ['--connect.url=https://10.0.0.7', '--connect.scope=worker'], env: {} }).clusters[0]
      ?.workerId,
  ).toBe('10.0.0.7:443');
});

test('bad worker scope settings are refused, naming the key', () => {
  expect(problems(['--connect.url=http://localhost:8083', '--connect.scope=worker'])).toEqual([
    expect.stringMatching(
      /cluster "default": scope worker with a loopback url needs workerId \(--connect.worker-id\)/,
    ),
  ]);
  expect(
    problems([
      '--connect.url=http://127.0.0.1:8083',
      '--connect.scope=worker',
      '--connect.worker-id=10.0.0.1',
    ]),
  ).toEqual([expect.stringMatching(/^--connect.worker-id: "10.0.0.1" is not host:port/)]);
  expect(problems(['--connect.url=http://c:8083', '--connect.worker-id=10.0.0.1:8083'])).toEqual([
    expect.stringMatching(/^--connect.worker-id: only used with scope worker/),
  ]);
  expect(problems(['--connect.url=http://c:8083', '--connect.scope=workers'])).toEqual([
    expect.stringMatching(/^--connect.scope: "workers" is not one of cluster, worker/),
  ]);
});
