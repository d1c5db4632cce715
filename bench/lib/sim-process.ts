/** The Connect simulator in its own process, driven by a bench over IPC. */
import {
  startConnectSimulator,
  type ConnectSimulator,
  type Fault,
  type SimulatorOptions,
} from '../../test/sim/connect-simulator.js';
import { serve } from './child.js';

let sim: ConnectSimulator | undefined;
const must = (): ConnectSimulator => {
  if (!sim) throw new Error('simulator not started');
  return sim;
};

serve({
  async start(opts: SimulatorOptions) {
    await sim?.close();
    sim = await startConnectSimulator(opts);
    return sim.url;
  },
  setConnectors: (n: number, tasks: number) => must().setConnectors(n, tasks),
  setFault: (f: Fault | undefined) => must().setFault(f ?? undefined),
  requests: () => must().requests,
  resetRequests: () => must().resetRequests(),
  names: () => must().names(),
  churn,
});

const CHURN_STATES = ['FAILED', 'PAUSED', 'UNASSIGNED', 'RUNNING'] as const;

/**
 * Moves `count` tasks and `count / 8` connectors to another state, different ones each round (round-robin
 * over the fleet): what a busy Connect cluster does between two polls.
 */
function churn(count: number, round: number): void {
  const s = must();
  const names = s.names();
  if (names.length === 0) return;
  const state = CHURN_STATES[round % CHURN_STATES.length] as string;
  for (let i = 0; i < count; i++) {
    const name = names[(round * count + i) % names.length] as string;
    const tasks = s.connector(name)?.tasks.length ?? 0;
    if (tasks > 0) s.setTaskState(name, (round + i) % tasks, state);
    if (i % 8 === 0) s.setConnectorState(name, state === 'UNASSIGNED' ? 'RUNNING' : state);
  }
}
