/**
 * The demo's command line and the check that its port is free, done before anything starts: a taken port
 * found after Kafka and Connect are up wastes their start-up and leaves the user without the fix.
 * Imports nothing heavy, so the check answers in well under a second.
 */
import net from 'node:net';

export const DEMO_HOST = '127.0.0.1';
export const DEFAULT_DEMO_PORT = 9840;

export const DEMO_USAGE =
  'Usage: npm run demo -- [--port N] [--restart]\n' +
  `  --port N    where connect-sentinel listens, on ${DEMO_HOST} (default ${DEFAULT_DEMO_PORT})\n` +
  '  --restart   heal the failing connectors in dry-run: decide and log the restarts, send none\n';

export interface DemoOptions {
  readonly port: number;
  readonly restart: boolean;
  readonly help: boolean;
}

/** A problem with how the demo was asked to run: its message is the one line the user sees. */
export class DemoUsageError extends Error {}

export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  let port = DEFAULT_DEMO_PORT;
  let restart = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [name, inline] = arg.startsWith('--port=') ? ['--port', arg.slice(7)] : [arg, undefined];
    if (name === '--port') {
      const text = inline ?? argv[++i];
      if (text === undefined || !/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535)
        throw new DemoUsageError(
          `--port needs a port number from 1 to 65535, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`,
        );
      port = Number(text);
    } else if (name === '--restart') restart = true;
    else if (name === '--help' || name === '-h') help = true;
    else
      throw new DemoUsageError(
        `unknown argument ${JSON.stringify(arg)}; npm run demo -- --help lists the options`,
      );
  }
  return { port, restart, help };
}

/** Resolves with the listen error's code (EADDRINUSE, EACCES, ...), or undefined when the port is free. */
function tryListen(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ port, host: DEMO_HOST, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Throws a DemoUsageError naming the port, why, and a free port to use instead. */
export async function checkDemoPort(port: number): Promise<void> {
  const problem = await tryListen(port);
  if (problem === undefined) return;
  const why = problem === 'EADDRINUSE' ? 'is taken' : `cannot be used (${problem})`;
  let free: number | undefined;
  for (let p = port + 1; p <= Math.min(port + 20, 65535) && free === undefined; p++)
    if ((await tryListen(p)) === undefined) free = p;
  throw new DemoUsageError(
    `port ${port} on ${DEMO_HOST} ${why}, so connect-sentinel could not listen there; ` +
      `nothing was started. Choose another port: npm run demo -- --port ${free ?? 'N'}`,
  );
}
