/**
 * `connect-sentinel dlq` as an operator runs it: a real Node process (so Node's own ESM loader, not
 * vitest's, resolves kafkajs and the codec packages), its output and its exit status.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'dlq', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('connect-sentinel dlq (process)', () => {
  test('--help lists the commands and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: connect-sentinel dlq <command>/);
    for (const c of ['list', 'inspect', 'export', 'replay'])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${c} `));
  });

  test("a bad flag is one line naming it, exit 2; a bad sidecar flag is the loader's line, exit 2", async () => {
    const rate = await run(['replay', '--connector', 'c', '--rate', '0']);
    expect([rate.code, rate.stderr]).toEqual([
      2,
      'connect-sentinel dlq: --rate: "0" is not a number above 0\n',
    ]);
    const sidecar = await run([
      'inspect',
      '--connector',
      'c',
      '--connect.url',
      'http://x',
      '--poll.timeout',
      'soon',
    ]);
    expect(sidecar.code).toBe(2);
    expect(sidecar.stderr).toMatch(/^connect-sentinel dlq: config: .*poll\.timeout/);
  });

  test('Connect not answering is exit 1 with the reason', async () => {
    const port = await closedPort();
    const r = await run([
      'list',
      '--connect.url',
      `http://127.0.0.1:${port}`,
      '--kafka.brokers',
      '127.0.0.1:1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^connect-sentinel dlq: cannot list the connectors of http:\/\/127\.0\.0\.1:\d+.*ECONNREFUSED/,
    );
  });
});
