#!/usr/bin/env node
import { Sentinel } from './app.js';
import { runDlqCli } from './cli/dlq.js';
import { ConfigError, parseArgs } from './config/load.js';
import { WebConfigError } from './http/web-config-error.js';
import { createLogger } from './log.js';
import { VERSION } from './version.js';

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'dlq') return runDlqCli(rest, { env: process.env });
  let parsed;
  try {
    parsed = parseArgs({ argv: process.argv.slice(2), env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`connect-sentinel: config: ${p}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`connect-sentinel ${VERSION} (node ${process.version})\n`);
    return 0;
  }
  const config = parsed.config;
  const logger = createLogger(config.log.level, config.log.format);
  let sentinel: Sentinel;
  try {
    sentinel = new Sentinel(config, logger);
  } catch (err) {
    // The web config file is configuration too: same exit status, one line per problem.
    if (err instanceof ConfigError || err instanceof WebConfigError) {
      for (const p of err.problems) process.stderr.write(`connect-sentinel: config: ${p}\n`);
      return 2;
    }
    throw err;
  }
  try {
    await sentinel.start();
  } catch (err) {
    process.stderr.write(`connect-sentinel: ${err instanceof Error ? err.message : String(err)}\n`);
    await sentinel.stop().catch(() => undefined);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    // SIGHUP (a closed terminal, a supervisor) stops cleanly too rather than killing mid-request.
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => stop(signal));
  });
  // Requests in flight are aborted on stop; whatever still hangs does not hold the exit past 2 s.
  const hardStop = setTimeout(() => {
    logger.error('shutdown took longer than 2 s; exiting');
    process.exit(1);
  }, 2_000);
  hardStop.unref();
  await sentinel.stop();
  logger.flush?.();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `connect-sentinel: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
