/**
 * The process (src/main.ts) as an operator runs it: signals stop it cleanly even with a request to Connect in
 * flight, and a port that is taken is one clear line and a non-zero exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  readonly child: ChildProcess;
  readonly exit: Promise<{ code: number | null; signal: string | null }>;
  stderr: string;
  stdout: string;
}

function run(args: readonly string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r = { child, stderr: '', stdout: '' } as Run;
  child.stdout?.on('data', (c: Buffer) => (r.stdout += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (r.stderr += c.toString('utf8')));
  Object.assign(r, {
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  });
  return r;
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A Connect that takes every request and never answers. */
async function hangingConnect(): Promise<{
  url: string;
  received: () => number;
  close: () => Promise<void>;
}> {
  let received = 0;
  const server = http.createServer(() => {
    received++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('signals', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    test(`${signal} with a 30 s poll request in flight: exit 0, before the 2 s hard stop`, async () => {
      const connect = await hangingConnect();
      cleanup.push(() => connect.close());
      const r = run([
        `--connect.url=${connect.url}`,
        '--web.listen-address=127.0.0.1:0',
        '--poll.timeout=30s',
        '--log.level=info',
      ]);
      cleanup.push(() => void r.child.kill('SIGKILL'));
      await until(() => r.stdout.includes('connect-sentinel started') && connect.received() > 0, 'the poll');
      r.child.kill(signal);
      // The hard stop exits 1 after 2 s: status 0 says every part stopped on its own, in-flight requests aborted.
      expect(await r.exit).toEqual({ code: 0, signal: null });
      expect(r.stdout).toContain('shutting down');
    });
  }
});

test('a taken port: one clear line naming the address, a non-zero exit, no stack trace', async () => {
  const taken = http.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const port = (taken.address() as AddressInfo).port;
  const r = run(['--connect.url=http://127.0.0.1:1', `--web.listen-address=127.0.0.1:${port}`]);
  cleanup.push(() => void r.child.kill('SIGKILL'));
  const { code } = await r.exit;
  expect(code).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^connect-sentinel: /);
  expect(lines[0]).toContain(`127.0.0.1:${port}`);
  expect(lines[0]).toMatch(/in use/i);
});
