/**
 * Prototype (bench only): renderCluster with a per-connector memo. Between two polls most connectors do
 * not change, so their lines are reused; only the connectors whose state, tasks, workers, class,
 * error-handling settings or failure counts changed are rendered again. Output is identical to
 * renderCluster's (the bench checks it).
 */
import { errorHandling } from '../../src/connect/error-handling.js';
import { CONNECTOR_STATES, TASK_STATES, type ConnectorView } from '../../src/connect/types.js';
import type { FamilyName } from '../../src/exposition/families.js';
import { renderCluster, type Fragments } from '../../src/exposition/render.js';
import { escapeLabelValue as esc, formatValue } from '../../src/exposition/text.js';
import { splitTaskKey, type ClusterSnapshot } from '../../src/state/snapshot.js';

const PER_CONNECTOR = [
  'kafka_connect_connector_info',
  'kafka_connect_connector_state',
  'kafka_connect_connector_tasks',
  'kafka_connect_connector_failures_total',
  'kafka_connect_connector_error_handling_info',
  'kafka_connect_task_state',
  'kafka_connect_task_info',
] as const satisfies readonly FamilyName[];
type Parts = Record<(typeof PER_CONNECTOR)[number], string>;
type PartBuffers = Record<(typeof PER_CONNECTOR)[number], Buffer>;

function fingerprint(c: ConnectorView, failures: number): string {
  const cfg = c.config;
  let key =
    `${c.state}\u0001${c.type}\u0001${c.className}\u0001${c.workerId}\u0001${failures}\u0001` +
    `${cfg['errors.tolerance']}\u0001${cfg['errors.log.enable']}\u0001${cfg['errors.deadletterqueue.topic.name']}\u0001` +
    `${cfg['errors.deadletterqueue.context.headers.enable']}`;
  for (const t of c.tasks) key += `\u0002${t.id}\u0003${t.state}\u0003${t.workerId}`;
  return key;
}

function renderConnector(cl: string, c: ConnectorView, failures: number): Parts {
  const cn = `,connector="${esc(c.name)}"`;
  const p = (family: string, rest: string, v: number): string =>
    `${family}{connect_cluster="${cl}"${rest}} ${formatValue(v)}\n`;
  let state = '';
  let known = false;
  for (const s of CONNECTOR_STATES) {
    const on = c.state === s;
    known ||= on;
    state += p('kafka_connect_connector_state', `${cn},state="${s}"`, on ? 1 : 0);
  }
  if (!known) state += p('kafka_connect_connector_state', `${cn},state="${esc(c.state)}"`, 1);
  const eh = errorHandling(c);
  let taskState = '';
  let taskInfo = '';
  for (const t of c.tasks) {
    const tn = `${cn},task="${t.id}"`;
    let tknown = false;
    for (const s of TASK_STATES) {
      const on = t.state === s;
      tknown ||= on;
      taskState += p('kafka_connect_task_state', `${tn},state="${s}"`, on ? 1 : 0);
    }
    if (!tknown) taskState += p('kafka_connect_task_state', `${tn},state="${esc(t.state)}"`, 1);
    taskInfo += p('kafka_connect_task_info', `${tn},worker_id="${esc(t.workerId)}"`, 1);
  }
  return {
    kafka_connect_connector_info: p(
      'kafka_connect_connector_info',
      `${cn},connector_type="${c.type}",connector_class="${esc(c.className)}",worker_id="${esc(c.workerId)}"`,
      1,
    ),
    kafka_connect_connector_state: state,
    kafka_connect_connector_tasks: p('kafka_connect_connector_tasks', cn, c.tasks.length),
    kafka_connect_connector_failures_total: p('kafka_connect_connector_failures_total', cn, failures),
    kafka_connect_connector_error_handling_info: p(
      'kafka_connect_connector_error_handling_info',
      `${cn},errors_tolerance="${esc(eh.tolerance)}",errors_log_enable="${eh.logEnable}",` +
        `dlq_topic="${esc(eh.dlqTopic)}",dlq_context_headers="${eh.dlqContextHeaders}"`,
      1,
    ),
    kafka_connect_task_state: taskState,
    kafka_connect_task_info: taskInfo,
  };
}

export class IncrementalRenderer {
  private cluster = '';
  private memo = new Map<string, { key: string; parts: Parts }>();
  private taskLines = new Map<string, { n: number; line: string }>();
  /** Connectors rendered again by the latest call (for the bench). */
  rerendered = 0;

  render(s: ClusterSnapshot): Fragments {
    const cl = esc(s.cluster);
    if (cl !== this.cluster) {
      this.cluster = cl;
      this.memo = new Map();
      this.taskLines = new Map();
    }
    // Everything that is not per connector is small: let renderCluster do it on a snapshot without connectors.
    const rest = renderCluster({
      ...s,
      connect: { ...s.connect, connectors: [] },
      failures: { connectors: new Map(), tasks: new Map() },
    });
    const nextMemo = new Map<string, { key: string; parts: Parts }>();
    const chunks: Record<(typeof PER_CONNECTOR)[number], string[]> = {
      kafka_connect_connector_info: [],
      kafka_connect_connector_state: [],
      kafka_connect_connector_tasks: [],
      kafka_connect_connector_failures_total: [],
      kafka_connect_connector_error_handling_info: [],
      kafka_connect_task_state: [],
      kafka_connect_task_info: [],
    };
    this.rerendered = 0;
    for (const c of s.connect.connectors) {
      const failures = s.failures.connectors.get(c.name) ?? 0;
      const key = fingerprint(c, failures);
      let entry = this.memo.get(c.name);
      if (entry?.key !== key) {
        entry = { key, parts: renderConnector(cl, c, failures) };
        this.rerendered++;
      }
      nextMemo.set(c.name, entry);
      for (const f of PER_CONNECTOR) chunks[f].push(entry.parts[f]);
    }
    this.memo = nextMemo;
    const nextTasks = new Map<string, { n: number; line: string }>();
    const taskFailures: string[] = [];
    for (const [key, n] of s.failures.tasks) {
      let e = this.taskLines.get(key);
      if (e?.n !== n) {
        const [connector, task] = splitTaskKey(key);
        e = {
          n,
          line: `kafka_connect_task_failures_total{connect_cluster="${cl}",connector="${esc(connector)}",task="${task}"} ${formatValue(n)}\n`,
        };
      }
      nextTasks.set(key, e);
      taskFailures.push(e.line);
    }
    this.taskLines = nextTasks;
    const out: Fragments = { ...rest };
    for (const f of PER_CONNECTOR) {
      const text = chunks[f].join('');
      if (text !== '') out[f] = text;
    }
    if (taskFailures.length > 0) out.kafka_connect_task_failures_total = taskFailures.join('');
    return out;
  }

  private bufMemo = new Map<string, { key: string; parts: PartBuffers }>();
  private taskBufs = new Map<string, { n: number; buf: Buffer }>();

  /**
   * The whole body of one cluster as ExpositionCache would assemble it (no process metrics), from Buffers
   * encoded once per connector change: a poll where little changed costs fingerprints and one memcpy.
   */
  body(s: ClusterSnapshot, headers: ReadonlyMap<string, Buffer>, buildInfo: Buffer): Buffer {
    const cl = esc(s.cluster);
    if (cl !== this.cluster) {
      this.cluster = cl;
      this.bufMemo = new Map();
      this.taskBufs = new Map();
    }
    const rest = renderCluster({
      ...s,
      connect: { ...s.connect, connectors: [] },
      failures: { connectors: new Map(), tasks: new Map() },
    });
    const per: Record<string, Buffer[]> = {};
    for (const f of PER_CONNECTOR) per[f] = [];
    const next = new Map<string, { key: string; parts: PartBuffers }>();
    this.rerendered = 0;
    for (const c of s.connect.connectors) {
      const failures = s.failures.connectors.get(c.name) ?? 0;
      const key = fingerprint(c, failures);
      let entry = this.bufMemo.get(c.name);
      if (entry?.key !== key) {
        const parts = renderConnector(cl, c, failures);
        const bufs = {} as PartBuffers;
        for (const f of PER_CONNECTOR) bufs[f] = Buffer.from(parts[f]);
        entry = { key, parts: bufs };
        this.rerendered++;
      }
      next.set(c.name, entry);
      for (const f of PER_CONNECTOR) per[f]?.push(entry.parts[f]);
    }
    this.bufMemo = next;
    const nextTasks = new Map<string, { n: number; buf: Buffer }>();
    const tf: Buffer[] = [];
    for (const [key, n] of s.failures.tasks) {
      let e = this.taskBufs.get(key);
      if (e?.n !== n) {
        const [connector, task] = splitTaskKey(key);
        e = {
          n,
          buf: Buffer.from(
            `kafka_connect_task_failures_total{connect_cluster="${cl}",connector="${esc(connector)}",task="${task}"} ${formatValue(n)}\n`,
          ),
        };
      }
      nextTasks.set(key, e);
      tf.push(e.buf);
    }
    this.taskBufs = nextTasks;
    per.kafka_connect_task_failures_total = tf;
    const all: Buffer[] = [];
    for (const [name, header] of headers) {
      if (name === 'connect_sentinel_build_info') {
        all.push(header, buildInfo);
        continue;
      }
      const bufs = per[name];
      const text = rest[name as FamilyName];
      if (bufs && bufs.length > 0) all.push(header, ...bufs);
      else if (text !== undefined && text !== '') all.push(header, Buffer.from(text));
    }
    return Buffer.concat(all);
  }
}
