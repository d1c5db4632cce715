/** A real Sentinel (src/app.ts) in its own process, polling a simulator; driven by a bench over IPC. */
import { Sentinel } from '../../src/app.js';
import { silentLogger } from '../../src/log.js';
import type { ClusterSnapshot } from '../../src/state/snapshot.js';
import { sentinelConfig, type PollSettings } from '../../test/sim/sentinel-config.js';
import { serve } from './child.js';
import { ProcessProbe } from './probe.js';

let sentinel: Sentinel | undefined;
let polls = 0;
let last: ClusterSnapshot | undefined;
const pollMs: number[] = [];
const probe = new ProcessProbe();

serve({
  async start(simUrl: string, poll: PollSettings) {
    sentinel = new Sentinel(sentinelConfig(simUrl, poll), silentLogger(), {
      onSnapshot: (s) => {
        polls++;
        last = s;
        pollMs.push(s.connect.durationSeconds * 1000);
      },
    });
    await sentinel.start();
    await sentinel.firstPolls();
    probe.reset();
    return { url: sentinel.url };
  },
  reset() {
    probe.reset();
    pollMs.length = 0;
    polls = 0;
  },
  stats() {
    if (!sentinel) throw new Error('not started');
    return {
      ...probe.figures(),
      polls,
      pollMs: [...pollMs],
      requestsLastPoll: last?.connect.requests ?? 0,
      connectors: last?.connect.connectors.length ?? 0,
      up: last?.connect.up ?? false,
      bodyBytes: sentinel.cache.text.length,
      gzipBytes: sentinel.cache.gzip.length,
    };
  },
  async stop() {
    await sentinel?.stop();
  },
});
