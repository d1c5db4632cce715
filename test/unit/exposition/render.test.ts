import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseExpanded } from '../../../src/connect/parse.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import { ExpositionCache } from '../../../src/exposition/cache.js';
import { FAMILIES, sampleFormat } from '../../../src/exposition/families.js';
import {
  renderCluster,
  renderNotifications,
  renderRestarts,
  type RenderOptions,
} from '../../../src/exposition/render.js';
import type { ClusterSnapshot } from '../../../src/state/snapshot.js';
import { countFailures } from '../../../src/state/transitions.js';
import { expandedAnswer } from '../../fixtures/connectors.js';
import { parseExposition, samples, value } from '../../helpers/exposition.js';
import { promtoolCheckMetrics } from '../../helpers/promtool.js';
import { connectorView, NO_DLQ_STATUS } from '../../fixtures/views.js';

const GOLDEN = {
  default: new URL('./golden/exposition.prom', import.meta.url),
  stateSets: new URL('./golden/exposition-state-sets.prom', import.meta.url),
};
const MODES = [
  ['default', { stateSets: false }],
  ['stateSets', { stateSets: true }],
] as const satisfies readonly (readonly [keyof typeof GOLDEN, RenderOptions])[];

function snapshotOf(cluster: string, connectors: ConnectorView[]): ClusterSnapshot {
  return {
    cluster,
    takenAt: 1_700_000_000_000,
    connect: {
      up: true,
      durationSeconds: 0.042,
      lastSuccessAt: 1_700_000_000_000,
      errorsTotal: 3,
      info: { version: '4.1.1', commit: 'be816b82d25370ce', kafkaClusterId: 'MkU3OEVBNTcwNTJENDM2Qg' },
      connectors,
      stale: false,
      expanded: true,
      requests: 1,
    },
    failures: countFailures(undefined, connectors, { connectors: new Map(), tasks: new Map() }),
    kafka: {
      up: true,
      durationSeconds: 0.01,
      lastSuccessAt: 1_700_000_000_000,
      errorsTotal: 0,
      dlq: [{ connector: 'file-sink', topic: 'dlq-file-sink', records: 5, written: 7, partitions: 1 }],
      dlqErrors: [
        {
          connector: 'file-sink',
          topic: 'dlq-file-sink',
          stage: 'VALUE_CONVERTER',
          exceptionClass: 'org.apache.kafka.connect.errors.DataException',
          count: 7,
        },
      ],
      dlqLast: [{ connector: 'file-sink', topic: 'dlq-file-sink', timestampSeconds: 1_699_999_999.5 }],
      lag: [{ connector: 'file-sink', topic: 'in', lag: 12, committed: 30 }],
      dlqStatus: NO_DLQ_STATUS,
    },
  };
}

function fixtureText(options: RenderOptions = { stateSets: false }): string {
  const cache = new ExpositionCache({ version: '0.0.0-test', revision: 'golden' });
  const connectors = parseExpanded(expandedAnswer, '/connectors')!.connectors.sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  // prod follows its status topic; staging runs on the REST poll alone.
  cache.setCluster(
    'prod',
    renderCluster(
      {
        ...snapshotOf('prod', connectors),
        status: {
          topic: 'connect-status',
          up: true,
          eventsTotal: 812,
          skippedTotal: 1,
          lastEventAt: 1_699_999_999_250,
          lagRecords: 0,
        },
      },
      options,
    ),
  );
  cache.setCluster('staging', renderCluster(snapshotOf('staging', connectors.slice(0, 1)), options));
  for (const cluster of ['prod', 'staging'])
    cache.setCluster(
      cluster,
      renderRestarts(cluster, {
        attempts: new Map([['poison-sink', 2]]),
        failures: new Map(),
        conflicts: new Map(),
        budgetExhausted: new Set(),
        nextAttemptAt: new Map(),
      }),
      'restarts',
    );
  return cache.text.toString('utf8').replace(/nodejs_version="[^"]*"/, 'nodejs_version="vX"');
}

describe('exposition', () => {
  test.each(MODES)('%s matches its golden file (UPDATE_GOLDEN=1 rewrites it)', (mode, options) => {
    const text = fixtureText(options);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN[mode], text);
    expect(text).toBe(readFileSync(GOLDEN[mode], 'utf8'));
  });

  test.each(MODES)('%s: promtool check metrics finds nothing to complain about', (_mode, options) => {
    const r = promtoolCheckMetrics(fixtureText(options));
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  test('by default each connector and task has one state series, for its current state, with value 1', () => {
    const all = parseExposition(fixtureText());
    const prod = samples(all, 'kafka_connect_connector_state', { connect_cluster: 'prod' });
    expect(prod.map((s) => [s.labels.connector, s.labels.state, s.value])).toEqual([
      ['file-sink', 'RUNNING', 1],
      ['poison-sink', 'RUNNING', 1],
      ['stopped-source', 'STOPPED', 1],
    ]);
    const tasks = samples(all, 'kafka_connect_task_state', { connect_cluster: 'prod' });
    const info = samples(all, 'kafka_connect_task_info', { connect_cluster: 'prod' });
    expect(tasks.length).toBe(info.length);
    expect(tasks.every((s) => s.value === 1)).toBe(true);
    expect(
      value(all, 'kafka_connect_task_state', {
        connect_cluster: 'prod',
        connector: 'poison-sink',
        task: '0',
        state: 'FAILED',
      }),
    ).toBe(1);
  });

  test('with stateSets, states are StateSets: exactly one state is 1 per connector and per task', () => {
    const all = parseExposition(fixtureText({ stateSets: true }));
    const prod = samples(all, 'kafka_connect_connector_state', { connect_cluster: 'prod' });
    expect(prod).toHaveLength(3 * 6);
    for (const name of ['file-sink', 'poison-sink', 'stopped-source']) {
      const on = prod.filter((s) => s.labels.connector === name && s.value === 1);
      expect(on).toHaveLength(1);
    }
    expect(
      value(all, 'kafka_connect_connector_state', {
        connect_cluster: 'prod',
        connector: 'stopped-source',
        state: 'STOPPED',
      }),
    ).toBe(1);
    expect(
      value(all, 'kafka_connect_task_state', {
        connect_cluster: 'prod',
        connector: 'poison-sink',
        task: '0',
        state: 'FAILED',
      }),
    ).toBe(1);
    expect(
      value(all, 'kafka_connect_task_failures_total', {
        connect_cluster: 'prod',
        connector: 'poison-sink',
        task: '0',
      }),
    ).toBe(1);
    expect(
      value(all, 'kafka_connect_connector_tasks', { connect_cluster: 'prod', connector: 'stopped-source' }),
    ).toBe(0);
  });

  test('error-handling info applies Connect defaults and ignores DLQ keys on source connectors', () => {
    const all = parseExposition(fixtureText());
    const eh = samples(all, 'kafka_connect_connector_error_handling_info', { connect_cluster: 'prod' });
    const by = Object.fromEntries(eh.map((s) => [s.labels.connector, s.labels]));
    expect(by['file-sink']).toMatchObject({
      errors_tolerance: 'all',
      errors_log_enable: 'false',
      dlq_topic: 'dlq-file-sink',
      dlq_context_headers: 'true',
    });
    expect(by['poison-sink']).toMatchObject({
      errors_tolerance: 'none',
      dlq_topic: '',
      dlq_context_headers: 'false',
    });
    expect(by['stopped-source']).toMatchObject({ dlq_topic: '' });
  });

  test.each(MODES)(
    "%s: every sample carries exactly its family's declared labels, connect_cluster first",
    (_mode, options) => {
      const declared = new Map<string, readonly string[]>(
        FAMILIES.map((f) => [f.name, f.perCluster ? ['connect_cluster', ...f.labels] : [...f.labels]]),
      );
      const ours = parseExposition(fixtureText(options)).filter(
        (s) => s.name.startsWith('kafka_connect_') || s.name.startsWith('connect_sentinel_'),
      );
      // Every family with series in the fixture: a check over an empty list would prove nothing.
      expect(new Set(ours.map((s) => s.name)).size).toBeGreaterThan(20);
      for (const s of ours) {
        expect(declared.has(s.name), s.name).toBe(true);
        expect(Object.keys(s.labels), s.name).toEqual(declared.get(s.name));
      }
    },
  );

  test.each(MODES)(
    '%s: a state Connect reports that this version does not know is shown as reported, with value 1',
    (_mode, options) => {
      const odd: ConnectorView = {
        name: 'next-gen',
        type: 'sink',
        state: 'DRAINING',
        workerId: 'w:8083',
        className: 'x.Y',
        config: {},
        tasks: [{ id: 0, state: 'QUIESCING', workerId: 'w:8083' }],
      };
      const cache = new ExpositionCache({ version: 'v', revision: 'r' });
      cache.setCluster('c', renderCluster(snapshotOf('c', [odd]), options));
      const text = cache.text.toString('utf8');
      expect(value(text, 'kafka_connect_connector_state', { connector: 'next-gen', state: 'DRAINING' })).toBe(
        1,
      );
      expect(
        value(text, 'kafka_connect_task_state', { connector: 'next-gen', task: '0', state: 'QUIESCING' }),
      ).toBe(1);
      const on = samples(text, 'kafka_connect_task_state').filter((s) => s.value === 1);
      expect(on.map((s) => s.labels.state)).toEqual(['QUIESCING']);
    },
  );

  test('state and identity cost at most 2 series per task and 4 per connector by default', () => {
    const connectors = Array.from({ length: 50 }, (_, i) =>
      connectorView(`c-${i}`, ['RUNNING', 'FAILED', 'PAUSED'][i % 3] as string, [
        'RUNNING',
        'FAILED',
        'UNASSIGNED',
      ]),
    );
    const count = (options: RenderOptions): { perTask: number; perConnector: number } => {
      const cache = new ExpositionCache({ version: 'v', revision: 'r' });
      cache.setCluster('c', renderCluster(snapshotOf('c', connectors), options));
      const all = parseExposition(cache.text.toString('utf8'));
      const n = (f: string): number => samples(all, f).length;
      return {
        perTask: (n('kafka_connect_task_state') + n('kafka_connect_task_info')) / (50 * 3),
        perConnector:
          (n('kafka_connect_connector_state') +
            n('kafka_connect_connector_info') +
            n('kafka_connect_connector_tasks') +
            n('kafka_connect_connector_error_handling_info')) /
          50,
      };
    };
    expect(count({ stateSets: false })).toEqual({ perTask: 2, perConnector: 4 });
    expect(count({ stateSets: true })).toEqual({ perTask: 6, perConnector: 9 });
  });

  test('a renderer cannot write a sample with a label its family does not declare', () => {
    const write = sampleFormat('kafka_connect_connector_tasks');
    expect(write('c', ['x'], 3)).toBe('kafka_connect_connector_tasks{connect_cluster="c",connector="x"} 3\n');
    // @ts-expect-error one value too many: the family declares only `connector`.
    expect(() => write('c', ['x', 'extra'], 3)).not.toThrow();
    // @ts-expect-error one value missing: task_state declares connector, task and state.
    expect(() => sampleFormat('kafka_connect_task_state')('c', ['x', '0'], 1)).not.toThrow();
  });

  test('a scrape does not re-render: the body is assembled once per update', async () => {
    const cache = new ExpositionCache({ version: 'v', revision: 'r' });
    const before = cache.assembles;
    cache.setCluster('c', renderCluster(snapshotOf('c', [])));
    const a = cache.text;
    const b = cache.text;
    await cache.compressed();
    const g1 = cache.gzip;
    const g2 = cache.gzip;
    expect(g1).toBeInstanceOf(Buffer);
    expect(cache.assembles).toBe(before + 1);
    expect(a).toBe(b);
    expect(g1).toBe(g2);
  });
});

describe('odd connector names', () => {
  const names = [
    'with "double" quotes',
    "single 'quotes'",
    'back\\slash\\',
    'line\nbreak\r\n',
    'ünïcödé ✓ 日本語 🚀',
    'x'.repeat(1000),
    '{label="injection"} 1\nfake_metric 2',
    '',
  ];
  const connectors: ConnectorView[] = names.map((name) => ({
    name,
    type: 'sink',
    state: 'FAILED',
    workerId: '127.0.0.1:8083',
    className: 'a"b\\c',
    config: { 'errors.deadletterqueue.topic.name': 'dlq\n"x"' },
    tasks: [{ id: 0, state: 'FAILED', workerId: 'w"1' }],
  }));

  test('every name survives escaping and parses back exactly', () => {
    const cache = new ExpositionCache({ version: 'v', revision: 'r' });
    cache.setCluster('clu"ster\n', renderCluster(snapshotOf('clu"ster\n', connectors)));
    const text = cache.text.toString('utf8');
    const parsed = samples(text, 'kafka_connect_connector_state', { state: 'FAILED' });
    expect(parsed.map((s) => s.labels.connector).sort()).toEqual([...names].sort());
    expect(parsed.every((s) => s.labels.connect_cluster === 'clu"ster\n')).toBe(true);
    expect(samples(text, 'fake_metric')).toHaveLength(0);
    const eh = samples(text, 'kafka_connect_connector_error_handling_info');
    expect(eh[0]!.labels.dlq_topic).toBe('dlq\n"x"');
  });

  test('promtool accepts the text', () => {
    const cache = new ExpositionCache({ version: 'v', revision: 'r' });
    cache.setCluster('c', renderCluster(snapshotOf('c', connectors)));
    const r = promtoolCheckMetrics(cache.text.toString('utf8'));
    expect(r.output).toBe('');
  });
});

describe('ClusterRenderer memo', () => {
  test('re-renders only the connectors that changed, and the output equals a fresh rendering', async () => {
    const { ClusterRenderer } = await import('../../../src/exposition/render.js');
    const connectors = parseExpanded(expandedAnswer, '/connectors')!.connectors.sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    const renderer = new ClusterRenderer();
    const text = (f: ReturnType<typeof renderCluster>) => {
      const cache = new ExpositionCache({ version: 'v', revision: 'r' });
      cache.setCluster('prod', f);
      return cache.text.toString('utf8');
    };
    const first = snapshotOf('prod', connectors);
    expect(text(renderer.render(first))).toBe(text(renderCluster(first)));
    expect(renderer.rendered).toBe(3);
    expect(text(renderer.render(first))).toBe(text(renderCluster(first)));
    expect(renderer.rendered).toBe(0);
    // One task changes state: only its connector is rendered again, and the counters follow.
    const changed = connectors.map((c) =>
      c.name === 'file-sink' ? { ...c, tasks: c.tasks.map((t) => ({ ...t, state: 'FAILED' })) } : c,
    );
    const second = {
      ...first,
      connect: { ...first.connect, connectors: changed },
      failures: countFailures(connectors, changed, first.failures),
    };
    const out = text(renderer.render(second));
    expect(renderer.rendered).toBe(1);
    expect(out).toBe(text(renderCluster(second)));
    expect(value(out, 'kafka_connect_task_failures_total', { connector: 'file-sink', task: '0' })).toBe(1);
  });
});

test('a gzip scrape never gets an older body: plain text until the new gzip is ready', async () => {
  const { gunzipSync } = await import('node:zlib');
  const cache = new ExpositionCache({ version: 'v', revision: 'r' });
  await cache.compressed();
  const connectors = parseExpanded(expandedAnswer, '/connectors')!.connectors;
  // prod follows its status topic; staging runs on the REST poll alone.
  cache.setCluster(
    'prod',
    renderCluster({
      ...snapshotOf('prod', connectors),
      status: {
        topic: 'connect-status',
        up: true,
        eventsTotal: 812,
        skippedTotal: 1,
        lastEventAt: 1_699_999_999_250,
        lagRecords: 0,
      },
    }),
  );
  expect(cache.gzip).toBeUndefined();
  await cache.compressed();
  expect(gunzipSync(cache.gzip!).equals(cache.text)).toBe(true);
});

test('the same connector objects with other failure counters are rendered again', async () => {
  const { ClusterRenderer } = await import('../../../src/exposition/render.js');
  const connectors = parseExpanded(expandedAnswer, '/connectors')!.connectors;
  const renderer = new ClusterRenderer();
  const first = snapshotOf('prod', connectors);
  renderer.render(first);
  renderer.render(first);
  expect(renderer.rendered).toBe(0);
  const counted = {
    ...first,
    failures: {
      connectors: new Map([...first.failures.connectors, ['file-sink', 4]]),
      tasks: first.failures.tasks,
    },
  };
  const cache = new ExpositionCache({ version: 'v', revision: 'r' });
  cache.setCluster('prod', renderer.render(counted));
  expect(renderer.rendered).toBe(1);
  const text = cache.text.toString('utf8');
  expect(value(text, 'kafka_connect_connector_failures_total', { connector: 'file-sink' })).toBe(4);
  const fresh = new ExpositionCache({ version: 'v', revision: 'r' });
  fresh.setCluster('prod', renderCluster(counted));
  expect(text).toBe(fresh.text.toString('utf8'));
});

describe('ClusterRenderer blocks under churn', () => {
  test('poll after poll of creations, deletions, renames and state changes, the output equals a fresh rendering', async () => {
    const { ClusterRenderer } = await import('../../../src/exposition/render.js');
    const { connectorView } = await import('../../fixtures/views.js');
    const fc = await import('fast-check');
    const states = ['RUNNING', 'FAILED', 'PAUSED', 'UNASSIGNED'];
    const op = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('add', 'delete', 'state', 'task', 'none'));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1500 }),
        fc.array(fc.array(op, { maxLength: 40 }), { maxLength: 6 }),
        fc.boolean(),
        (n, rounds, stateSets) => {
          let connectors = Array.from({ length: n }, (_, i) =>
            connectorView(`c-${i}`, 'RUNNING', ['RUNNING', 'RUNNING']),
          );
          let previous: ConnectorView[] | undefined;
          let failures = countFailures(undefined, connectors, { connectors: new Map(), tasks: new Map() });
          const renderer = new ClusterRenderer({ stateSets });
          let added = 0;
          for (const ops of [[], ...rounds]) {
            const next = [...connectors];
            for (const [a, b, kind] of ops) {
              const i = next.length === 0 ? 0 : a % next.length;
              const c = next[i];
              if (kind === 'add')
                next.splice(i, 0, connectorView(`new-${added++}-"\n`, 'RUNNING', ['RUNNING']));
              else if (c === undefined || kind === 'none') continue;
              else if (kind === 'delete') next.splice(i, 1);
              else if (kind === 'state') next[i] = { ...c, state: states[b % states.length] as string };
              else
                next[i] = {
                  ...c,
                  tasks: c.tasks.map((t) => ({ ...t, state: states[b % states.length] as string })),
                };
            }
            failures = countFailures(previous, next, failures);
            previous = connectors = next;
            const snap: ClusterSnapshot = { ...snapshotOf('c', next), failures };
            const a = new ExpositionCache({ version: 'v', revision: 'r' });
            a.setCluster('c', renderer.render(snap));
            const b = new ExpositionCache({ version: 'v', revision: 'r' });
            b.setCluster('c', renderCluster(snap, { stateSets }));
            if (!a.text.equals(b.text)) return false;
          }
          return true;
        },
      ),
      { numRuns: 30 },
    );
  });
});

test('a poll where one connector of many changed rebuilds one block and reuses the others as they are', async () => {
  const { ClusterRenderer } = await import('../../../src/exposition/render.js');
  const { connectorView } = await import('../../fixtures/views.js');
  const connectors = Array.from({ length: 3000 }, (_, i) =>
    connectorView(`conn-${String(i).padStart(5, '0')}`, 'RUNNING', ['RUNNING', 'RUNNING', 'RUNNING']),
  );
  const renderer = new ClusterRenderer();
  const first = snapshotOf('c', connectors);
  const a = renderer.render(first);
  const blocks = renderer.rebuilt;
  // ~128 connectors per block on average: many blocks, each family's text in one buffer per block.
  expect(blocks).toBeGreaterThan(10);
  expect(a.kafka_connect_task_state).toHaveLength(blocks);
  const b = renderer.render(first);
  expect([renderer.rendered, renderer.rebuilt]).toEqual([0, 0]);
  // Nothing changed: the very same buffers are handed out again (no copy).
  expect(b.kafka_connect_task_state?.every((buf, i) => buf === a.kafka_connect_task_state?.[i])).toBe(true);
  const changed = connectors.map((c, i) => (i === 1234 ? { ...c, state: 'PAUSED' } : c));
  const c = renderer.render({ ...first, connect: { ...first.connect, connectors: changed } });
  expect([renderer.rendered, renderer.rebuilt]).toEqual([1, 1]);
  const same = c.kafka_connect_task_state?.filter((buf, i) => buf === a.kafka_connect_task_state?.[i]);
  expect(same).toHaveLength(blocks - 1);
  // A connector deleted and another created change only the blocks they are in.
  const churned = [
    ...changed.slice(0, 10),
    ...changed.slice(11),
    connectorView('zzz-new', 'RUNNING', ['RUNNING']),
  ];
  renderer.render({ ...first, connect: { ...first.connect, connectors: churned } });
  expect(renderer.rebuilt).toBeLessThanOrEqual(2);
  const cache = new ExpositionCache({ version: 'v', revision: 'r' });
  cache.setCluster('c', renderer.render({ ...first, connect: { ...first.connect, connectors: churned } }));
  const fresh = new ExpositionCache({ version: 'v', revision: 'r' });
  fresh.setCluster('c', renderCluster({ ...first, connect: { ...first.connect, connectors: churned } }));
  expect(cache.text.equals(fresh.text)).toBe(true);
});

test('webhook notification counters render as connect_sentinel_notifications_total by outcome, only when published', () => {
  const connectors = parseExpanded(expandedAnswer, '/connectors')!.connectors;
  const cache = new ExpositionCache({ version: 'v', revision: 'r' });
  // prod follows its status topic; staging runs on the REST poll alone.
  cache.setCluster(
    'prod',
    renderCluster({
      ...snapshotOf('prod', connectors),
      status: {
        topic: 'connect-status',
        up: true,
        eventsTotal: 812,
        skippedTotal: 1,
        lastEventAt: 1_699_999_999_250,
        lagRecords: 0,
      },
    }),
  );
  cache.setCluster(
    'prod',
    renderNotifications('prod', { delivered: 7, failed: 2, dropped: 1 }),
    'notifications',
  );
  const text = cache.text.toString('utf8');
  for (const [outcome, n] of [
    ['delivered', 7],
    ['failed', 2],
    ['dropped', 1],
  ] as const) {
    expect(value(text, 'connect_sentinel_notifications_total', { connect_cluster: 'prod', outcome })).toBe(n);
  }
  expect(promtoolCheckMetrics(text).output).toBe('');
  const without = new ExpositionCache({ version: 'v', revision: 'r' });
  without.setCluster('prod', renderCluster(snapshotOf('prod', connectors)));
  expect(without.text.toString('utf8')).not.toContain('connect_sentinel_notifications_total');
});
