/** The image's HEALTHCHECK script, run as Docker runs it, against a real sidecar over HTTP and HTTPS. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterAll, expect, test } from 'vitest';
import { Sentinel } from '../../../src/app.js';
import { parseArgs } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { TestPki } from '../web-config/certs.js';

const SCRIPT = fileURLToPath(new URL('../../../deploy/docker/healthcheck.mjs', import.meta.url));
const pki = new TestPki();
afterAll(() => pki.cleanup());

async function sentinel(extra: string[]): Promise<Sentinel> {
  const parsed = parseArgs({
    argv: [
      '--connect.url=http://127.0.0.1:1',
      '--web.listen-address=127.0.0.1:0',
      '--poll.interval=1h',
      ...extra,
    ],
    env: {},
  });
  if (parsed.kind !== 'run') throw new Error('expected a run config');
  const s = new Sentinel(parsed.config, silentLogger());
  await s.start();
  return s;
}

/** Async: the sidecar answering it lives in this process. */
function healthcheck(listen: string, variable = 'WEB_LISTEN_ADDRESS'): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT],
      { env: { PATH: process.env.PATH ?? '', [variable]: listen }, timeout: 15_000 },
      (err) => resolve(err ? (typeof err.code === 'number' ? err.code : null) : 0),
    );
  });
}

test('healthy over HTTP, then unhealthy once the sidecar is gone', async () => {
  const s = await sentinel([]);
  const port = new URL(s.url).port;
  expect(await healthcheck(`127.0.0.1:${port}`)).toBe(0);
  expect(await healthcheck(`:${port}`)).toBe(0); // all interfaces: asks 127.0.0.1
  expect(await healthcheck(`127.0.0.1:${port}`, 'CONNECT_SENTINEL_WEB_LISTEN_ADDRESS')).toBe(0);
  await s.stop();
  expect(await healthcheck(`127.0.0.1:${port}`)).toBe(1);
});

test('healthy over HTTPS with basic auth on (/healthz needs no password)', async () => {
  const ca = pki.ca('ca');
  const cert = pki.leaf('server', ca, 'server');
  const file = pki.write(
    'web.yml',
    `tls_server_config:\n  cert_file: ${cert.cert}\n  key_file: ${cert.key}\nbasic_auth_users:\n  a: ${bcrypt.hashSync('b', 4)}\n`,
  );
  const s = await sentinel([`--web.config.file=${file}`]);
  try {
    expect(s.url).toMatch(/^https:/);
    expect(await healthcheck(`127.0.0.1:${new URL(s.url).port}`)).toBe(0);
  } finally {
    await s.stop();
  }
});
