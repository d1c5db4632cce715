/** A real Sentinel (src/app.ts) in its own process, polling a simulator; driven by a bench over IPC. */
import { Sentinel } from '../../src/app.js';
import type { Config } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import type { ClusterSnapshot } from '../../src/state/snapshot.js';
import { sentinelConfig, type PollSettings } from '../../test/sim/sentinel-config.js';
import { serve } from './child.js';
import { memoryBreakdown, ProcessProbe } from './probe.js';

let sentinel: Sentinel | undefined;
let polls = 0;
let last: ClusterSnapshot | undefined;
const pollMs: number[] = [];
const probe = new ProcessProbe();

/**
 * The cache serves plain text until the new body's gzip is made (async, in the thread pool): wait for
 * the first poll's body to be rendered and for its gzip (the gzip trailer holds the uncompressed size), so a
 * bench starts from a settled state and `stats` reports the gzip of the body it reports.
 */
async function gzipOfLatestBody(s: Sentinel, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    await s.cache.compressed();
    const gz = s.cache.gzip;
    // `polls` counts snapshots published, i.e. rendered into the cache.
    if (
      polls > 0 &&
      gz !== undefined &&
      gz.length >= 4 &&
      gz.readUInt32LE(gz.length - 4) === s.cache.length % 2 ** 32
    )
      return;
    if (Date.now() - started > timeoutMs) throw new Error('the gzip of the first body never came');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

serve({
  async start(simUrl: string, poll: PollSettings, exposition: Config['exposition'] = { stateSets: false }) {
    sentinel = new Sentinel({ ...sentinelConfig(simUrl, poll), exposition }, silentLogger(), {
      onSnapshot: (s) => {
        polls++;
        last = s;
        pollMs.push(s.connect.durationSeconds * 1000);
      },
    });
    await sentinel.start();
    await sentinel.firstPolls();
    await gzipOfLatestBody(sentinel);
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
      bodyBytes: sentinel.cache.length,
      gzipBytes: sentinel.cache.gzip?.length ?? 0,
    };
  },
  memory: memoryBreakdown,
  async stop() {
    await sentinel?.stop();
  },
});
