/** The caps a user configures reach the client, and the client's own defaults are the configuration's. */
import { expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { connectClientFor } from '../../../src/connect/factory.js';
import { CONNECT_LIMIT_DEFAULTS } from '../../../src/connect/limits.js';
import { json, startFakeConnect } from '../../helpers/fake-connect.js';

test("the client's defaults are the configuration's defaults", () => {
  const config = loadConfig({ argv: ['--connect.url', 'http://127.0.0.1:1'], env: {} });
  expect(config.limits).toEqual(CONNECT_LIMIT_DEFAULTS);
});

test('--limits.max-connectors fails a poll with more connectors, naming the cap', async () => {
  const body = Object.fromEntries(
    ['a', 'b', 'c'].map((name) => [
      name,
      {
        status: { name, connector: { state: 'RUNNING', worker_id: 'w:1' }, tasks: [], type: 'sink' },
        info: { name, config: { 'connector.class': 'X' }, tasks: [], type: 'sink' },
      },
    ]),
  );
  const fake = await startFakeConnect((_req, res) => json(res, 200, body));
  try {
    const config = loadConfig({ argv: ['--connect.url', fake.url, '--limits.max-connectors', '2'], env: {} });
    const client = connectClientFor(config.clusters[0]!, config);
    await expect(client.listConnectors(Date.now() + 5_000)).rejects.toThrow(/maxConnectors/);
    client.close();
  } finally {
    await fake.close();
  }
});
