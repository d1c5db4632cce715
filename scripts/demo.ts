/**
 * `npm run demo`: a real local Kafka + two Connect workers with healthy, failing and DLQ-producing
 * connectors (test/stack/), and connect-sentinel watching them. Runs until SIGINT (Ctrl-C) or SIGTERM,
 * then stops everything it started.
 *
 *   npm run demo -- [--port 9840] [--restart]   (--restart: auto-restart in dry-run mode)
 */
import { checkDemoPort, DEMO_HOST, DEMO_USAGE, DemoUsageError, parseDemoArgs } from './demo-options.js';

const write = (text: string): void => void process.stdout.write(text);

/** What a signal has to stop; filled in as things start. */
const running: {
  stopping: boolean;
  stopTrickle?: () => void;
  stopSentinel?: () => Promise<void>;
  stopStack?: () => Promise<void>;
} = { stopping: false };

function shutdown(): void {
  if (running.stopping) return;
  running.stopping = true;
  write('\nstopping connect-sentinel, Connect and Kafka...\n');
  running.stopTrickle?.();
  void (running.stopSentinel?.() ?? Promise.resolve())
    .catch(() => undefined)
    .then(() => running.stopStack?.())
    .catch((err: unknown) => process.stderr.write(`demo: stopping failed: ${String(err)}\n`))
    .finally(() => process.exit(0));
}

async function main(argv: string[]): Promise<void> {
  const options = parseDemoArgs(argv);
  if (options.help) {
    write(DEMO_USAGE);
    return;
  }
  await checkDemoPort(options.port);

  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Loaded only now (kafkajs, express, the stack launcher): the checks above answer before anything starts.
  const [
    { Sentinel },
    { loadConfig },
    { createLogger },
    { parseExposition },
    { startDemoStack },
    { stopAll },
  ] = await Promise.all([
    import('../src/app.js'),
    import('../src/config/load.js'),
    import('../src/log.js'),
    import('../test/helpers/exposition.js'),
    import('../test/stack/run.js'),
    import('../test/stack/launcher.js'),
  ]);
  running.stopStack = () => stopAll();
  if (running.stopping) return;

  const t0 = Date.now();
  write('starting Kafka and two Connect workers from Maven Central jars (first run downloads them)...\n');
  const stack = await startDemoStack({ prefix: 'demo' });
  if (running.stopping) return;
  running.stopTrickle = stack.trickle(5000);

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
      `${DEMO_HOST}:${options.port}`,
      '--log.format',
      'pretty',
      '--log.level',
      'warn',
      ...(options.restart ? ['--restart.dry-run'] : []),
    ],
    env: {},
  });
  const logger = createLogger(config.log.level, config.log.format);
  const sentinel = new Sentinel(config, logger);
  running.stopSentinel = () => sentinel.stop();
  await sentinel.start();
  await sentinel.firstPolls();
  if (running.stopping) return;

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
    `  page      ${sentinel.url}/`,
    `  metrics   ${sentinel.url}/metrics`,
    `  status    ${sentinel.url}/api/v1/status?pretty`,
    `  DLQ       ${sentinel.url}/api/v1/dlq?pretty`,
    '',
    'what it sees now:',
    ...on.map((s) => `  ${String(s.labels.connector).padEnd(28)} ${s.labels.state}`),
    `  ${failedTasks.length} FAILED task(s): ${failedTasks.map((s) => `${s.labels.connector}/${s.labels.task}`).join(', ')}`,
    '',
    'A good record and a poison record are produced every 5 s; watch kafka_connect_dlq_records_written_total grow.',
    ...(options.restart ? ['Healing in dry-run: look for "would restart (dry-run)" in the log.'] : []),
    'Ctrl-C (or SIGINT or SIGTERM to this process) stops everything.',
  ];
  write(`${lines.join('\n')}\n`);
}

main(process.argv.slice(2)).catch(async (err: unknown) => {
  // A signal stops the stack itself; what its stopping makes fail on the way is no news.
  if (running.stopping) return;
  if (err instanceof DemoUsageError) {
    process.stderr.write(`demo: ${err.message}\n`);
    process.exit(2);
  }
  running.stopping = true;
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  running.stopTrickle?.();
  await running.stopSentinel?.().catch(() => undefined);
  const { stopAll } = await import('../test/stack/launcher.js');
  await stopAll({ keepDirs: true });
  process.exit(1);
});
