/**
 * Bench 5 (issue 19): what the sidecar costs the Prometheus that scrapes it, and itself, in the default
 * exposition (one series per connector and per task for its current state) and with full StateSets
 * (`--exposition.state-sets`), and the default once more as the image runs node (its flags and environment). Per size and variant: series on /metrics, plain and gzip bytes per scrape, the
 * rendering of a first poll and of a poll where 1 % of the connectors changed, and the sidecar's peak RSS
 * over its whole life while it polls a simulator whose connectors and tasks change state every poll and is
 * scraped (gzip) every second. Every sidecar runs in a fresh process, so its peak is its own.
 */
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { ExpositionCache } from '../src/exposition/cache.js';
import { ClusterRenderer } from '../src/exposition/render.js';
import type { ClusterSnapshot } from '../src/state/snapshot.js';
import { REVISION, VERSION } from '../src/version.js';
import { spawnChild, type Child } from './lib/child.js';
import { IMAGE_RUNTIME } from './lib/image.js';
import { fleetSnapshot } from './lib/fleet.js';
import type { MemoryBreakdown, ProcessFigures } from './lib/probe.js';
import { mb, median, ms, nowMs, table } from './lib/stats.js';

/**
 * 1 connector: what the sidecar costs before it has anything to show. BENCH_SIZES=2000,5000 measures only
 * those.
 */
const SIZES = (process.env.BENCH_SIZES ?? '1,500,2000,5000').split(',').map((n) => {
  const v = Number(n);
  if (!Number.isInteger(v) || v < 1) throw new Error(`BENCH_SIZES: ${n} is not a number of connectors`);
  return v;
});
const TASKS = 8;
interface Variant {
  readonly name: string;
  readonly stateSets: boolean;
  /** Node flags and environment of the sidecar's process (`node dist/src/main.js` has none). */
  readonly execArgv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}
const ALL_VARIANTS: readonly Variant[] = [
  { name: 'default', stateSets: false, execArgv: [], env: {} },
  { name: 'state-sets', stateSets: true, execArgv: [], env: {} },
  // As the image runs node: memory before CPU.
  { name: 'default, image', stateSets: false, ...IMAGE_RUNTIME },
];
/** BENCH_VARIANTS=default,image measures only those (by name, or by the words of a name). */
const VARIANTS = ((): readonly Variant[] => {
  const asked = process.env.BENCH_VARIANTS?.split(',').map((v) => v.trim());
  if (asked === undefined) return ALL_VARIANTS;
  const chosen = ALL_VARIANTS.filter((v) =>
    asked.some((a) => v.name === a || v.name.split(', ').at(-1) === a),
  );
  if (chosen.length === 0)
    throw new Error(
      `BENCH_VARIANTS: none of ${asked.join(', ')} is one of ${ALL_VARIANTS.map((v) => v.name).join('; ')}`,
    );
  return chosen;
})();
/**
 * The default cadence stresses the sidecar (a poll every 3 s, a scrape every second). BENCH_CADENCE=production
 * is what it runs at out of the box (--poll.interval 15s) under a Prometheus scraping every 15 s, for
 * 2 minutes: quiet spells let V8 give memory back, but the first polls' peak stays.
 */
const CADENCES = {
  stress: { pollMs: 3_000, scrapeMs: 1_000, windowMs: 30_000 },
  production: { pollMs: 15_000, scrapeMs: 15_000, windowMs: 120_000 },
} as const;
const cadenceName = process.env.BENCH_CADENCE ?? 'stress';
if (!(cadenceName in CADENCES))
  throw new Error(`BENCH_CADENCE: ${cadenceName} is not one of ${Object.keys(CADENCES).join(', ')}`);
const CADENCE = CADENCES[cadenceName as keyof typeof CADENCES];
const POLL_MS = CADENCE.pollMs;
const WINDOW_MS = CADENCE.windowMs;
const SCRAPE_EVERY_MS = CADENCE.scrapeMs;
/** Tasks moved to another state before each poll (and one connector in eight of theirs). */
const CHURN_PER_POLL = 0.01;
const RENDER_ROUNDS = 7;
/** Issue 19's targets for the default mode: peak RSS by number of connectors (× 8 tasks). */
const RSS_TARGET_MB: Record<number, number> = { 2_000: 100, 5_000: 150 };

export interface CardinalityFigures {
  readonly n: number;
  readonly variant: string;
  readonly series: number;
  /** Series of the state and identity families, per task and per connector. */
  readonly perTask: number;
  readonly perConnector: number;
  readonly plainBytes: number;
  readonly gzipBytes: number;
  readonly firstRenderMs: number;
  readonly changedRenderMs: number;
  readonly pollMs: number;
  readonly process: ProcessFigures;
  /** At the end of the window. */
  readonly memory: MemoryBreakdown;
}

interface Get {
  readonly body: Buffer;
  readonly encoding: string | undefined;
}

function get(url: string, agent: http.Agent, gzip: boolean): Promise<Get> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: gzip ? { 'accept-encoding': 'gzip' } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ body: Buffer.concat(chunks), encoding: res.headers['content-encoding'] }),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Sample lines per metric name. */
function countSeries(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const end = line.search(/[{ ]/);
    const name = line.slice(0, end);
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

/** The snapshot with every 100th connector (offset by `round`) and one of its tasks in another state. */
function withChanges(s: ClusterSnapshot, round: number): ClusterSnapshot {
  const connectors = s.connect.connectors.map((c, i) =>
    i % 100 === round % 100
      ? {
          ...c,
          state: c.state === 'PAUSED' ? 'RUNNING' : 'PAUSED',
          tasks: c.tasks.map((t, id) => (id === 0 ? { ...t, state: 'UNASSIGNED' } : t)),
        }
      : c,
  );
  return { ...s, connect: { ...s.connect, connectors } };
}

const renderTimesMemo = new Map<string, { first: number; changed: number }>();

/**
 * In this process, once per size and exposition mode (the runtime settings of a variant do not apply here):
 * snapshot → the bytes a scrape writes, for a first poll and for a poll with 1 % changed.
 */
function renderTimes(n: number, stateSets: boolean): { first: number; changed: number } {
  const key = `${n} ${stateSets}`;
  const known = renderTimesMemo.get(key);
  if (known !== undefined) return known;
  const snapshot = fleetSnapshot(n, TASKS);
  const first: number[] = [];
  const changed: number[] = [];
  for (let r = 0; r < RENDER_ROUNDS; r++) {
    const renderer = new ClusterRenderer({ stateSets });
    const cache = new ExpositionCache({ version: VERSION, revision: REVISION });
    let t = nowMs();
    cache.setCluster(snapshot.cluster, renderer.render(snapshot));
    first.push(nowMs() - t);
    const next = withChanges(snapshot, r);
    t = nowMs();
    cache.setCluster(next.cluster, renderer.render(next));
    changed.push(nowMs() - t);
  }
  // The first rounds warm the JIT up.
  const times = { first: median(first.slice(2)), changed: median(changed.slice(2)) };
  renderTimesMemo.set(key, times);
  return times;
}

async function measure(sim: Child, n: number, mode: Variant): Promise<CardinalityFigures> {
  const s = await spawnChild('./sentinel-process.ts', mode.execArgv, mode.env);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const simUrl = await sim.call<string>('start', {
      connectors: n,
      tasksPerConnector: TASKS,
      cacheBodies: false,
    });
    const { url } = await s.call<{ url: string }>(
      'start',
      simUrl,
      { intervalMs: POLL_MS, timeoutMs: 30_000 },
      { stateSets: mode.stateSets },
    );
    await s.call('reset');
    const churn = Math.max(1, Math.round(n * TASKS * CHURN_PER_POLL));
    const until = Date.now() + WINDOW_MS;
    let round = 0;
    let nextChurn = Date.now();
    let gzipBytes = 0;
    while (Date.now() < until) {
      const next = Date.now() + SCRAPE_EVERY_MS;
      if (Date.now() >= nextChurn) {
        await sim.call('churn', churn, round++);
        nextChurn += POLL_MS;
      }
      const g = await get(`${url}/metrics`, agent, true);
      if (g.encoding !== 'gzip') throw new Error(`a gzip scrape came back ${g.encoding ?? 'plain'}`);
      gzipBytes = g.body.length;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    const g = await get(`${url}/metrics`, agent, true);
    const plain = await get(`${url}/metrics`, agent, false);
    const stats = await s.call<ProcessFigures & { pollMs: number[] }>('stats');
    const memory = await s.call<MemoryBreakdown>('memory');
    await s.call('stop');
    // The two last scrapes may straddle a poll; the gzip one is checked to be a whole body of its own.
    gunzipSync(g.body);
    const counts = countSeries(plain.body.toString('utf8'));
    const c = (name: string): number => counts.get(name) ?? 0;
    const tasks = c('kafka_connect_task_info');
    const connectors = c('kafka_connect_connector_info');
    const render = renderTimes(n, mode.stateSets);
    return {
      n,
      variant: mode.name,
      series: [...counts.values()].reduce((a, b) => a + b, 0),
      perTask: (c('kafka_connect_task_state') + c('kafka_connect_task_info')) / tasks,
      perConnector:
        (c('kafka_connect_connector_state') +
          c('kafka_connect_connector_info') +
          c('kafka_connect_connector_tasks') +
          c('kafka_connect_connector_error_handling_info')) /
        connectors,
      plainBytes: plain.body.length,
      gzipBytes: g.body.length || gzipBytes,
      firstRenderMs: render.first,
      changedRenderMs: render.changed,
      pollMs: median(stats.pollMs),
      process: stats,
      memory,
    };
  } finally {
    agent.destroy();
    await s.close();
  }
}

export async function benchCardinality(): Promise<CardinalityFigures[]> {
  console.log(
    `\n## 5. Cost per scrape and sidecar memory, default vs --exposition.state-sets (N connectors × ${TASKS} tasks; ` +
      `poll every ${POLL_MS / 1000} s with ${CHURN_PER_POLL * 100} % of the tasks changing state before each, ` +
      `a gzip scrape every ${SCRAPE_EVERY_MS / 1000} s, ${WINDOW_MS / 1000} s per sidecar)`,
  );
  const sim = await spawnChild('./sim-process.ts');
  const out: CardinalityFigures[] = [];
  try {
    for (const n of SIZES) for (const v of VARIANTS) out.push(await measure(sim, n, v));
  } finally {
    await sim.close();
  }
  table([
    [
      'N × 8',
      'exposition, runtime',
      'series',
      '/task',
      '/connector',
      'plain MB',
      'gzip KB',
      'first render ms',
      '1 % changed ms',
      'poll ms',
      'CPU s',
      'peak RSS MB',
    ],
    ...out.map((f) => [
      String(f.n),
      f.variant,
      String(f.series),
      f.perTask.toFixed(2),
      f.perConnector.toFixed(2),
      mb(f.plainBytes),
      (f.gzipBytes / 1024).toFixed(0),
      ms(f.firstRenderMs),
      ms(f.changedRenderMs),
      ms(f.pollMs),
      (f.process.cpuMs / 1000).toFixed(1),
      mb(f.process.peakRssBytes),
    ]),
  ]);
  console.log(
    '  where the RSS is at the end of the window (MB; heap spaces as committed, garbage included):',
  );
  table([
    [
      'N × 8',
      'exposition, runtime',
      'RSS',
      'node binary, libraries',
      'V8 young generation',
      'rest of V8 heap',
      '(heap in use)',
      'ArrayBuffers',
      'other private',
    ],
    ...out.map((f) => [
      String(f.n),
      f.variant,
      mb(f.memory.rss),
      mb(f.memory.fileBacked),
      mb(f.memory.youngGeneration),
      mb(f.memory.restOfHeap),
      mb(f.memory.heapUsed),
      mb(f.memory.arrayBuffers),
      mb(f.memory.otherPrivate),
    ]),
  ]);
  const defaults = out.filter((f) => !VARIANTS.find((v) => v.name === f.variant)?.stateSets);
  const worstTask = Math.max(...defaults.map((f) => f.perTask));
  const worstConnector = Math.max(...defaults.map((f) => f.perConnector));
  console.log(
    `  target ≤ 2 state and identity series per task and ≤ 4 per connector (default): ` +
      `${worstTask <= 2 && worstConnector <= 4 ? 'MET' : 'MISSED'} (${worstTask.toFixed(2)} and ${worstConnector.toFixed(2)})`,
  );
  for (const f of defaults) {
    const target = RSS_TARGET_MB[f.n];
    if (target === undefined) continue;
    const peak = f.process.peakRssBytes / 2 ** 20;
    console.log(
      `  target peak RSS < ${target} MB at ${f.n} × ${TASKS} (${f.variant}): ${peak < target ? 'MET' : 'MISSED'} (${peak.toFixed(1)} MB)`,
    );
  }
  return out;
}
