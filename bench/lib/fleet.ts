/** A realistic fleet as connect-sentinel sees it after a poll: the input of the rendering benches. */
import type { ConnectorView } from '../../src/connect/types.js';
import { taskKey, type ClusterSnapshot } from '../../src/state/snapshot.js';
import { generatedSpec, SAMPLE_TRACE } from '../../test/sim/connect-simulator.js';

const WORKERS = ['10.0.0.1:8083', '10.0.0.2:8083', '10.0.0.3:8083'];

/** N connectors × T tasks; about 1 in 50 connectors and 1 in 40 tasks FAILED with a trace. */
export function fleet(n: number, tasks: number): ConnectorView[] {
  const out: ConnectorView[] = [];
  for (let i = 0; i < n; i++) {
    const spec = generatedSpec(i, tasks);
    const failed = i % 50 === 7;
    out.push({
      name: spec.name,
      type: spec.type ?? 'sink',
      state: failed ? 'FAILED' : 'RUNNING',
      workerId: WORKERS[i % 3] as string,
      ...(failed ? { trace: SAMPLE_TRACE } : {}),
      tasks: Array.from({ length: tasks }, (_, id) => {
        const tf = (i * tasks + id) % 40 === 13;
        return {
          id,
          state: tf ? 'FAILED' : 'RUNNING',
          workerId: WORKERS[(i + id) % 3] as string,
          ...(tf ? { trace: SAMPLE_TRACE } : {}),
        };
      }),
      className: spec.config?.['connector.class'] ?? '',
      config: { ...spec.config, name: spec.name },
    });
  }
  return out;
}

export function fleetSnapshot(n: number, tasks: number, cluster = 'prod-connect'): ClusterSnapshot {
  const connectors = fleet(n, tasks);
  const failures = {
    connectors: new Map(connectors.map((c) => [c.name, c.state === 'FAILED' ? 1 : 0])),
    tasks: new Map(
      connectors.flatMap((c) =>
        c.tasks.map((t) => [taskKey(c.name, t.id), t.state === 'FAILED' ? 2 : 0] as const),
      ),
    ),
  };
  return {
    cluster,
    takenAt: 1_700_000_000_000,
    connect: {
      up: true,
      durationSeconds: 0.25,
      lastSuccessAt: 1_700_000_000_000,
      errorsTotal: 3,
      info: { version: '3.9.0', commit: 'ab12cd34ef56ab78', kafkaClusterId: 'Qx3zV1nbQ' },
      connectors,
      stale: false,
      expanded: true,
      requests: 1,
    },
    failures,
  };
}
