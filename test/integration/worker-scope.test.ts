/**
 * Integration (issue 8): one sidecar per Connect worker, in worker scope, against the two real workers of
 * the shared stack. Over both sidecars every task series appears exactly once, and every connector-level
 * series (state, DLQ) exactly once, on the sidecar of the worker running the connector instance; the sum
 * over the sidecars equals what one cluster-scope sidecar publishes.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { samples, type Sample } from '../helpers/exposition.js';
import { startSentinel, type TestSentinel } from '../helpers/sentinel.js';
import '../stack/context.js';
import { TEST_PLUGINS } from '../stack/launcher.js';
import {
  allRunning,
  createTopic,
  deleteConnector,
  produce,
  putConnector,
  rest,
  waitForConnectorState,
  type ConnectorStatus,
} from '../stack/scenarios.js';

const stack = inject('stack');
const workers = stack.workers;
const prefix = `ws-${Date.now().toString(36)}`;
// 9 tasks balanced over 2 workers (5 + 4) cannot all sit with their connector instances (multiples of 3),
// so at least one connector has tasks on the worker that does not run its instance.
const CONNECTORS = 3;
const TASKS = 3;
const names = Array.from({ length: CONNECTORS }, (_, i) => `${prefix}-c${i}`);
const STRING = 'org.apache.kafka.connect.storage.StringConverter';

let sidecars: TestSentinel[] = [];
let whole: TestSentinel;

beforeAll(async () => {
  expect(workers).toHaveLength(2);
  await Promise.all(
    names.map(async (name) => {
      await createTopic(stack.bootstrap, `${name}-in`);
      // Every record goes to the DLQ (KIP-610 reporter), so each connector has DLQ series to place.
      await produce(stack.bootstrap, `${name}-in`, ['a', 'b']);
      await putConnector(workers[0]!.url, name, {
        'connector.class': TEST_PLUGINS.errantRecordSink,
        'tasks.max': String(TASKS),
        topics: `${name}-in`,
        'key.converter': STRING,
        'value.converter': STRING,
        'errors.tolerance': 'all',
        'errors.deadletterqueue.topic.name': `${name}-dlq`,
        'errors.deadletterqueue.topic.replication.factor': '1',
        'errors.deadletterqueue.context.headers.enable': 'true',
      });
    }),
  );
  await Promise.all(names.map((n) => waitForConnectorState(workers[0]!.url, n, allRunning(TASKS), 120_000)));
  const common = ['--connect.name', 'ws', '--kafka.brokers', stack.bootstrap];
  sidecars = await Promise.all(
    workers.map((w) =>
      startSentinel([
        '--connect.url',
        w.url,
        '--connect.scope=worker',
        `--connect.worker-id=${w.workerId}`,
        ...common,
      ]),
    ),
  );
  whole = await startSentinel(['--connect.url', workers[0]!.url, ...common]);
});

afterAll(async () => {
  await Promise.all([...sidecars, whole].filter(Boolean).map((s) => s.stop()));
  await Promise.all(names.map((n) => deleteConnector(workers[0]!.url, n).catch(() => undefined)));
});

const ours = (s: Sample): boolean => names.includes(s.labels.connector ?? '');
const key = (s: Sample): string =>
  `${s.name}{${Object.entries(s.labels)
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;

interface View {
  statuses: ConnectorStatus[];
  perSidecar: Sample[][];
  cluster: Sample[];
}

async function view(): Promise<View> {
  const res = await rest(workers[0]!.url, 'GET', 'connectors?expand=status', undefined);
  const all = res.body as Record<string, { status: ConnectorStatus }>;
  return {
    statuses: names.map((n) => all[n]?.status).filter((s): s is ConnectorStatus => s !== undefined),
    perSidecar: await Promise.all(sidecars.map(async (s) => (await s.metrics()).filter(ours))),
    cluster: (await whole.metrics()).filter(ours),
  };
}

/** What is wrong with a view; empty when the sidecars agree with Connect and with cluster scope. */
function problems(v: View): string[] {
  const out: string[] = [];
  if (v.statuses.length !== CONNECTORS) out.push(`Connect shows ${v.statuses.length} of our connectors`);
  for (const st of v.statuses) {
    if (st.tasks.length !== TASKS) out.push(`${st.name}: ${st.tasks.length} tasks`);
    // The connector's state series: only on the sidecar of the worker running its instance.
    const holders = workers.filter(
      (_, i) => samples(v.perSidecar[i]!, 'kafka_connect_connector_state', { connector: st.name }).length > 0,
    );
    if (holders.length !== 1 || holders[0]?.workerId !== st.connector.worker_id) {
      out.push(
        `${st.name}: state on [${holders.map((w) => w.workerId)}], instance on ${st.connector.worker_id}`,
      );
    }
    const dlq = workers.filter(
      (_, i) =>
        samples(v.perSidecar[i]!, 'kafka_connect_dlq_records_written_total', { connector: st.name }).length >
        0,
    );
    if (dlq.length !== 1 || dlq[0]?.workerId !== st.connector.worker_id)
      out.push(`${st.name}: DLQ series on [${dlq.map((w) => w.workerId)}]`);
    const written = v.perSidecar.flatMap((m) =>
      samples(m, 'kafka_connect_dlq_records_written_total', { connector: st.name }),
    );
    if (written.reduce((a, x) => a + x.value, 0) !== 2)
      out.push(`${st.name}: DLQ written ${written.map((x) => x.value)}, want 2`);
    // Each task: on exactly one sidecar, its worker's.
    for (const t of st.tasks) {
      const on = workers.filter(
        (_, i) =>
          samples(v.perSidecar[i]!, 'kafka_connect_task_info', { connector: st.name, task: String(t.id) })
            .length > 0,
      );
      if (on.length !== 1 || on[0]?.workerId !== t.worker_id)
        out.push(`${st.name}/${t.id}: on [${on.map((w) => w.workerId)}], runs on ${t.worker_id}`);
    }
  }
  const split = v.statuses.filter((st) => st.tasks.some((t) => t.worker_id !== st.connector.worker_id));
  if (split.length === 0)
    out.push('no connector has a task away from its instance yet (waiting for the rebalance)');
  // Summed over the sidecars, every series of our connectors has the cluster-scope value, and no other.
  const sum = new Map<string, number>();
  for (const s of v.perSidecar.flat()) sum.set(key(s), (sum.get(key(s)) ?? 0) + s.value);
  const expected = new Map(v.cluster.map((s) => [key(s), s.value]));
  for (const [k, n] of expected)
    if (sum.get(k) !== n) out.push(`${k}: ${sum.get(k)} over the sidecars, ${n} in cluster scope`);
  for (const k of sum.keys()) if (!expected.has(k)) out.push(`${k}: only in worker scope`);
  return out;
}

test('two workers, one sidecar each: every task and every connector is published exactly once', async () => {
  // Rebalances can move work between the REST read and the sidecars' polls: wait for one consistent view.
  const deadline = Date.now() + 90_000;
  let v = await view();
  let wrong = problems(v);
  while (wrong.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    v = await view();
    wrong = problems(v);
  }
  expect(wrong).toEqual([]);

  // Both workers run some of it, so both sidecars had something to say (and to leave out).
  const tasksPer = v.perSidecar.map((s) => samples(s, 'kafka_connect_task_info', {}).length);
  expect(
    tasksPer.every((n) => n > 0),
    `tasks per sidecar: ${tasksPer}`,
  ).toBe(true);
  expect(tasksPer.reduce((a, b) => a + b)).toBe(CONNECTORS * TASKS);
  // The sidecars' snapshots (what the restarter reads) hold only their worker's tasks.
  sidecars.forEach((s, i) => {
    const snap = s.sentinel.snapshot('ws');
    const tasks =
      snap?.connect.connectors.filter((c) => names.includes(c.name)).flatMap((c) => c.tasks) ?? [];
    expect(tasks.every((t) => t.workerId === workers[i]!.workerId)).toBe(true);
  });
});
