/**
 * Bench 4: resident memory and event-loop delay at 5,000 connectors × 8 tasks over a number of polls, with a
 * Prometheus-like scraper (gzip, one scrape a second). connect-sentinel versus the prom-client baseline
 * under the same polls and scrapes. Each server runs in its own process and reports about itself.
 */
import http from 'node:http';
import { spawnChild, type Child } from './lib/child.js';
import type { ProcessFigures } from './lib/probe.js';
import { mb, ms, ratio, table } from './lib/stats.js';

const CONNECTORS = 5_000;
const TASKS = 8;
const POLL_MS = 3_000;
const WINDOW_MS = 30_000;
const SCRAPE_EVERY_MS = 1_000;

interface Figures extends ProcessFigures {
  readonly polls: number;
  readonly scrapes: number;
  readonly requestsLastPoll?: number;
  readonly pollMs?: number[];
}

async function scrapeEverySecond(url: string, untilMs: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let n = 0;
  try {
    while (Date.now() < untilMs) {
      const next = Date.now() + SCRAPE_EVERY_MS;
      await new Promise<void>((resolve, reject) => {
        http
          .get(`${url}/metrics`, { agent, headers: { 'accept-encoding': 'gzip' } }, (res) => {
            res.resume();
            res.on('end', () => resolve());
            res.on('error', reject);
          })
          .on('error', reject);
      });
      n++;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  } finally {
    agent.destroy();
  }
  return n;
}

async function observe(server: Child, url: string): Promise<Figures> {
  await server.call('reset');
  const scrapes = await scrapeEverySecond(url, Date.now() + WINDOW_MS);
  return { ...(await server.call<Omit<Figures, 'scrapes'>>('stats')), scrapes };
}

export async function benchFootprint(): Promise<{ ours: Figures; base: Figures }> {
  console.log(
    `\n## 4. RSS and event-loop delay at ${CONNECTORS} connectors × ${TASKS} tasks ` +
      `(poll every ${POLL_MS / 1000} s, a gzip scrape every ${SCRAPE_EVERY_MS / 1000} s, ${WINDOW_MS / 1000} s each)`,
  );
  const sim = await spawnChild('./sim-process.ts');
  let ours: Figures;
  let base: Figures;
  try {
    const simUrl = await sim.call<string>('start', { connectors: CONNECTORS, tasksPerConnector: TASKS });
    const s = await spawnChild('./sentinel-process.ts');
    try {
      const { url } = await s.call<{ url: string }>('start', simUrl, {
        intervalMs: POLL_MS,
        timeoutMs: 30_000,
      });
      ours = await observe(s, url);
      await s.call('stop');
    } finally {
      await s.close();
    }
    const b = await spawnChild('./promclient-process.ts');
    try {
      const { url } = await b.call<{ url: string }>('start', simUrl, POLL_MS);
      base = await observe(b, url);
      await b.call('stop');
    } finally {
      await b.close();
    }
  } finally {
    await sim.close();
  }
  table([
    ['server', 'polls', 'scrapes', 'RSS MB', 'max RSS MB', 'heap MB', 'delay p50 ms', 'p99 ms', 'max ms'],
    ...[
      ['sentinel', ours],
      ['prom-client per scrape', base],
    ].map(([name, f]) => {
      const x = f as Figures;
      return [
        name as string,
        String(x.polls),
        String(x.scrapes),
        mb(x.rssBytes),
        mb(x.maxRssBytes),
        mb(x.heapUsedBytes),
        ms(x.delay.p50),
        ms(x.delay.p99),
        ms(x.delay.max),
      ];
    }),
  ]);
  const polls = ours.pollMs ?? [];
  console.log(
    `  sentinel: ${ours.requestsLastPoll ?? '?'} REST request(s) in the last poll; poll durations ${polls.map((p) => ms(p)).join(', ')} ms`,
  );
  console.log(
    `  baseline/sentinel: max RSS ${ratio(base.maxRssBytes / ours.maxRssBytes)}, delay p99 ${ratio(base.delay.p99 / ours.delay.p99)}, ` +
      `max ${ratio(base.delay.max / ours.delay.max)}; scrapes answered ${ours.scrapes} vs ${base.scrapes}`,
  );
  console.log(
    `  target RSS < 250 MB: ${ours.maxRssBytes < 250 * 2 ** 20 ? 'MET' : 'MISSED'} (max ${mb(ours.maxRssBytes)} MB)`,
  );
  console.log(
    `  target event-loop delay < 100 ms: p99 ${ours.delay.p99 < 100 ? 'MET' : 'MISSED'} (${ms(ours.delay.p99)} ms), ` +
      `max ${ours.delay.max < 100 ? 'MET' : 'MISSED'} (${ms(ours.delay.max)} ms: the longest single block, once per poll)`,
  );
  return { ours, base };
}
