/** Concurrent keep-alive scrapers, like Prometheus servers: each scrapes again as soon as it has an answer. */
import http from 'node:http';
import { nowMs } from './stats.js';

export interface ScrapeRun {
  /** Time to the last byte of each scrape, in ms. */
  readonly latencies: number[];
  /** Bytes on the wire per scrape (compressed when gzip). */
  readonly bytes: number;
  readonly elapsedMs: number;
}

export async function scrape(
  url: string,
  opts: { concurrency: number; maxScrapes: number; maxMs: number; gzip: boolean; warmup?: number },
): Promise<ScrapeRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const headers = { 'accept-encoding': opts.gzip ? 'gzip' : 'identity' };
  const once = (): Promise<{ ms: number; bytes: number }> =>
    new Promise((resolve, reject) => {
      const t = nowMs();
      const req = http.get(url, { agent, headers }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        res.on('end', () =>
          res.statusCode === 200
            ? resolve({ ms: nowMs() - t, bytes })
            : reject(new Error(`${url}: ${res.statusCode}`)),
        );
        res.on('error', reject);
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`${url}: no answer in 60 s`)));
      req.on('error', reject);
    });
  try {
    // Open every connection first, so the figures are keep-alive scrapes.
    for (let i = 0; i < (opts.warmup ?? 1); i++)
      await Promise.all(Array.from({ length: opts.concurrency }, once));
    const latencies: number[] = [];
    let bytes = 0;
    let started = 0;
    const t0 = nowMs();
    const worker = async (): Promise<void> => {
      while (started < opts.maxScrapes && nowMs() - t0 < opts.maxMs) {
        started++;
        const r = await once();
        latencies.push(r.ms);
        bytes = r.bytes;
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    return { latencies, bytes, elapsedMs: nowMs() - t0 };
  } finally {
    agent.destroy();
  }
}
