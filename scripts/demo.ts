/**
 * `npm run demo`: a real local Kafka + two Connect workers with healthy, failing and DLQ-producing
 * connectors (test/stack/), and connect-sentinel watching them. Runs until Ctrl-C, then stops all.
 *
 *   npm run demo -- [--port 9840] [--restart]   (--restart turns on auto-restart in dry-run mode)
 */
import { Sentinel } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/log.js';
import { parseExposition } from '../test/helpers/exposition.js';
import { startDemoStack } from '../test/stack/run.js';
import { stopAll } from '../test/stack/launcher.js';

async function main(argv: string[]): Promise<void> {
  const portIndex = argv.indexOf('--port');
  const port = portIndex >= 0 ? argv[portIndex + 1] : '9840';
  const running: { sentinel?: Sentinel } = {};
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping connect-sentinel, Connect and Kafka...\n');
    void (running.sentinel?.stop() ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => stopAll())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const t0 = Date.now();
  process.stdout.write(
    'starting Kafka and two Connect workers from Maven Central jars (first run downloads them)...\n',
  );
  const stack = await startDemoStack({ prefix: 'demo' });
  const stopTrickle = stack.trickle(5000);
  process.on('exit', stopTrickle);

  const config = loadConfig({
    argv: [
      '--connect.url',
      stack.workers[0]!.url,
      '--connect.name',
      'demo',
      '--kafka.brokers',
      stack.kafka.bootstrap,
      '--poll.interval',
      '5s',
      '--web.listen-address',
      `127.0.0.1:${port}`,
      '--log.format',
      'pretty',
      '--log.level',
      'warn',
      ...(argv.includes('--restart') ? ['--restart.enabled', '--restart.dry-run'] : []),
    ],
    env: {},
  });
  const logger = createLogger(config.log.level, config.log.format);
  const sentinel = new Sentinel(config, logger);
  running.sentinel = sentinel;
  await sentinel.start();
  await sentinel.firstPolls();

  const text = await (await fetch(`${sentinel.url}/metrics`)).text();
  const samples = parseExposition(text);
  const on = samples.filter((s) => s.name === 'kafka_connect_connector_state' && s.value === 1);
  const failedTasks = samples.filter(
    (s) => s.name === 'kafka_connect_task_state' && s.labels.state === 'FAILED' && s.value === 1,
  );
  const lines = [
    '',
    `Kafka ${stack.kafka.version} at ${stack.kafka.bootstrap}; Connect at ${stack.workers.map((w) => w.url).join(', ')}`,
    `everything up in ${((Date.now() - t0) / 1000).toFixed(0)} s; logs under ${stack.kafka.baseDir}`,
    '',
    'connect-sentinel:',
    `  metrics   ${sentinel.url}/metrics`,
    `  status    ${sentinel.url}/api/v1/status?pretty`,
    `  DLQ       ${sentinel.url}/api/v1/dlq?pretty`,
    '',
    'what it sees now:',
    ...on.map((s) => `  ${String(s.labels.connector).padEnd(28)} ${s.labels.state}`),
    `  ${failedTasks.length} FAILED task(s): ${failedTasks.map((s) => `${s.labels.connector}/${s.labels.task}`).join(', ')}`,
    '',
    'A good record and a poison record are produced every 5 s; watch kafka_connect_dlq_records_written_total grow.',
    'Ctrl-C stops everything.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<never>(() => undefined);
}

main(process.argv.slice(2)).catch(async (err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAll({ keepDirs: true });
  process.exit(1);
});
