/**
 * A stack by hand (and the base of `npm run demo`): Kafka + Connect workers + every scenario, printed,
 * running until Ctrl-C.
 *
 *   npx tsx test/stack/run.ts [--workers 2] [--no-scenarios] [--trickle 5000] [--json]
 *   KAFKA_VERSION=3.9.1 npx tsx test/stack/run.ts
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startConnect, startKafka, stopAll, type ConnectWorker, type KafkaBroker } from './launcher.js';
import {
  createAllScenarios,
  getStatus,
  produce,
  waitForScenarios,
  type AllScenarios,
  type ConnectorStatus,
} from './scenarios.js';

export interface DemoStackOptions {
  version?: string;
  /** Connect workers in the one group (default 2). */
  workers?: number;
  groupId?: string;
  /** Connector/topic name prefix (default "demo"). */
  prefix?: string;
  /** Create the scenarios (default true). */
  scenarios?: boolean;
  /** Wait until every scenario reached its expected state (default true). */
  waitForStates?: boolean;
}

export interface DemoStack {
  kafka: KafkaBroker;
  workers: ConnectWorker[];
  /** Undefined when started with scenarios: false. */
  scenarios: AllScenarios | undefined;
  /** Keeps producing (one good record to the healthy sink, one bad to the DLQ converter sink) every `ms`. */
  trickle(ms: number): () => void;
  stop(): Promise<void>;
}

export async function startDemoStack(opts: DemoStackOptions = {}): Promise<DemoStack> {
  const kafka = await startKafka(opts.version ? { version: opts.version } : {});
  const groupId = opts.groupId ?? 'sentinel-demo';
  const n = opts.workers ?? 2;
  const workers = await Promise.all(Array.from({ length: n }, () => startConnect(kafka, { groupId })));
  let scenarios: AllScenarios | undefined;
  if (opts.scenarios ?? true) {
    const target = workers[0]!.url;
    scenarios = await createAllScenarios({
      target,
      bootstrap: kafka.bootstrap,
      prefix: opts.prefix ?? 'demo',
      dir: path.join(kafka.baseDir, 'scenario-files'),
    });
    if (opts.waitForStates ?? true) await waitForScenarios(target, scenarios);
  }
  const trickle = (ms: number): (() => void) => {
    if (!scenarios) return () => undefined;
    const s = scenarios;
    let i = 0;
    const timer = setInterval(() => {
      i++;
      void Promise.all([
        produce(kafka.bootstrap, s.healthySink.topics[0]!, [`tick ${i}`]),
        produce(kafka.bootstrap, s.dlqConverterSink.topics[0]!, [
          { key: `tick-${i}`, value: `not json ${i}` },
        ]),
      ]).catch((err: Error) => process.stderr.write(`trickle: ${err.message}\n`));
    }, ms);
    return () => clearInterval(timer);
  };
  return { kafka, workers, scenarios, trickle, stop: () => stopAll() };
}

function describeStatus(s: ConnectorStatus | undefined): string {
  if (!s) return '(no status)';
  const tasks = s.tasks.map((t) => `${t.id}:${t.state}`).join(' ');
  return `${s.connector.state}${tasks ? `  tasks ${tasks}` : '  (0 tasks)'}`;
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string): boolean => argv.includes(name);
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  let stopping = false;
  const shutdown = (code: number): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping the stack...\n');
    void stopAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));

  const t0 = Date.now();
  const workersArg = value('--workers');
  const stack = await startDemoStack({
    ...(workersArg ? { workers: Number(workersArg) } : {}),
    scenarios: !flag('--no-scenarios'),
  });
  const trickleMs = value('--trickle');
  if (trickleMs) stack.trickle(Number(trickleMs));

  const statuses: Record<string, ConnectorStatus | undefined> = {};
  for (const s of Object.values(stack.scenarios ?? {}))
    statuses[s.name] = await getStatus(stack.workers[0]!.url, s.name);
  if (flag('--json')) {
    process.stdout.write(
      `${JSON.stringify({
        kafkaVersion: stack.kafka.version,
        bootstrap: stack.kafka.bootstrap,
        baseDir: stack.kafka.baseDir,
        workers: stack.workers.map((w) => ({
          url: w.url,
          workerId: w.workerId,
          groupId: w.groupId,
          logFile: w.logFile,
        })),
        scenarios: stack.scenarios,
      })}\n`,
    );
  } else {
    const out: string[] = [
      `Kafka ${stack.kafka.version}  bootstrap ${stack.kafka.bootstrap}   (up in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
      `  log ${stack.kafka.logFile}`,
      ...stack.workers.map(
        (w) => `Connect ${w.url}  (worker_id ${w.workerId}, group ${w.groupId})\n  log ${w.logFile}`,
      ),
    ];
    if (stack.scenarios) {
      out.push('Connectors:');
      for (const [key, s] of Object.entries(stack.scenarios)) {
        out.push(
          `  ${s.name.padEnd(28)} ${describeStatus(statuses[s.name]).padEnd(32)} ${key}${s.dlqTopic ? `  dlq=${s.dlqTopic}` : ''}`,
        );
      }
    }
    out.push('Ctrl-C stops everything.');
    process.stdout.write(`${out.join('\n')}\n`);
  }
  setInterval(() => undefined, 1 << 30); // keep running until a signal
  await new Promise<never>(() => undefined);
}

const invokedDirectly =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).catch(async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stopAll({ keepDirs: true });
    process.exit(1);
  });
}
