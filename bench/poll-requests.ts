/**
 * Bench 1: requests and time per poll against N connectors × 8 tasks. connect-sentinel's
 * ConnectClient.listConnectors (one expanded request: status and config of every connector) versus the
 * naive poller (a list, then one status call per connector: status only, so it even fetches less), run
 * sequentially (the seed's scripts) and with 8 requests in flight (a fairer pool).
 *
 * Two settings of the simulator (its own process, every answer serialized per request):
 *  - loopback: answers at once; a request costs only client + transport + serialization CPU;
 *  - 1 ms per request: models a real worker's per-request handling (Jetty, Jersey, auth, herder lookup)
 *    and the hop to it. It is added to every request, the expanded one included.
 * Measurements interleave (one of each per round) so that load from other processes hits all alike.
 */
import http from 'node:http';
import { ConnectClient } from '../src/connect/client.js';
import { parseExpanded } from '../src/connect/parse.js';
import { spawnChild, type Child } from './lib/child.js';
import { median, ms, nowMs, ratio, table } from './lib/stats.js';
import { NaivePoller } from './naive-poller.js';

export const TASKS = 8;
const SIZES = [10, 100, 1_000, 5_000];
const MIN_ROUNDS = 2;
const MAX_ROUNDS = 15;
const BUDGET_MS = 5_000;

interface Measured {
  ms: number;
  requests: number;
}

export interface PollFigures {
  readonly setting: string;
  readonly n: number;
  /** Poll after poll with one client: entries unchanged since its previous answer are not parsed again. */
  readonly ours: Measured;
  /** A client's first poll: every entry parsed (a fresh client, so also a fresh connection, per round). */
  readonly cold: Measured;
  /**
   * The floor of any client of the expanded answer: the same GET with its bytes discarded unparsed, i.e. the
   * worker serializing it plus the transfer.
   */
  readonly raw: Measured;
  readonly naive1: Measured;
  readonly naive8: Measured;
}

async function measureSize(url: string, n: number, setting: string): Promise<PollFigures> {
  const client = new ConnectClient({ url, requestTimeoutMs: 120_000 });
  const rawAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const seq = new NaivePoller(url, 1);
  const pool = new NaivePoller(url, 8);
  const runs: [() => Promise<number>, number[]][] = [
    [
      async () => {
        const before = client.requests;
        const list = await client.listConnectors(Date.now() + 120_000);
        if (list.connectors.length !== n || !list.expanded)
          throw new Error(`got ${list.connectors.length} connectors`);
        return client.requests - before;
      },
      [],
    ],
    [
      async () => {
        const fresh = new ConnectClient({ url, requestTimeoutMs: 120_000 });
        try {
          const list = await fresh.listConnectors(Date.now() + 120_000);
          if (list.connectors.length !== n || !list.expanded)
            throw new Error(`got ${list.connectors.length} connectors`);
          return fresh.requests;
        } finally {
          fresh.close();
        }
      },
      [],
    ],
    [
      async () => {
        await rawGet(`${url}/connectors?expand=status&expand=info`, rawAgent);
        return 1;
      },
      [],
    ],
    ...[seq, pool].map((p): [() => Promise<number>, number[]] => [
      async () => {
        const r = await p.poll();
        if (r.connectors !== n) throw new Error(`naive got ${r.connectors} connectors`);
        return r.requests;
      },
      [],
    ]),
  ];
  const requests = [0, 0, 0, 0, 0];
  try {
    await runs[0]?.[0](); // warm-up of the one big request path (the naive paths warm up on small N)
    const started = nowMs();
    for (
      let round = 0;
      round < MIN_ROUNDS || (round < MAX_ROUNDS && nowMs() - started < BUDGET_MS);
      round++
    ) {
      for (const [i, [run, times]] of runs.entries()) {
        const t = nowMs();
        requests[i] = await run();
        times.push(nowMs() - t);
      }
    }
  } finally {
    client.close();
    rawAgent.destroy();
    seq.close();
    pool.close();
  }
  const fig = (i: number): Measured => ({ ms: median(runs[i]?.[1] ?? []), requests: requests[i] ?? 0 });
  return { setting, n, ours: fig(0), cold: fig(1), raw: fig(2), naive1: fig(3), naive8: fig(4) };
}

async function runSetting(
  sim: Child,
  url: string,
  setting: string,
  sizes: readonly number[],
): Promise<PollFigures[]> {
  const out: PollFigures[] = [];
  for (const n of sizes) {
    await sim.call('setConnectors', n, TASKS);
    out.push(await measureSize(url, n, setting));
  }
  return out;
}

/** A GET whose answer is read and dropped: no parsing at all. */
function rawGet(url: string, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

interface ParseCost {
  readonly mb: number;
  readonly jsonParse: number;
  readonly parseExpanded: number;
}

/** Client-side cost of the one big answer: JSON.parse, then src's parseExpanded (both on the event loop). */
async function measureParse(url: string): Promise<ParseCost> {
  const text = await new Promise<string>((resolve, reject) => {
    http
      .get(`${url}/connectors?expand=status&expand=info`, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      })
      .on('error', reject);
  });
  const a: number[] = [];
  const j: number[] = [];
  for (let i = 0; i < 8; i++) {
    let t = nowMs();
    const body = JSON.parse(text) as unknown;
    j.push(nowMs() - t);
    t = nowMs();
    parseExpanded(body, '/connectors');
    a.push(nowMs() - t);
  }
  return { mb: text.length / 2 ** 20, jsonParse: median(j.slice(2)), parseExpanded: median(a.slice(2)) };
}

export async function benchPollRequests(): Promise<PollFigures[]> {
  console.log(
    `\n## 1. Requests and time per poll (N connectors × ${TASKS} tasks; median of interleaved rounds)`,
  );
  const sim = await spawnChild('./sim-process.ts');
  const out: PollFigures[] = [];
  let parseCost: ParseCost | undefined;
  try {
    const url = await sim.call<string>('start', {
      connectors: 0,
      tasksPerConnector: TASKS,
      cacheBodies: false,
    });
    out.push(...(await runSetting(sim, url, 'loopback', SIZES)));
    await sim.call('setFault', { kind: 'latency', ms: 1 });
    out.push(...(await runSetting(sim, url, '1 ms/request', [100, 1_000, 5_000])));
    await sim.call('setFault', null);
    await sim.call('setConnectors', 5_000, TASKS);
    parseCost = await measureParse(url);
  } finally {
    await sim.close();
  }
  table([
    [
      'worker',
      'N',
      'sentinel ms',
      'req',
      'first poll ms',
      'raw GET ms',
      'naive seq ms',
      'req',
      'naive c=8 ms',
      'req',
      'seq/sentinel',
      'c8/sentinel',
      'seq/first',
      'seq/raw',
    ],
    ...out.map((r) => [
      r.setting,
      String(r.n),
      ms(r.ours.ms),
      String(r.ours.requests),
      ms(r.cold.ms),
      ms(r.raw.ms),
      ms(r.naive1.ms),
      String(r.naive1.requests),
      ms(r.naive8.ms),
      String(r.naive8.requests),
      ratio(r.naive1.ms / r.ours.ms),
      ratio(r.naive8.ms / r.ours.ms),
      ratio(r.naive1.ms / r.cold.ms),
      ratio(r.naive1.ms / r.raw.ms),
    ]),
  ]);
  const flat = out.every((r) => r.ours.requests === 1 && r.cold.requests === 1);
  console.log(`  target ≤ 2 requests per poll at every N: ${flat ? 'MET (1 request)' : 'MISSED'}`);
  for (const r of out.filter((x) => x.n === 5_000)) {
    const x = r.naive1.ms / r.ours.ms;
    console.log(
      `  target ≥ 20× the naive poller at 5,000 (${r.setting}): ${x >= 20 ? 'MET' : 'MISSED'} — ` +
        `sequential ${ratio(x)}, concurrency 8 ${ratio(r.naive8.ms / r.ours.ms)}; ` +
        `a client's first poll (everything parsed) ${ratio(r.naive1.ms / r.cold.ms)} sequential; ` +
        `the most any client of the expanded answer could reach (raw GET, nothing parsed): ${ratio(r.naive1.ms / r.raw.ms)}`,
    );
  }
  if (parseCost) {
    console.log(
      `  where the 5,000 × ${TASKS} poll goes, client side: ${parseCost.mb.toFixed(1)} MB answer, ` +
        `JSON.parse ${ms(parseCost.jsonParse)} ms, parseExpanded ${ms(parseCost.parseExpanded)} ms`,
    );
  }
  return out;
}
