/**
 * `npm run bench`: every bench in sequence, each printing its figures and its ratio to a baseline measured
 * in the same run. `npm run bench -- poll render` runs only the named ones (poll, scrape, render, footprint,
 * replay, status, cardinality, prometheus). `prometheus` (10 minutes, needs the prometheus binary) runs only when named.
 */
import os from 'node:os';
import { benchCardinality } from './cardinality.js';
import { benchFootprint } from './footprint.js';
import { benchPollRequests } from './poll-requests.js';
import { benchPrometheusCost } from './prometheus-cost.js';
import { benchRender } from './render.js';
import { benchReplay } from './replay.js';
import { benchScrapeLatency } from './scrape-latency.js';
import { benchStatusTopic } from './status-topic.js';

const BENCHES: Record<string, () => Promise<unknown>> = {
  poll: benchPollRequests,
  scrape: benchScrapeLatency,
  render: benchRender,
  footprint: benchFootprint,
  replay: benchReplay,
  status: benchStatusTopic,
  cardinality: benchCardinality,
  prometheus: benchPrometheusCost,
};
const ONLY_WHEN_NAMED = new Set(['prometheus']);

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !(w in BENCHES));
  if (unknown.length > 0)
    throw new Error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  const cpus = os.cpus();
  console.log(
    `connect-sentinel benches — nproc ${os.availableParallelism()} (os.cpus ${cpus.length}: ${cpus[0]?.model ?? '?'}), ` +
      `node ${process.version}, ${os.platform()} ${os.release()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, ` +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  for (const [name, bench] of Object.entries(BENCHES)) {
    if (wanted.length > 0 ? !wanted.includes(name) : ONLY_WHEN_NAMED.has(name)) continue;
    const started = Date.now();
    await bench();
    console.log(`  (${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
