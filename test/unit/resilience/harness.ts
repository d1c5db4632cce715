/** A real in-process Sentinel polling a simulator, scraped over HTTP the way Prometheus does. */
import http from 'node:http';
import { Sentinel } from '../../../src/app.js';
import { silentLogger } from '../../../src/log.js';
import type { ClusterSnapshot } from '../../../src/state/snapshot.js';
import type { ConnectSimulator } from '../../sim/connect-simulator.js';
import { SIM_CLUSTER, sentinelConfig, type PollSettings } from '../../sim/sentinel-config.js';
import { parseExposition, samplesOf, valueOf, type Family } from '../../sim/exposition-parser.js';

export type { PollSettings };

export interface Running {
  readonly sentinel: Sentinel;
  /** Snapshots published so far (one per finished poll). */
  polls(): number;
  latest(): ClusterSnapshot | undefined;
  /**
   * Resolves once `n` polls that started after this call have been published; rejects after `limitMs`.
   * (Polls already running or waiting to be rendered when it is called do not count: they may show what
   * was true before.)
   */
  nextPolls(n: number, limitMs?: number): Promise<void>;
  /**
   * Resolves at the first poll that started after this call and reached Connect (up); rejects after `limitMs`.
   * What a test waits for after clearing a fault: on a busy machine one poll may still time out.
   */
  nextUpPoll(limitMs?: number): Promise<void>;
  scrape(): Promise<{ status: number; body: Buffer }>;
  metrics(): Promise<Map<string, Family>>;
  get(path: string): Promise<number>;
  stop(): Promise<void>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function fetchBuffer(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`GET ${url} took more than 5 s`)));
    req.on('error', reject);
  });
}

export async function startSentinel(sim: ConnectSimulator, poll: PollSettings = {}): Promise<Running> {
  let count = 0;
  let last: ClusterSnapshot | undefined;
  const waiters: { after: number; left: number; upOnly: boolean; resolve: () => void }[] = [];
  const sentinel = new Sentinel(sentinelConfig(sim.url, poll), silentLogger(), {
    onSnapshot: (s) => {
      count++;
      last = s;
      const started = s.takenAt - s.connect.durationSeconds * 1000;
      for (const w of [...waiters]) {
        if (started >= w.after && (s.connect.up || !w.upOnly)) w.left--;
        if (w.left <= 0) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
  });
  function wait(n: number, upOnly: boolean, limitMs: number): Promise<void> {
    const after = Date.now();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${n} ${upOnly ? 'successful ' : ''}polls did not finish within ${limitMs} ms`)),
        limitMs,
      );
      waiters.push({
        after,
        left: n,
        upOnly,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
  await sentinel.start();
  const base = sentinel.url;
  const running: Running = {
    sentinel,
    polls: () => count,
    latest: () => last,
    nextPolls: (n, limitMs = 10_000) => wait(n, false, limitMs),
    nextUpPoll: (limitMs = 10_000) => wait(1, true, limitMs),
    scrape: () => fetchBuffer(`${base}/metrics`),
    async metrics() {
      const r = await fetchBuffer(`${base}/metrics`);
      if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
      return parseExposition(r.body);
    },
    async get(path) {
      return (await fetchBuffer(`${base}${path}`)).status;
    },
    stop: () => sentinel.stop(),
  };
  // Every caller starts from a healthy simulator: the first poll that reached it, not merely the first poll
  // (with a short poll timeout, a busy machine can make the very first one time out).
  await running.nextUpPoll();
  return running;
}

/** What a user checks first: is Connect up, and which connectors have series. */
export function view(families: Map<string, Family>): {
  up: number | undefined;
  connectors: string[];
  taskStates: number;
} {
  return {
    up: valueOf(families, 'kafka_connect_up', { connect_cluster: SIM_CLUSTER }),
    connectors: samplesOf(families, 'kafka_connect_connector_info')
      .map((s) => s.labels.connector ?? '')
      .sort(),
    taskStates: samplesOf(families, 'kafka_connect_task_state').length,
  };
}
