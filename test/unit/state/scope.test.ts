import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { ConnectClient, ListResult } from '../../../src/connect/client.js';
import type { ConnectorView } from '../../../src/connect/types.js';
import { renderCluster } from '../../../src/exposition/render.js';
import type { KafkaReader } from '../../../src/kafka/reader.js';
import { silentLogger } from '../../../src/log.js';
import { ClusterPoller } from '../../../src/poller/poller.js';
import { scopeToWorker } from '../../../src/state/scope.js';
import { snapshotWith } from '../../fixtures/views.js';
import { NO_DLQ_STATUS } from '../../fixtures/views.js';

const W1 = '10.0.0.1:8083';
const W2 = '10.0.0.2:8083';

function connector(
  name: string,
  workerId: string,
  tasks: [string, string][],
  state = 'RUNNING',
): ConnectorView {
  return {
    name,
    type: 'sink',
    state,
    workerId,
    className: 'org.example.Sink',
    config: { 'errors.deadletterqueue.topic.name': `${name}-dlq` },
    tasks: tasks.map(([w, s], id) => ({ id, state: s, workerId: w })),
  };
}

describe('scopeToWorker', () => {
  const cluster = [
    connector('both-here', W1, [
      [W1, 'RUNNING'],
      [W2, 'RUNNING'],
      [W1, 'FAILED'],
    ]),
    connector('instance-only', W1, []),
    connector('tasks-only', W2, [
      [W1, 'RUNNING'],
      [W2, 'RUNNING'],
    ]),
    connector('elsewhere', W2, [[W2, 'RUNNING']]),
  ];

  test('keeps the local tasks, and the connectors with their instance or a task here', () => {
    const scoped = scopeToWorker(cluster, W1);
    expect(scoped.map((c) => [c.name, c.scoped, c.tasks.map((t) => t.id)])).toEqual([
      ['both-here', { instanceHere: true, totalTasks: 3 }, [0, 2]],
      ['instance-only', { instanceHere: true, totalTasks: 0 }, []],
      ['tasks-only', { instanceHere: false, totalTasks: 2 }, [0]],
    ]);
    expect(scopeToWorker(cluster, '10.0.0.9:8083')).toEqual([]);
  });

  test('a connector whose instance runs elsewhere shows its local tasks but no connector-level series', () => {
    const text = render(scopeToWorker(cluster, W1));
    expect(text).toContain(
      'kafka_connect_task_state{connect_cluster="c",connector="tasks-only",task="0",state="RUNNING"} 1',
    );
    expect(text).not.toMatch(/kafka_connect_connector_\w+\{[^}]*connector="tasks-only"/);
    expect(text).not.toContain('task="1"');
    // The instance's sidecar reports the connector's task count over all workers, as cluster scope would.
    expect(text).toContain('kafka_connect_connector_tasks{connect_cluster="c",connector="both-here"} 3');
    expect(text).toContain(
      'kafka_connect_connector_state{connect_cluster="c",connector="instance-only",state="RUNNING"} 1',
    );
  });
});

/** `family{labels}` → value over every line of a rendered snapshot. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+\{.*\}) (\S+)$/.exec(line);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

const snapshot = snapshotWith;

function render(connectors: ConnectorView[]): string {
  return Object.values(renderCluster(snapshot(connectors)))
    .map((bufs) => Buffer.concat(bufs ?? []).toString('utf8'))
    .join('');
}

const STATES = ['RUNNING', 'FAILED', 'PAUSED', 'UNASSIGNED'];
const arbCluster = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 6 }))
  .chain(([workers, n]) =>
    fc.tuple(
      fc.constant(Array.from({ length: workers }, (_, i) => `w${i}:8083`)),
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: workers - 1 }),
          fc.constantFrom(...STATES),
          fc.array(fc.tuple(fc.integer({ min: 0, max: workers - 1 }), fc.constantFrom(...STATES)), {
            maxLength: 5,
          }),
        ),
        { minLength: n, maxLength: n },
      ),
    ),
  )
  .map(([workers, specs]) => ({
    workers,
    connectors: specs.map(([w, state, tasks], i) =>
      connector(
        `c${i}`,
        workers[w] as string,
        tasks.map(([tw, ts]) => [workers[tw] as string, ts]),
        state,
      ),
    ),
  }));

test('summed over one sidecar per worker, every connector and task series appears exactly once, with the cluster-scope value', () => {
  fc.assert(
    fc.property(arbCluster, ({ workers, connectors }) => {
      const whole = [...series(render(connectors))].filter(([k]) => k.includes('connector="'));
      const perWorker = workers.map((w) => series(render(scopeToWorker(connectors, w))));
      for (const [key, value] of whole) {
        const holders = perWorker.filter((s) => s.has(key));
        expect(holders, key).toHaveLength(1);
        expect(holders[0]?.get(key), key).toBe(value);
      }
      const union = perWorker.flatMap((s) => [...s.keys()].filter((k) => k.includes('connector="')));
      expect(union.sort()).toEqual(whole.map(([k]) => k).sort());
    }),
  );
});

describe('ClusterPoller in worker scope', () => {
  test('publishes only its worker, and asks Kafka (DLQ, lag) only about the connectors whose instance runs here', async () => {
    const asked: string[][] = [];
    const kafka: KafkaReader = {
      read: async (cs) => {
        asked.push(cs.map((c) => c.name));
        return { dlq: [], dlqErrors: [], dlqLast: [], lag: [], dlqStatus: NO_DLQ_STATUS };
      },
      close: async () => undefined,
    };
    const client = {
      requests: 0,
      listConnectors: async (): Promise<ListResult> => ({
        connectors: [
          connector('mine', W1, [[W2, 'RUNNING']]),
          connector('theirs', W2, [[W1, 'FAILED']]),
          connector('other', W2, [[W2, 'RUNNING']]),
        ],
        expanded: true,
      }),
      serverInfo: async () => ({ version: '4.1.1', commit: 'c', kafkaClusterId: 'k' }),
    };
    const poller = new ClusterPoller({
      cluster: 'c',
      client: client as unknown as ConnectClient,
      kafka,
      intervalMs: 1000,
      timeoutMs: 500,
      staleAfterMs: 3000,
      workerId: W1,
      logger: silentLogger(),
      onSnapshot: () => undefined,
    });
    const s = await poller.pollOnce();
    expect(s.connect.connectors.map((c) => [c.name, c.tasks.length, c.scoped?.instanceHere])).toEqual([
      ['mine', 0, true],
      ['theirs', 1, false],
    ]);
    expect(asked).toEqual([['mine']]);
    expect([...s.failures.tasks.keys()]).toEqual(['theirs\u00000']);
  });
});
