/**
 * Bench 3: rendering time per poll — snapshot to the bytes a scrape writes — as src does it: a persistent
 * ClusterRenderer (per-connector memo of encoded lines, src/app.ts keeps one per cluster) followed by
 * ExpositionCache.setCluster (one Buffer.concat), for a poll where nothing changed and one where 1 % of the
 * connectors changed state; and the one-off renderCluster (no memo: a first poll, or a restart). Versus a
 * minimal hand-written serializer of the same series (the practical floor of rendering from scratch: one
 * pass per family straight into one string, no intermediate structures). Every output is checked to be
 * byte-identical to the floor's before timing. Also: how long after a poll the cache serves its gzip
 * (made once per assemble with async zlib.gzip in the thread pool, off the event loop).
 */
import { gunzipSync } from 'node:zlib';
import { ExpositionCache } from '../src/exposition/cache.js';
import { FAMILIES } from '../src/exposition/families.js';
import { ClusterRenderer, renderCluster } from '../src/exposition/render.js';
import { errorHandling } from '../src/connect/error-handling.js';
import { escapeHelp, escapeLabelValue as esc, formatValue } from '../src/exposition/text.js';
import { splitTaskKey, type ClusterSnapshot } from '../src/state/snapshot.js';
import { REVISION, VERSION } from '../src/version.js';
import { fleetSnapshot } from './lib/fleet.js';
import { mb, median, ms, nowMs, ratio, table } from './lib/stats.js';

const SIZES: [number, number][] = [
  [2_000, 8],
  [5_000, 8],
];
const ROUNDS = 7;
/** The first rounds warm the JIT up and are not counted. */
const WARM_UP = 2;

/** The floor: every family in FAMILIES order, written in one pass each (the default exposition). */
export function floorRender(s: ClusterSnapshot): Buffer {
  const cl = esc(s.cluster);
  const c = s.connect;
  const header = (name: string): string => {
    const fam = FAMILIES.find((f) => f.name === name);
    return `# HELP ${name} ${escapeHelp(fam?.help ?? '')}\n# TYPE ${name} ${fam?.type ?? 'gauge'}\n`;
  };
  const pre = (name: string): string => `${name}{connect_cluster="${cl}"`;
  let out = header('kafka_connect_up') + `${pre('kafka_connect_up')}} ${c.up ? 1 : 0}\n`;
  if (c.info) {
    out +=
      header('kafka_connect_info') +
      `${pre('kafka_connect_info')},version="${esc(c.info.version)}",commit="${esc(c.info.commit)}",kafka_cluster_id="${esc(c.info.kafkaClusterId)}"} 1\n`;
  }
  const names = c.connectors.map((x) => esc(x.name));
  let p = pre('kafka_connect_connector_info');
  out += header('kafka_connect_connector_info');
  c.connectors.forEach((x, i) => {
    out += `${p},connector="${names[i]}",connector_type="${x.type}",connector_class="${esc(x.className)}",worker_id="${esc(x.workerId)}"} 1\n`;
  });
  p = pre('kafka_connect_connector_state');
  out += header('kafka_connect_connector_state');
  c.connectors.forEach((x, i) => {
    out += `${p},connector="${names[i]}",state="${esc(x.state)}"} 1\n`;
  });
  p = pre('kafka_connect_connector_tasks');
  out += header('kafka_connect_connector_tasks');
  c.connectors.forEach((x, i) => {
    out += `${p},connector="${names[i]}"} ${x.tasks.length}\n`;
  });
  p = pre('kafka_connect_connector_failures_total');
  out += header('kafka_connect_connector_failures_total');
  c.connectors.forEach((x, i) => {
    out += `${p},connector="${names[i]}"} ${s.failures.connectors.get(x.name) ?? 0}\n`;
  });
  p = pre('kafka_connect_task_state');
  out += header('kafka_connect_task_state');
  c.connectors.forEach((x, i) => {
    for (const t of x.tasks)
      out += `${p},connector="${names[i]}",task="${t.id}",state="${esc(t.state)}"} 1\n`;
  });
  p = pre('kafka_connect_task_info');
  out += header('kafka_connect_task_info');
  c.connectors.forEach((x, i) => {
    for (const t of x.tasks)
      out += `${p},connector="${names[i]}",task="${t.id}",worker_id="${esc(t.workerId)}"} 1\n`;
  });
  p = pre('kafka_connect_task_failures_total');
  out += header('kafka_connect_task_failures_total');
  for (const [key, n] of s.failures.tasks) {
    const [connector, task] = splitTaskKey(key);
    out += `${p},connector="${esc(connector)}",task="${task}"} ${n}\n`;
  }
  p = pre('kafka_connect_connector_error_handling_info');
  out += header('kafka_connect_connector_error_handling_info');
  c.connectors.forEach((x, i) => {
    const eh = errorHandling(x);
    out += `${p},connector="${names[i]}",errors_tolerance="${esc(eh.tolerance)}",errors_log_enable="${eh.logEnable}",dlq_topic="${esc(eh.dlqTopic)}",dlq_context_headers="${eh.dlqContextHeaders}"} 1\n`;
  });
  out +=
    header('connect_sentinel_build_info') +
    `connect_sentinel_build_info{version="${esc(VERSION)}",revision="${esc(REVISION)}",nodejs_version="${esc(process.version)}"} 1\n`;
  const l = `,source="connect"`;
  out +=
    header('connect_sentinel_poll_duration_seconds') +
    `${pre('connect_sentinel_poll_duration_seconds')}${l}} ${formatValue(c.durationSeconds)}\n`;
  out +=
    header('connect_sentinel_poll_errors_total') +
    `${pre('connect_sentinel_poll_errors_total')}${l}} ${c.errorsTotal}\n`;
  if (c.lastSuccessAt !== undefined) {
    out +=
      header('connect_sentinel_last_successful_poll_timestamp_seconds') +
      `${pre('connect_sentinel_last_successful_poll_timestamp_seconds')}${l}} ${formatValue(c.lastSuccessAt / 1000)}\n`;
  }
  return Buffer.from(out, 'utf8');
}

export interface RenderFigures {
  readonly n: number;
  readonly tasks: number;
  readonly series: number;
  readonly bytes: number;
  readonly floorMs: number;
  /** renderCluster + setCluster: no memo. */
  readonly oneOffMs: number;
  /** A persistent ClusterRenderer + setCluster: nothing changed since the previous poll. */
  readonly sameMs: number;
  /** The same with 1 % of the connectors in another state than in the previous poll. */
  readonly changedMs: number;
  /** Connectors rendered anew in the "1 % changed" poll. */
  readonly changedRendered: number;
  /** From the end of setCluster until `cache.gzip` serves the new body's gzip (thread pool, level 1). */
  readonly gzipMs: number;
  readonly gzipBytes: number;
}

/** The snapshot with every 100th connector (offset by `round`) in another state: what a busy poll sees. */
function withChanges(s: ClusterSnapshot, round: number): ClusterSnapshot {
  const connectors = s.connect.connectors.map((c, i) =>
    i % 100 === round % 100 ? { ...c, state: c.state === 'PAUSED' ? 'RUNNING' : 'PAUSED' } : c,
  );
  return { ...s, connect: { ...s.connect, connectors } };
}

function assertSame(ours: Buffer, floor: Buffer, what: string): void {
  if (floor.equals(ours)) return;
  const a = ours.toString();
  const b = floor.toString();
  let i = 0;
  while (a[i] === b[i]) i++;
  throw new Error(
    `${what} differs from the floor at byte ${i}: ${JSON.stringify(a.slice(i - 40, i + 40))} vs ${JSON.stringify(b.slice(i - 40, i + 40))}`,
  );
}

/** Time until the current body's gzip (started by setCluster, in the thread pool) is ready. */
async function freshGzip(cache: ExpositionCache): Promise<number> {
  const t = nowMs();
  await cache.compressed();
  return nowMs() - t;
}

export async function benchRender(): Promise<RenderFigures[]> {
  console.log(
    '\n## 3. Rendering per poll: ClusterRenderer + ExpositionCache.setCluster vs a hand-written floor',
  );
  const out: RenderFigures[] = [];
  for (const [n, tasks] of SIZES) {
    const snapshot = fleetSnapshot(n, tasks);
    const floor = floorRender(snapshot);
    const oneOff = new ExpositionCache({ version: VERSION, revision: REVISION });
    oneOff.setCluster(snapshot.cluster, renderCluster(snapshot));
    assertSame(oneOff.text, floor, 'renderCluster');
    const renderer = new ClusterRenderer();
    const cache = new ExpositionCache({ version: VERSION, revision: REVISION });
    for (const snap of [snapshot, withChanges(snapshot, 3), snapshot]) {
      cache.setCluster(snap.cluster, renderer.render(snap));
      assertSame(cache.text, floorRender(snap), 'ClusterRenderer');
    }
    const series = floor
      .toString()
      .split('\n')
      .filter((x) => x !== '' && !x.startsWith('#')).length;
    // Let the gzips queued so far settle.
    await freshGzip(cache);

    const fl: number[] = [];
    const one: number[] = [];
    const same: number[] = [];
    const changed: number[] = [];
    const gzip: number[] = [];
    let changedRendered = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the order so that neither always runs right after the other's garbage. Every timed
      // step starts with no gzip running in the thread pool (it would compete for the cores).
      const runFloor = (): void => {
        const t = nowMs();
        floorRender(snapshot);
        fl.push(nowMs() - t);
      };
      const runOneOff = async (): Promise<void> => {
        const t = nowMs();
        oneOff.setCluster(snapshot.cluster, renderCluster(snapshot));
        one.push(nowMs() - t);
        await freshGzip(oneOff);
      };
      if (r % 2 === 0) {
        runFloor();
        await runOneOff();
      } else {
        await runOneOff();
        runFloor();
      }
      // The renderer holds the base snapshot: a poll where nothing changed.
      let t = nowMs();
      cache.setCluster(snapshot.cluster, renderer.render(snapshot));
      same.push(nowMs() - t);
      if (renderer.rendered !== 0) throw new Error(`${renderer.rendered} connectors rendered anew`);
      gzip.push(await freshGzip(cache));
      const next = withChanges(snapshot, r);
      t = nowMs();
      cache.setCluster(next.cluster, renderer.render(next));
      changed.push(nowMs() - t);
      changedRendered = renderer.rendered;
      cache.setCluster(snapshot.cluster, renderer.render(snapshot)); // back to the base state, untimed
      await freshGzip(cache);
    }
    const gz = cache.gzip;
    if (gz === undefined || !gunzipSync(gz).equals(cache.text))
      throw new Error('the gzip served is not the body');
    out.push({
      n,
      tasks,
      series,
      bytes: floor.length,
      floorMs: median(fl.slice(WARM_UP)),
      oneOffMs: median(one.slice(WARM_UP)),
      sameMs: median(same.slice(WARM_UP)),
      changedMs: median(changed.slice(WARM_UP)),
      changedRendered,
      gzipMs: median(gzip.slice(WARM_UP)),
      gzipBytes: gz.length,
    });
  }
  table([
    [
      'connectors × tasks',
      'series',
      'MB',
      'floor ms',
      'memo, same ms',
      '/floor',
      '1 % changed ms',
      '/floor',
      'one-off ms',
      '/floor',
      'async gzip ms',
    ],
    ...out.map((r) => [
      `${r.n} × ${r.tasks}`,
      String(r.series),
      mb(r.bytes),
      ms(r.floorMs),
      ms(r.sameMs),
      ratio(r.sameMs / r.floorMs),
      `${ms(r.changedMs)} (${r.changedRendered} re-rendered)`,
      ratio(r.changedMs / r.floorMs),
      ms(r.oneOffMs),
      ratio(r.oneOffMs / r.floorMs),
      `${ms(r.gzipMs)} (${mb(r.gzipBytes)} MB)`,
    ]),
  ]);
  const worst = Math.max(...out.map((r) => Math.max(r.sameMs, r.changedMs) / r.floorMs));
  console.log(
    `  target within 1.5× of the floor (poll after poll, ClusterRenderer + setCluster): ` +
      `${worst <= 1.5 ? 'MET' : 'MISSED'} (worst ${ratio(worst)})`,
  );
  const worstOneOff = Math.max(...out.map((r) => r.oneOffMs / r.floorMs));
  console.log(
    `  one-off renderCluster + setCluster (first poll): ${worstOneOff <= 1.5 ? 'within' : 'NOT within'} 1.5× ` +
      `(worst ${ratio(worstOneOff)})`,
  );
  return out;
}
