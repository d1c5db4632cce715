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
});
