/**
 * Snapshot → metric text fragments: for each family, the encoded lines of one cluster. Runs once per poll,
 * never per scrape; a connector's lines are encoded again only when something they show changed.
 */
import { errorHandling, type ErrorHandling } from '../connect/error-handling.js';
import { CONNECTOR_STATES, TASK_STATES, type ConnectorView } from '../connect/types.js';
import type { RestartView } from '../state/restarts.js';
import {
  taskFailures,
  type ClusterSnapshot,
  type SourceHealth,
  type StatusSourceView,
} from '../state/snapshot.js';
import { FAMILIES, sampleFormat, type FamilyName, type LabelValues } from './families.js';
import { escapeLabelValue as esc } from './text.js';

export type Fragments = Partial<Record<FamilyName, readonly Buffer[]>>;

/** Every family's sample writer, made once from the family definitions. */
const SAMPLE = Object.fromEntries(FAMILIES.map((d) => [d.name, sampleFormat(d.name)])) as {
  readonly [F in FamilyName]: ReturnType<typeof sampleFormat<F>>;
};

class FragmentBuilder {
  private readonly lines = new Map<FamilyName, string[]>();
  constructor(private readonly clusterLabel: string) {}

  /** `values` are escaped label values in the family's label order. */
  add<F extends FamilyName>(family: F, values: LabelValues<F>, value: number): void {
    let arr = this.lines.get(family);
    if (arr === undefined) {
      arr = [];
      this.lines.set(family, arr);
    }
    arr.push(SAMPLE[family](this.clusterLabel, values, value));
  }

  build(): Fragments {
    const out: Fragments = {};
    for (const [family, arr] of this.lines) out[family] = [Buffer.from(arr.join(''))];
    return out;
  }
}

/** The families rendered per connector: memoized between polls, since most connectors do not change. */
const PER_CONNECTOR = [
  'kafka_connect_connector_info',
  'kafka_connect_connector_state',
  'kafka_connect_connector_tasks',
  'kafka_connect_connector_failures_total',
  'kafka_connect_connector_error_handling_info',
  'kafka_connect_task_state',
  'kafka_connect_task_info',
  'kafka_connect_task_failures_total',
] as const satisfies readonly FamilyName[];
type ConnectorFamily = (typeof PER_CONNECTOR)[number];
type ConnectorLines = Record<ConnectorFamily, string>;

/**
 * Everything a connector's lines are made of, and nothing else: `renderConnector` reads only this, and the
 * memo key is this object serialized, so an input added for a new label is in the key by construction.
 */
interface ConnectorInputs {
  readonly name: string;
  readonly state: string;
  readonly type: string;
  readonly className: string;
  readonly workerId: string;
  readonly failures: number;
  readonly errorHandling: ErrorHandling;
  /** Worker scope: whether the connector instance runs here, and its tasks on all workers. */
  readonly instanceHere: boolean;
  readonly totalTasks: number;
  readonly tasks: readonly {
    readonly id: number;
    readonly state: string;
    readonly workerId: string;
    readonly failures: number;
  }[];
}

function inputsOf(c: ConnectorView, s: ClusterSnapshot): ConnectorInputs {
  return {
    name: c.name,
    state: c.state,
    type: c.type,
    className: c.className,
    workerId: c.workerId,
    failures: s.failures.connectors.get(c.name) ?? 0,
    errorHandling: errorHandling(c),
    instanceHere: c.scoped?.instanceHere ?? true,
    totalTasks: c.scoped?.totalTasks ?? c.tasks.length,
    tasks: c.tasks.map((t) => ({
      id: t.id,
      state: t.state,
      workerId: t.workerId,
      failures: taskFailures(s.failures, c.name, t.id),
    })),
  };
}

/** The memo key: every input, in a fixed order; equal keys give equal lines. */
function keyOf(i: ConnectorInputs): string {
  // JSON keeps the structure unambiguous whatever the names hold; inputs are small (no traces, no config).
  return JSON.stringify(i);
}

/**
 * The failure counters `inputsOf` reads for a connector, as text; '' when they are all 0, which is most
 * connectors, so the check costs no allocation for them.
 */
function failuresOf(c: ConnectorView, s: ClusterSnapshot): string {
  const f = s.failures;
  const own = f.connectors.get(c.name) ?? 0;
  const tasks = f.tasks.size > 0 && (f.taskConnectors?.has(c.name) ?? true);
  if (own === 0 && !tasks) return '';
  let out = String(own);
  if (tasks) for (const t of c.tasks) out += `,${taskFailures(f, c.name, t.id)}`;
  return out;
}

/**
 * How states are published. `current` (the default): one series per connector and per task, for the state it
 * is in, with value 1. `stateSets`: a series per possible state, 1 for the current one and 0 for the others.
 * Both give `…{state="X"} == 1` for the same things, which is what the shipped rules and dashboards read.
 */
export interface RenderOptions {
  readonly stateSets: boolean;
}

const CURRENT_STATE_ONLY: RenderOptions = { stateSets: false };

/**
 * The state lines of one connector or task: in StateSet mode every known state (a state this version does
 * not know, from a newer worker, is added as reported rather than hidden); otherwise only the current one.
 */
function stateLines(
  known: readonly string[],
  state: string,
  stateSets: boolean,
  line: (state: string, value: number) => string,
): string {
  if (!stateSets) return line(esc(state), 1);
  let out = '';
  let seen = false;
  for (const s of known) {
    const on = s === state;
    seen ||= on;
    out += line(s, on ? 1 : 0);
  }
  return seen ? out : out + line(esc(state), 1);
}

function renderConnector(cl: string, c: ConnectorInputs, o: RenderOptions): ConnectorLines {
  const cn = esc(c.name);
  let taskState = '';
  let taskInfo = '';
  let taskFailureLines = '';
  for (const t of c.tasks) {
    const id = String(t.id);
    taskState += stateLines(TASK_STATES, t.state, o.stateSets, (state, v) =>
      SAMPLE.kafka_connect_task_state(cl, [cn, id, state], v),
    );
    taskInfo += SAMPLE.kafka_connect_task_info(cl, [cn, id, esc(t.workerId)], 1);
    taskFailureLines += SAMPLE.kafka_connect_task_failures_total(cl, [cn, id], t.failures);
  }
  const out: ConnectorLines = {
    kafka_connect_connector_info: '',
    kafka_connect_connector_state: '',
    kafka_connect_connector_tasks: '',
    kafka_connect_connector_failures_total: '',
    kafka_connect_connector_error_handling_info: '',
    kafka_connect_task_state: taskState,
    kafka_connect_task_info: taskInfo,
    kafka_connect_task_failures_total: taskFailureLines,
  };
  // Worker scope: the sidecar of the worker running the connector instance publishes its connector-level
  // series; the others publish only their tasks, so sums over sidecars count each connector once.
  if (!c.instanceHere) return out;
  out.kafka_connect_connector_info = SAMPLE.kafka_connect_connector_info(
    cl,
    [cn, c.type, esc(c.className), esc(c.workerId)],
    1,
  );
  out.kafka_connect_connector_state = stateLines(CONNECTOR_STATES, c.state, o.stateSets, (state, v) =>
    SAMPLE.kafka_connect_connector_state(cl, [cn, state], v),
  );
  out.kafka_connect_connector_tasks = SAMPLE.kafka_connect_connector_tasks(cl, [cn], c.totalTasks);
  out.kafka_connect_connector_failures_total = SAMPLE.kafka_connect_connector_failures_total(
    cl,
    [cn],
    c.failures,
  );
  const eh = c.errorHandling;
  out.kafka_connect_connector_error_handling_info = SAMPLE.kafka_connect_connector_error_handling_info(
    cl,
    [cn, esc(eh.tolerance), String(eh.logEnable), esc(eh.dlqTopic), String(eh.dlqContextHeaders)],
    1,
  );
  return out;
}

/** A block's text: one buffer per family (none where the block has no line of it). */
type BlockBuffers = Partial<Record<ConnectorFamily, Buffer>>;

/**
 * A connector as the previous poll rendered it. `inputsOf` reads the view and the failure counters only,
 * so the same view object (the parser hands out the same object for unchanged bytes) with the same
 * counters has the same key without building it; a new object is keyed anew and may still match.
 */
interface MemoEntry {
  readonly key: string;
  readonly view: ConnectorView;
  readonly failures: string;
  /**
   * Where its lines are: the buffers of its block and, per family in PER_CONNECTOR order, the start and
   * end offsets in that family's buffer. Offsets rather than a Buffer view per family: 8 objects fewer
   * per connector on the heap.
   */
  buffers: BlockBuffers;
  spans: number[];
}

/** A connector whose lines changed since the previous poll: its key and its text, not yet in a block. */
interface FreshEntry {
  readonly key: string;
  readonly view: ConnectorView;
  readonly failures: string;
  readonly text: ConnectorLines;
}

/** A run of consecutive connectors whose lines are stored, per family, in one buffer. */
interface Block {
  readonly names: readonly string[];
  readonly buffers: BlockBuffers;
}

/**
 * Block boundaries depend on the connectors' names only (content-defined, like rsync's chunks), so
 * creating or deleting a connector changes one block, not every block after it. ~128 connectors per block on
 * average, at most 512.
 */
const BLOCK_MASK = 127;
const BLOCK_MAX = 512;
/** Connectors fingerprinted between two yields of the event loop. */
const SLICE = 500;

function endsBlock(name: string, size: number): boolean {
  if (size >= BLOCK_MAX) return true;
  // FNV-1a over the UTF-16 code units.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return ((h >>> 0) & BLOCK_MASK) === 0;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Renders one cluster's snapshots poll after poll. A connector whose fingerprint did not change since the
 * previous poll reuses its lines, and a block of connectors none of which changed reuses its buffers as
 * they are, so a poll of thousands of quiet connectors renders and copies almost nothing. A connector's
 * lines live only in its block's buffers (the memo keeps offsets into them), so the memory held between
 * polls is about one copy of the exposition text.
 */
export class ClusterRenderer {
  private readonly options: RenderOptions;
  private label = '';
  private memo = new Map<string, MemoEntry>();
  private blocks = new Map<string, Block>();
  /** Connectors rendered anew by the latest call. */
  rendered = 0;
  /** Blocks whose buffers were built anew by the latest call. */
  rebuilt = 0;

  constructor(options: RenderOptions = CURRENT_STATE_ONLY) {
    this.options = options;
  }

  render(s: ClusterSnapshot): Fragments {
    const steps = this.steps(s);
    for (let r = steps.next(); ; r = steps.next()) if (r.done === true) return r.value;
  }

  /**
   * The same as `render`, but lets pending I/O (scrapes) run every few hundred connectors and after each
   * rebuilt block, so no single task of a large cluster's rendering blocks the event loop for long.
   */
  async renderAsync(s: ClusterSnapshot, pause: () => Promise<void>): Promise<Fragments> {
    const steps = this.steps(s);
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done === true) return r.value;
      await pause();
    }
  }

  private *steps(s: ClusterSnapshot): Generator<void, Fragments> {
    const cl = esc(s.cluster);
    if (cl !== this.label) {
      this.label = cl;
      this.memo = new Map();
      this.blocks = new Map();
    }
    const b = new FragmentBuilder(cl);
    renderClusterLevel(b, s);
    const chunks = Object.fromEntries(PER_CONNECTOR.map((f) => [f, [] as Buffer[]])) as Record<
      ConnectorFamily,
      Buffer[]
    >;
    const memo = new Map<string, MemoEntry>();
    const blocks = new Map<string, Block>();
    this.rendered = 0;
    this.rebuilt = 0;
    let names: string[] = [];
    /** Entries of the current block; a fresh text where the connector changed, else its memo entry. */
    let entries: (MemoEntry | FreshEntry)[] = [];
    let changed = false;
    let sinceYield = 0;
    const closeBlock = (): boolean => {
      const first = names[0] as string;
      const previous = this.blocks.get(first);
      let block: Block;
      let built = false;
      if (!changed && previous !== undefined && sameNames(previous.names, names)) {
        block = previous;
      } else {
        block = { names, buffers: buildBlock(entries, memo, names) };
        this.rebuilt++;
        built = true;
      }
      blocks.set(first, block);
      for (const f of PER_CONNECTOR) {
        const buf = block.buffers[f];
        if (buf !== undefined) chunks[f].push(buf);
      }
      names = [];
      entries = [];
      changed = false;
      return built;
    };
    for (const c of s.connect.connectors) {
      const old = this.memo.get(c.name);
      const failures = failuresOf(c, s);
      let entry: MemoEntry | FreshEntry;
      if (old !== undefined && old.view === c && old.failures === failures) {
        entry = old;
      } else {
        const inputs = inputsOf(c, s);
        const key = keyOf(inputs);
        entry =
          old?.key === key
            ? { ...old, view: c, failures }
            : { key, view: c, failures, text: renderConnector(cl, inputs, this.options) };
      }
      if ('text' in entry) {
        changed = true;
        this.rendered++;
      } else {
        memo.set(c.name, entry);
      }
      entries.push(entry);
      names.push(c.name);
      if (endsBlock(c.name, names.length) && closeBlock()) {
        sinceYield = 0;
        yield;
      } else if (++sinceYield >= SLICE) {
        sinceYield = 0;
        yield;
      }
    }
    if (names.length > 0) closeBlock();
    this.memo = memo;
    this.blocks = blocks;
    const out = b.build();
    for (const f of PER_CONNECTOR) if (chunks[f].length > 0) out[f] = chunks[f];
    return out;
  }
}

/**
 * One buffer per family for a block of connectors: lines of unchanged connectors are copied from their
 * previous block, changed ones are encoded straight into it. Every connector's memo entry is then pointed
 * at its part of the new buffers, so the previous block's buffers can be freed.
 */
function buildBlock(
  entries: readonly (MemoEntry | FreshEntry)[],
  memo: Map<string, MemoEntry>,
  names: readonly string[],
): BlockBuffers {
  const buffers: BlockBuffers = {};
  const spans = entries.map(() => new Array<number>(2 * PER_CONNECTOR.length).fill(0));
  PER_CONNECTOR.forEach((f, k) => {
    let size = 0;
    for (const e of entries) {
      size +=
        'text' in e
          ? Buffer.byteLength(e.text[f])
          : (e.spans[2 * k + 1] as number) - (e.spans[2 * k] as number);
    }
    if (size === 0) return;
    const buf = Buffer.allocUnsafeSlow(size);
    let at = 0;
    entries.forEach((e, i) => {
      const span = spans[i] as number[];
      span[2 * k] = at;
      if ('text' in e) {
        if (e.text[f] !== '') at += buf.write(e.text[f], at);
      } else {
        const from = e.buffers[f];
        if (from !== undefined) at += from.copy(buf, at, e.spans[2 * k], e.spans[2 * k + 1]);
      }
      span[2 * k + 1] = at;
    });
    buffers[f] = buf;
  });
  entries.forEach((e, i) => {
    const name = names[i] as string;
    const span = spans[i] as number[];
    if ('text' in e) {
      memo.set(name, { key: e.key, view: e.view, failures: e.failures, buffers, spans: span });
    } else {
      e.buffers = buffers;
      e.spans = span;
    }
  });
  return buffers;
}

/** A one-off rendering of a snapshot (no memo). */
export function renderCluster(s: ClusterSnapshot, options: RenderOptions = CURRENT_STATE_ONLY): Fragments {
  return new ClusterRenderer(options).render(s);
}

/** Everything that is not per connector: health, version and the Kafka-derived series. */
function renderClusterLevel(b: FragmentBuilder, s: ClusterSnapshot): void {
  const connect = s.connect;
  b.add('kafka_connect_up', [], connect.up ? 1 : 0);
  renderHealth(b, 'connect', connect);
  if (connect.info) {
    const i = connect.info;
    b.add('kafka_connect_info', [esc(i.version), esc(i.commit), esc(i.kafkaClusterId)], 1);
  }

  const kafka = s.kafka;
  if (kafka) {
    b.add('kafka_connect_kafka_up', [], kafka.up ? 1 : 0);
    renderHealth(b, 'kafka', kafka);
    for (const d of kafka.dlq) {
      const l = [esc(d.connector), esc(d.topic)] as const;
      b.add('kafka_connect_dlq_records', l, d.records);
      b.add('kafka_connect_dlq_records_written_total', l, d.written);
    }
    for (const e of kafka.dlqErrors) {
      b.add(
        'kafka_connect_dlq_errors_total',
        [esc(e.connector), esc(e.topic), esc(e.stage), esc(e.exceptionClass)],
        e.count,
      );
    }
    for (const d of kafka.dlqLast) {
      b.add(
        'kafka_connect_dlq_last_record_timestamp_seconds',
        [esc(d.connector), esc(d.topic)],
        d.timestampSeconds,
      );
    }
    for (const g of kafka.lag) {
      const l = [esc(g.connector), esc(g.topic)] as const;
      b.add('kafka_connect_sink_lag_records', l, g.lag);
      b.add('kafka_connect_sink_committed_offsets_total', l, g.committed);
    }
  }
  renderStatusSource(b, s.status);
}

/** The status topic follower's health; follower_up is 0 without one (no Kafka: REST only). */
function renderStatusSource(b: FragmentBuilder, st: StatusSourceView | undefined): void {
  b.add('connect_sentinel_status_follower_up', [], st?.up === true ? 1 : 0);
  if (st === undefined) return;
  if (st.topic !== undefined) b.add('connect_sentinel_status_topic_info', [esc(st.topic)], 1);
  b.add('connect_sentinel_status_events_total', [], st.eventsTotal);
  b.add('connect_sentinel_status_records_skipped_total', [], st.skippedTotal);
  if (st.lastEventAt !== undefined)
    b.add('connect_sentinel_status_last_event_timestamp_seconds', [], st.lastEventAt / 1000);
  b.add('connect_sentinel_status_lag_records', [], st.lagRecords);
}

function renderHealth(b: FragmentBuilder, source: 'connect' | 'kafka', h: SourceHealth): void {
  b.add('connect_sentinel_poll_duration_seconds', [source], h.durationSeconds);
  b.add('connect_sentinel_poll_errors_total', [source], h.errorsTotal);
  if (h.lastSuccessAt !== undefined) {
    b.add('connect_sentinel_last_successful_poll_timestamp_seconds', [source], h.lastSuccessAt / 1000);
  }
}

/** Healing's own series for one cluster, published whenever its counters change. */
export function renderRestarts(cluster: string, r: RestartView): Fragments {
  const b = new FragmentBuilder(esc(cluster));
  for (const [connector, n] of r.attempts) {
    const cn = esc(connector);
    b.add('connect_sentinel_restart_attempts_total', [cn], n);
    b.add('connect_sentinel_restart_failures_total', [cn], r.failures.get(connector) ?? 0);
    b.add('connect_sentinel_restart_conflicts_total', [cn], r.conflicts.get(connector) ?? 0);
    b.add('connect_sentinel_restart_budget_exhausted', [cn], r.budgetExhausted.has(connector) ? 1 : 0);
  }
  return b.build();
}

/** What became of one cluster's webhook notifications, published whenever a count changes. */
export function renderNotifications(
  cluster: string,
  n: { readonly delivered: number; readonly failed: number; readonly dropped: number },
): Fragments {
  const b = new FragmentBuilder(esc(cluster));
  b.add('connect_sentinel_notifications_total', ['delivered'], n.delivered);
  b.add('connect_sentinel_notifications_total', ['failed'], n.failed);
  b.add('connect_sentinel_notifications_total', ['dropped'], n.dropped);
  return b.build();
}
