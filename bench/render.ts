/**
 * Bench 3: rendering time per poll — renderCluster + ExpositionCache.setCluster, i.e. snapshot to the
 * bytes a scrape writes — versus a minimal hand-written serializer of the same series (the practical
 * floor: one pass per family straight into one string, no intermediate structures). Both outputs are
 * checked to be byte-identical before timing.
 */
import { CONNECTOR_STATES, TASK_STATES } from '../src/connect/types.js';
import { ExpositionCache } from '../src/exposition/cache.js';
import { FAMILIES } from '../src/exposition/families.js';
import { renderCluster } from '../src/exposition/render.js';
import { errorHandling } from '../src/connect/error-handling.js';
import { escapeHelp, escapeLabelValue as esc, formatValue } from '../src/exposition/text.js';
import { splitTaskKey, type ClusterSnapshot } from '../src/state/snapshot.js';
import { REVISION, VERSION } from '../src/version.js';
import { fleetSnapshot } from './lib/fleet.js';
import { IncrementalRenderer } from './proto/render-incremental.js';
import { gzipSync } from 'node:zlib';
import { mb, median, ms, nowMs, ratio, table } from './lib/stats.js';

const SIZES: [number, number][] = [
  [2_000, 8],
  [5_000, 8],
];
const ROUNDS = 6;

/** The floor: every family in FAMILIES order, written in one pass each. */
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
    for (const st of CONNECTOR_STATES)
      out += `${p},connector="${names[i]}",state="${st}"} ${x.state === st ? 1 : 0}\n`;
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
    for (const t of x.tasks) {
      for (const st of TASK_STATES)
        out += `${p},connector="${names[i]}",task="${t.id}",state="${st}"} ${t.state === st ? 1 : 0}\n`;
    }
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
  readonly oursMs: number;
  readonly floorMs: number;
  /** Prototype with a per-connector memo: nothing changed since the last poll, and 1 % changed. */
  readonly memoSameMs: number;
  readonly memoChangedMs: number;
  /** The memo keeping encoded Buffers per connector and assembling with one Buffer.concat. */
  readonly bufSameMs: number;
  readonly bufChangedMs: number;
  /** What the first gzip scrape after each poll costs today: ExpositionCache.gzip runs gzipSync (level 1). */
  readonly gzipMs: number;
  readonly gzipBytes: number;
}

function headerBuffers(): Map<string, Buffer> {
  return new Map(
    FAMILIES.map((f) => [
      f.name,
      Buffer.from(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`),
    ]),
  );
}

/** The snapshot with every 100th connector (offset by `round`) in another state: what a busy poll sees. */
function withChanges(s: ClusterSnapshot, round: number): ClusterSnapshot {
  const connectors = s.connect.connectors.map((c, i) =>
    i % 100 === round % 100 ? { ...c, state: c.state === 'PAUSED' ? 'RUNNING' : 'PAUSED' } : c,
  );
  return { ...s, connect: { ...s.connect, connectors } };
}

export async function benchRender(): Promise<RenderFigures[]> {
  console.log(
    '\n## 3. Rendering per poll: renderCluster + ExpositionCache.setCluster vs a hand-written floor',
  );
  const out: RenderFigures[] = [];
  for (const [n, tasks] of SIZES) {
    const snapshot = fleetSnapshot(n, tasks);
    const cache = new ExpositionCache({ version: VERSION, revision: REVISION });
    cache.setCluster(snapshot.cluster, renderCluster(snapshot));
    const floor = floorRender(snapshot);
    if (!floor.equals(cache.text)) {
      const a = cache.text.toString();
      const b = floor.toString();
      let i = 0;
      while (a[i] === b[i]) i++;
      throw new Error(
        `floor differs from ours at byte ${i}: ${JSON.stringify(a.slice(i - 40, i + 40))} vs ${JSON.stringify(b.slice(i - 40, i + 40))}`,
      );
    }
    const series = cache.text
      .toString()
      .split('\n')
      .filter((x) => x !== '' && !x.startsWith('#')).length;
    const memo = new IncrementalRenderer();
    const memoCache = new ExpositionCache({ version: VERSION, revision: REVISION });
    for (const snap of [snapshot, withChanges(snapshot, 3), snapshot]) {
      memoCache.setCluster(snap.cluster, memo.render(snap));
      cache.setCluster(snap.cluster, renderCluster(snap));
      if (!memoCache.text.equals(cache.text)) throw new Error('the memo prototype renders differently');
    }
    const headers = headerBuffers();
    const buildInfo = Buffer.from(
      `connect_sentinel_build_info{version="${esc(VERSION)}",revision="${esc(REVISION)}",nodejs_version="${esc(process.version)}"} 1\n`,
    );
    const bufMemo = new IncrementalRenderer();
    for (const snap of [snapshot, withChanges(snapshot, 3), snapshot]) {
      cache.setCluster(snap.cluster, renderCluster(snap));
      if (!bufMemo.body(snap, headers, buildInfo).equals(cache.text))
        throw new Error('the Buffer memo prototype renders differently');
    }
    const ours: number[] = [];
    const fl: number[] = [];
    const same: number[] = [];
    const changed: number[] = [];
    const bsame: number[] = [];
    const bchanged: number[] = [];
    const gz: number[] = [];
    let gzipBytes = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the order so neither always runs right after the other's garbage.
      const runOurs = (): void => {
        const t = nowMs();
        cache.setCluster(snapshot.cluster, renderCluster(snapshot));
        ours.push(nowMs() - t);
      };
      const runFloor = (): void => {
        const t = nowMs();
        floorRender(snapshot);
        fl.push(nowMs() - t);
      };
      if (r % 2 === 0) {
        runOurs();
        runFloor();
      } else {
        runFloor();
        runOurs();
      }
      let t = nowMs();
      memoCache.setCluster(snapshot.cluster, memo.render(snapshot));
      same.push(nowMs() - t);
      const next = withChanges(snapshot, r);
      t = nowMs();
      memoCache.setCluster(snapshot.cluster, memo.render(next));
      changed.push(nowMs() - t);
      memo.render(snapshot); // back to the base state, untimed
      t = nowMs();
      bufMemo.body(snapshot, headers, buildInfo);
      bsame.push(nowMs() - t);
      t = nowMs();
      bufMemo.body(next, headers, buildInfo);
      bchanged.push(nowMs() - t);
      bufMemo.body(snapshot, headers, buildInfo);
      t = nowMs();
      gzipBytes = gzipSync(cache.text, { level: 1 }).length;
      gz.push(nowMs() - t);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The first two rounds warm the JIT up.
    out.push({
      n,
      tasks,
      series,
      bytes: floor.length,
      oursMs: median(ours.slice(2)),
      floorMs: median(fl.slice(2)),
      memoSameMs: median(same.slice(2)),
      memoChangedMs: median(changed.slice(2)),
      bufSameMs: median(bsame.slice(2)),
      bufChangedMs: median(bchanged.slice(2)),
      gzipMs: median(gz.slice(2)),
      gzipBytes,
    });
  }
  table([
    [
      'connectors × tasks',
      'series',
      'MB',
      'ours ms',
      'floor ms',
      'ours/floor',
      'memo: same ms',
      '1% changed',
      'memo+Buffers: same ms',
      '1% changed',
      'gzipSync ms',
    ],
    ...out.map((r) => [
      `${r.n} × ${r.tasks}`,
      String(r.series),
      mb(r.bytes),
      ms(r.oursMs),
      ms(r.floorMs),
      ratio(r.oursMs / r.floorMs),
      ms(r.memoSameMs),
      ms(r.memoChangedMs),
      ms(r.bufSameMs),
      ms(r.bufChangedMs),
      `${ms(r.gzipMs)} (${mb(r.gzipBytes)} MB)`,
    ]),
  ]);
  const worst = Math.max(...out.map((r) => r.oursMs / r.floorMs));
  console.log(
    `  target within 1.5× of the floor: ${worst <= 1.5 ? 'MET' : 'MISSED'} (worst ${ratio(worst)})`,
  );
  for (const r of out) {
    console.log(
      `  prototype per-connector memo (bench/proto/render-incremental.ts) at ${r.n} × ${r.tasks}: ` +
        `strings ${ratio(r.oursMs / r.memoSameMs)} / ${ratio(r.oursMs / r.memoChangedMs)} faster than renderCluster + setCluster ` +
        `(nothing / 1 % changed); Buffers ${ratio(r.oursMs / r.bufSameMs)} / ${ratio(r.oursMs / r.bufChangedMs)}`,
    );
  }
  return out;
}
