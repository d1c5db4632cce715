/**
 * For tests that need to stop, kill or restart things: start PRIVATE brokers/workers inside the test
 * process (never touch the shared stack from global-setup). Call `stopAll()` in afterAll.
 */
import type { StackInfo } from './context.js';
import {
  startConnect,
  startKafka,
  type ConnectWorker,
  type KafkaBroker,
  type StartConnectOptions,
  type StartKafkaOptions,
} from './launcher.js';

export { stopAll, targetOf, type ConnectWorker, type KafkaBroker } from './launcher.js';

let seq = 0;
function uniqueGroup(): string {
  return `sentinel-private-${process.pid}-${Date.now().toString(36)}-${++seq}`;
}

/**
 * An extra Connect worker on the SHARED broker. By default in its own new group (= its own Connect
 * cluster with its own internal topics), so stopping/killing it cannot disturb the shared workers.
 */
export function startExtraWorker(stack: StackInfo, opts: StartConnectOptions = {}): Promise<ConnectWorker> {
  return startConnect(
    { bootstrap: stack.bootstrap, version: stack.kafkaVersion },
    { groupId: uniqueGroup(), ...opts },
  );
}

export interface PrivateStack {
  kafka: KafkaBroker;
  workers: ConnectWorker[];
  /** Stops this stack's processes (workers first). */
  stop(): Promise<void>;
}

/** A whole private stack: its own broker + `workers` Connect workers in one group. */
export async function startPrivateStack(
  opts: { version?: string; workers?: number; kafka?: StartKafkaOptions; connect?: StartConnectOptions } = {},
): Promise<PrivateStack> {
  const kafka = await startKafka({ ...opts.kafka, ...(opts.version ? { version: opts.version } : {}) });
  const groupId = opts.connect?.groupId ?? uniqueGroup();
  const workers: ConnectWorker[] = [];
  for (let i = 0; i < (opts.workers ?? 1); i++)
    workers.push(await startConnect(kafka, { ...opts.connect, groupId }));
  return {
    kafka,
    workers,
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await kafka.stop();
    },
  };
}
