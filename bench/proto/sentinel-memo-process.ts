/**
 * Prototype (bench only): the same pipeline as src/app.ts — ConnectClient, ClusterPoller, startHttpServer,
 * prom-client process metrics — with the two proposed exposition changes, to measure their effect on a
 * whole process: the per-connector Buffer memo (render-incremental.ts) in a task of its own after the
 * poll, and the gzip made once per poll in the zlib thread pool instead of gzipSync on the first scrape
 * (the new text and gzip are published together when both are ready).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ConnectClient } from '../../src/connect/client.js';
import { FAMILIES } from '../../src/exposition/families.js';
import { escapeHelp, escapeLabelValue as esc } from '../../src/exposition/text.js';
import { startHttpServer, type RunningServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import { ClusterPoller } from '../../src/poller/poller.js';
import type { ClusterSnapshot } from '../../src/state/snapshot.js';
import { REVISION, VERSION } from '../../src/version.js';
import { SIM_CLUSTER, type PollSettings } from '../../test/sim/sentinel-config.js';
import { serve } from '../lib/child.js';
import { ProcessProbe } from '../lib/probe.js';
import { IncrementalRenderer } from './render-incremental.js';

const gzip = promisify(gzipCb);
const probe = new ProcessProbe();
const headers = new Map(
  FAMILIES.map((f) => [
    f.name,
    Buffer.from(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`),
  ]),
);
const buildInfo = Buffer.from(
  `connect_sentinel_build_info{version="${esc(VERSION)}",revision="${esc(REVISION)}",nodejs_version="${esc(process.version)}"} 1\n`,
);

const metrics = { text: Buffer.alloc(0), gzip: Buffer.alloc(0) };
const renderer = new IncrementalRenderer();
const registry = new Registry();
collectDefaultMetrics({ register: registry });
let poller: ClusterPoller | undefined;
let client: ConnectClient | undefined;
let server: RunningServer | undefined;
let polls = 0;
let last: ClusterSnapshot | undefined;
const pollMs: number[] = [];
let publishing = Promise.resolve();

async function publish(s: ClusterSnapshot): Promise<void> {
  await nextTurn(); // render in a task of its own, not in the one that parsed the answer
  const extra = Buffer.from((await registry.metrics()).replace(/\n{2,}/g, '\n'));
  const text = Buffer.concat([renderer.body(s, headers, buildInfo), extra]);
  const zipped = await gzip(text, { level: 1 });
  metrics.text = text;
  metrics.gzip = zipped;
}

serve({
  async start(simUrl: string, poll: PollSettings) {
    client = new ConnectClient({ url: simUrl, requestTimeoutMs: poll.timeoutMs ?? 30_000 });
    let first: () => void = () => undefined;
    const firstDone = new Promise<void>((r) => (first = r));
    poller = new ClusterPoller({
      cluster: SIM_CLUSTER,
      client,
      intervalMs: poll.intervalMs ?? 15_000,
      timeoutMs: poll.timeoutMs ?? 30_000,
      staleAfterMs: 3 * (poll.intervalMs ?? 15_000),
      jitter: 0,
      logger: silentLogger(),
      onSnapshot: (s) => {
        polls++;
        last = s;
        pollMs.push(s.connect.durationSeconds * 1000);
        publishing = publishing.then(() => publish(s)).then(first, first);
      },
    });
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      telemetryPath: '/metrics',
      metrics,
      ready: () => last !== undefined,
      json: new Map(),
      logger: silentLogger(),
    });
    poller.start();
    await firstDone;
    probe.reset();
    return { url: server.url };
  },
  reset() {
    probe.reset();
    pollMs.length = 0;
    polls = 0;
  },
  stats() {
    return {
      ...probe.figures(),
      polls,
      pollMs: [...pollMs],
      requestsLastPoll: last?.connect.requests ?? 0,
      connectors: last?.connect.connectors.length ?? 0,
      bodyBytes: metrics.text.length,
      gzipBytes: metrics.gzip.length,
    };
  },
  async stop() {
    await poller?.stop();
    await server?.close();
    client?.close();
  },
});
