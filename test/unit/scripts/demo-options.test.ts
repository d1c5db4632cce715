/**
 * The demo's command line and its port check (scripts/demo-options.ts): what `npm run demo -- ...` accepts,
 * and the one line a user gets for a bad argument or a taken port.
 */
import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import {
  checkDemoPort,
  DEFAULT_DEMO_PORT,
  DemoUsageError,
  parseDemoArgs,
} from '../../../scripts/demo-options.js';

describe('parseDemoArgs', () => {
  test.each([
    [[], { port: DEFAULT_DEMO_PORT, restart: false, help: false }],
    [['--port', '9841'], { port: 9841, restart: false, help: false }],
    [['--port=19840', '--restart'], { port: 19840, restart: true, help: false }],
    [['-h'], { port: DEFAULT_DEMO_PORT, restart: false, help: true }],
  ])('%j', (argv, expected) => {
    expect(parseDemoArgs(argv)).toEqual(expected);
  });

  test.each([
    [['--port'], '--port needs a port number from 1 to 65535, got nothing'],
    [['--port', 'abc'], '--port needs a port number from 1 to 65535, got "abc"'],
    [['--port=70000'], '--port needs a port number from 1 to 65535, got "70000"'],
    [['--port', '0'], '--port needs a port number from 1 to 65535, got "0"'],
    [['--prot', '9841'], 'unknown argument "--prot"; npm run demo -- --help lists the options'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseDemoArgs(argv)).toThrow(new DemoUsageError(message));
  });
});

describe('checkDemoPort', () => {
  const servers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  const listen = async (port = 0, host = '127.0.0.1'): Promise<number> => {
    const s = net.createServer();
    servers.push(s);
    await new Promise<void>((r) => s.listen(port, host, r));
    return (s.address() as net.AddressInfo).port;
  };

  test('a free port passes, and stays free', async () => {
    const port = await listen();
    await new Promise((r) => servers.pop()!.close(r));
    await checkDemoPort(port);
    expect(await listen(port)).toBe(port);
  });

  test('a taken port is one line with the port, the cause and a free port to use instead', async () => {
    const port = await listen();
    const err = await checkDemoPort(port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DemoUsageError);
    const message = (err as Error).message;
    expect(message).toMatch(
      new RegExp(
        `^port ${port} on 127\\.0\\.0\\.1 is taken, .*Choose another port: npm run demo -- --port \\d+$`,
      ),
    );
    const suggested = Number(/--port (\d+)$/.exec(message)?.[1]);
    expect(suggested).toBeGreaterThan(port);
    expect(await listen(suggested)).toBe(suggested);
  });

  test('a port taken on every address (0.0.0.0) counts as taken on 127.0.0.1', async () => {
    const port = await listen(0, '0.0.0.0');
    await expect(checkDemoPort(port)).rejects.toThrow(/is taken/);
  });
});
