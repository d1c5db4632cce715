/**
 * Bench 2: /metrics latency (p50, p99: time to the last byte) with 1 and 10 concurrent keep-alive scrapers
 * at 2,000 connectors × 8 tasks. A real Sentinel (src/app.ts) polling the simulator, versus the baseline
 * prom-client exporter that renders the same series on every scrape. Simulator, Sentinel and baseline each
 * run in their own process; the scrapers run in this one.
 */
import { spawnChild, type Child } from './lib/child.js';
import { IMAGE_RUNTIME } from './lib/image.js';
import type { ProcessFigures } from './lib/probe.js';
import { scrape, type ScrapeRun } from './lib/scraper.js';
import { mb, ms, ratio, summary, table } from './lib/stats.js';

const CONNECTORS = 2_000;
const TASKS = 8;

interface Row {
  readonly server: string;
  readonly scrapers: number;
  readonly gzip: boolean;
  readonly run: ScrapeRun;
  readonly polls: number;
  readonly delay: ProcessFigures['delay'];
}

export async function benchScrapeLatency(): Promise<Row[]> {
  console.log(
    `\n## 2. /metrics latency at ${CONNECTORS} connectors × ${TASKS} tasks (closed-loop keep-alive scrapers)`,
  );
  const sim = await spawnChild('./sim-process.ts');
  const rows: Row[] = [];
  let bodySizes = { plain: 0, gzip: 0 };
  try {
    const simUrl = await sim.call<string>('start', { connectors: CONNECTORS, tasksPerConnector: TASKS });
    const scenario = async (
      label: string,
      server: { call: <T>(op: string, ...a: unknown[]) => Promise<T> },
      url: string,
      scrapers: number,
      gzip: boolean,
      limits: { maxScrapes: number; maxMs: number },
    ): Promise<void> => {
      await server.call('reset');
      const run = await scrape(`${url}/metrics`, { concurrency: scrapers, gzip, ...limits });
      const st = await server.call<ProcessFigures & { polls: number }>('stats');
      rows.push({ server: label, scrapers, gzip, run, polls: st.polls, delay: st.delay });
    };

    /** Plain and gzip, one and ten scrapers. */
    const everyMix = async (label: string, server: Child, url: string): Promise<void> => {
      for (const gzip of [false, true]) {
        for (const scrapers of [1, 10]) {
          await scenario(label, server, url, scrapers, gzip, {
            maxScrapes: scrapers === 1 ? 200 : 600,
            maxMs: 5_000,
          });
        }
      }
    };

    // connect-sentinel at the default 15 s interval: scrapes read the buffer of the latest poll.
    const ours = await spawnChild('./sentinel-process.ts');
    try {
      const { url } = await ours.call<{ url: string }>('start', simUrl, {
        intervalMs: 15_000,
        timeoutMs: 30_000,
      });
      const st = await ours.call<{ bodyBytes: number; gzipBytes: number; connectors: number }>('stats');
      bodySizes = { plain: st.bodyBytes, gzip: st.gzipBytes };
      console.log(
        `  sentinel body: ${mb(st.bodyBytes)} MB plain, ${mb(st.gzipBytes)} MB gzip (level 1) per scrape; ` +
          `${st.connectors} connectors`,
      );
      await everyMix('sentinel', ours, url);
      await ours.call('stop');
    } finally {
      await ours.close();
    }
    // The floor: a node:http server that only writes ready buffers of the same sizes.
    const floor = await spawnChild('./floor-process.ts');
    try {
      const { url } = await floor.call<{ url: string }>('start', bodySizes.plain, bodySizes.gzip);
      await everyMix('node:http floor (ready buffer)', floor, url);
      await floor.call('stop');
    } finally {
      await floor.close();
    }
    // The same, polling every 2 s: every few scrapes meet a poll being rendered (and a fresh gzip); then
    // with the image's node flags (memory before CPU: more garbage collections).
    for (const [label, runtime] of [
      ['sentinel, poll every 2 s', { execArgv: [], env: {} }],
      ['sentinel, poll every 2 s, as the image runs node', IMAGE_RUNTIME],
    ] as const) {
      const busy = await spawnChild('./sentinel-process.ts', runtime.execArgv, runtime.env);
      try {
        const { url } = await busy.call<{ url: string }>('start', simUrl, {
          intervalMs: 2_000,
          timeoutMs: 30_000,
        });
        await scenario(label, busy, url, 10, true, { maxScrapes: 100_000, maxMs: 6_000 });
        await busy.call('stop');
      } finally {
        await busy.close();
      }
    }
    const base = await spawnChild('./promclient-process.ts');
    try {
      const { url } = await base.call<{ url: string }>('start', simUrl, 15_000);
      for (const scrapers of [1, 10]) {
        // One round each: a single prom-client render of 132,000 series takes seconds here.
        await scenario('prom-client per scrape', base, url, scrapers, false, {
          maxScrapes: scrapers === 1 ? 3 : 10,
          maxMs: 5_000,
        });
      }
      await base.call('stop');
    } finally {
      await base.close();
    }
  } finally {
    await sim.close();
  }
  table([
    [
      'server',
      'scrapers',
      'encoding',
      'scrapes',
      'MB/scrape',
      'p50 ms',
      'p99 ms',
      'max ms',
      'polls',
      'loop delay p99/max ms',
    ],
    ...rows.map((r) => {
      const s = summary(r.run.latencies);
      return [
        r.server,
        String(r.scrapers),
        r.gzip ? 'gzip' : 'identity',
        String(s.n),
        mb(r.run.bytes),
        ms(s.p50),
        ms(s.p99),
        ms(s.max),
        String(r.polls),
        `${ms(r.delay.p99)}/${ms(r.delay.max)}`,
      ];
    }),
  ]);
  const p = (server: string, scrapers: number, gzip: boolean): ReturnType<typeof summary> | undefined => {
    const r = rows.find((x) => x.server === server && x.scrapers === scrapers && x.gzip === gzip);
    return r ? summary(r.run.latencies) : undefined;
  };
  for (const gzip of [false, true]) {
    for (const scrapers of [1, 10]) {
      const o = p('sentinel', scrapers, gzip);
      const b = p('prom-client per scrape', scrapers, gzip);
      if (o && b)
        console.log(
          `  ${scrapers} scraper(s), ${gzip ? 'gzip' : 'identity'}: baseline/sentinel p50 ${ratio(b.p50 / o.p50)}, p99 ${ratio(b.p99 / o.p99)}`,
        );
    }
  }
  for (const gzip of [false, true]) {
    for (const scrapers of [1, 10]) {
      const o = p('sentinel', scrapers, gzip);
      const f = p('node:http floor (ready buffer)', scrapers, gzip);
      if (o && f)
        console.log(
          `  ${scrapers} scraper(s), ${gzip ? 'gzip' : 'identity'}: sentinel/floor p50 ${ratio(o.p50 / f.p50)}, p99 ${ratio(o.p99 / f.p99)}`,
        );
    }
  }
  for (const gzip of [false, true]) {
    const o = p('sentinel', 10, gzip);
    const f = p('node:http floor (ready buffer)', 10, gzip);
    if (o)
      console.log(
        `  target p99 < 10 ms with 10 scrapers (${gzip ? 'gzip' : 'identity'}): ${o.p99 < 10 ? 'MET' : 'MISSED'} (${ms(o.p99)} ms; ` +
          `the floor on this machine: ${f ? ms(f.p99) : '?'} ms)`,
      );
  }
  return rows;
}
