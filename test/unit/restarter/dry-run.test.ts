/**
 * `--restart.dry-run` on its own (docs/restart.md "Dry-run"): a real Sentinel against a fake Connect whose
 * task 1 is FAILED decides the restart, logs it and counts it, and sends Connect nothing; with
 * `--restart.enabled` and without dry-run the same poll sends the restart.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { Sentinel } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { value } from '../../helpers/exposition.js';
import { json, startFakeConnect, type FakeConnect } from '../../helpers/fake-connect.js';

/** One sink connector `orders` whose task 1 is FAILED; restarts answer 202. */
function failedTaskConnect(): Promise<FakeConnect> {
  return startFakeConnect((req, res) => {
    if (req.method === 'POST') return json(res, 202, {});
    if (req.url === '/') return json(res, 200, { version: '4.1.2', commit: 'abc', kafka_cluster_id: 'K' });
    json(res, 200, {
      orders: {
        status: {
          name: 'orders',
          connector: { state: 'RUNNING', worker_id: '127.0.0.1:8083' },
          tasks: [
            { id: 0, state: 'RUNNING', worker_id: '127.0.0.1:8083' },
            {
              id: 1,
              state: 'FAILED',
              worker_id: '127.0.0.1:8083',
              trace: 'java.lang.RuntimeException: boom',
            },
          ],
          type: 'sink',
        },
        info: { name: 'orders', config: { 'connector.class': 'S', topics: 'in' }, tasks: [], type: 'sink' },
      },
    });
  });
}

interface Run {
  readonly posts: string[];
  readonly attempts: number | undefined;
  readonly logs: { msg: string; dryRun?: boolean; connector?: string; restart?: unknown }[];
}

let fake: FakeConnect | undefined;
let sentinel: Sentinel | undefined;
afterEach(async () => {
  await sentinel?.stop();
  await fake?.close();
  sentinel = fake = undefined;
});

/** Starts a Sentinel with `flags` (or a config file's text), polls once and returns what it did. */
async function runOnce(flags: string[], file?: string): Promise<Run> {
  fake = await failedTaskConnect();
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (b: Buffer) => lines.push(...b.toString('utf8').split('\n').filter(Boolean)));
  const config = loadConfig({
    argv: [
      '--web.listen-address',
      '127.0.0.1:0',
      '--poll.interval',
      '1h',
      ...(file === undefined ? ['--connect.url', fake.url] : ['--config.file', 'sentinel.yaml']),
      ...flags,
    ],
    env: {},
    ...(file === undefined ? {} : { readFile: () => file.replace('FAKE_URL', fake!.url) }),
  });
  sentinel = new Sentinel(config, createLogger('info', 'json', out));
  await sentinel.start();
  await sentinel.firstPolls();
  const text = await (await fetch(`${sentinel.url}/metrics`)).text();
  return {
    posts: fake.requests.filter((r) => r.method === 'POST').map((r) => r.url),
    attempts: value(text, 'connect_sentinel_restart_attempts_total', { connector: 'orders' }),
    logs: lines.map((l) => JSON.parse(l) as Run['logs'][number]),
  };
}

describe('--restart.dry-run on its own', () => {
  test('decides, logs and counts the restart, and sends nothing to Connect', async () => {
    const r = await runOnce(['--restart.dry-run']);
    expect(r.posts).toEqual([]);
    expect(r.attempts).toBe(1);
    expect(r.logs.filter((l) => l.msg === 'would restart (dry-run)')).toEqual([
      expect.objectContaining({ connector: 'orders', dryRun: true }),
    ]);
    expect(r.logs.find((l) => l.msg === 'connect-sentinel started')).toMatchObject({
      clusters: [expect.objectContaining({ restart: 'dry-run' })],
    });
  });

  test('with --restart.enabled too it is still a dry-run', async () => {
    const r = await runOnce(['--restart.enabled', '--restart.dry-run']);
    expect(r.posts).toEqual([]);
    expect(r.attempts).toBe(1);
  });

  test('--restart.enabled alone sends the restart (the contrast)', async () => {
    const r = await runOnce(['--restart.enabled']);
    expect(r.posts).toEqual(['/connectors/orders/restart?includeTasks=true&onlyFailed=true']);
    expect(r.attempts).toBe(1);
    expect(r.logs.filter((l) => l.msg === 'restarting')).toHaveLength(1);
    expect(r.logs.find((l) => l.msg === 'connect-sentinel started')).toMatchObject({
      clusters: [expect.objectContaining({ restart: 'on' })],
    });
  });

  test('neither flag: no decision, no series, no request', async () => {
    const r = await runOnce([]);
    expect(r.posts).toEqual([]);
    expect(r.attempts).toBeUndefined();
    expect(r.logs.some((l) => /restart/.test(l.msg))).toBe(false);
  });

  test('clusters[].restart.dryRun: true in the config file is a dry-run for that cluster', async () => {
    const r = await runOnce(
      [],
      'clusters:\n  - name: staging\n    url: FAKE_URL\n    restart: { dryRun: true }\n',
    );
    expect(r.posts).toEqual([]);
    expect(r.attempts).toBe(1);
    expect(r.logs.filter((l) => l.msg === 'would restart (dry-run)')).toHaveLength(1);
  });

  test('under a global --restart.dry-run, restart: { enabled: true, dryRun: false } makes one cluster live', async () => {
    const r = await runOnce(
      ['--restart.dry-run'],
      'clusters:\n  - name: prod\n    url: FAKE_URL\n    restart: { enabled: true, dryRun: false }\n',
    );
    expect(r.posts).toEqual(['/connectors/orders/restart?includeTasks=true&onlyFailed=true']);
  });
});
