/**
 * The baseline exporter: the common prom-client pattern. It polls Connect the same way (our client, same
 * interval) and keeps the latest list; on every scrape each Gauge's collect() resets and sets the same
 * series connect-sentinel exposes, and registry.metrics() renders them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Gauge, Registry } from 'prom-client';
import { errorHandling } from '../../src/connect/error-handling.js';
import { ConnectClient } from '../../src/connect/client.js';
import type { ConnectorView } from '../../src/connect/types.js';
import { serve } from './child.js';
import { ProcessProbe } from './probe.js';

const probe = new ProcessProbe();
let server: http.Server | undefined;
let timer: NodeJS.Timeout | undefined;
let client: ConnectClient | undefined;
let polls = 0;

function exporter(
  cluster: string,
  latest: () => { up: boolean; connectors: readonly ConnectorView[] },
): Registry {
  const registry = new Registry();
  const g = (
    name: string,
    help: string,
    labels: string[],
    fill: (set: (l: Record<string, string | number>, v: number) => void) => void,
  ): void => {
    new Gauge({
      name,
      help,
      labelNames: ['connect_cluster', ...labels],
      registers: [registry],
      collect() {
        this.reset();
        fill((l, v) => this.set({ connect_cluster: cluster, ...l }, v));
      },
    });
  };
  g('kafka_connect_up', 'up', [], (set) => set({}, latest().up ? 1 : 0));
  g(
    'kafka_connect_connector_info',
    'info',
    ['connector', 'connector_type', 'connector_class', 'worker_id'],
    (set) => {
      for (const c of latest().connectors)
        set(
          { connector: c.name, connector_type: c.type, connector_class: c.className, worker_id: c.workerId },
          1,
        );
    },
  );
  // The sidecar's default exposition: one series per connector and per task, for its current state.
  g('kafka_connect_connector_state', 'state', ['connector', 'state'], (set) => {
    for (const c of latest().connectors) set({ connector: c.name, state: c.state }, 1);
  });
  g('kafka_connect_connector_tasks', 'tasks', ['connector'], (set) => {
    for (const c of latest().connectors) set({ connector: c.name }, c.tasks.length);
  });
  g('kafka_connect_connector_failures_total', 'failures', ['connector'], (set) => {
    for (const c of latest().connectors) set({ connector: c.name }, c.state === 'FAILED' ? 1 : 0);
  });
  g(
    'kafka_connect_connector_error_handling_info',
    'eh',
    ['connector', 'errors_tolerance', 'errors_log_enable', 'dlq_topic', 'dlq_context_headers'],
    (set) => {
      for (const c of latest().connectors) {
        const eh = errorHandling(c);
        set(
          {
            connector: c.name,
            errors_tolerance: eh.tolerance,
            errors_log_enable: String(eh.logEnable),
            dlq_topic: eh.dlqTopic,
            dlq_context_headers: String(eh.dlqContextHeaders),
          },
          1,
        );
      }
    },
  );
  g('kafka_connect_task_state', 'task state', ['connector', 'task', 'state'], (set) => {
    for (const c of latest().connectors)
      for (const t of c.tasks) set({ connector: c.name, task: t.id, state: t.state }, 1);
  });
  g('kafka_connect_task_info', 'task info', ['connector', 'task', 'worker_id'], (set) => {
    for (const c of latest().connectors)
      for (const t of c.tasks) set({ connector: c.name, task: t.id, worker_id: t.workerId }, 1);
  });
  g('kafka_connect_task_failures_total', 'task failures', ['connector', 'task'], (set) => {
    for (const c of latest().connectors)
      for (const t of c.tasks) set({ connector: c.name, task: t.id }, t.state === 'FAILED' ? 1 : 0);
  });
  return registry;
}

serve({
  async start(simUrl: string, intervalMs: number) {
    client = new ConnectClient({ url: simUrl, requestTimeoutMs: 30_000 });
    let state: { up: boolean; connectors: readonly ConnectorView[] } = { up: false, connectors: [] };
    const c = client;
    const poll = async (): Promise<void> => {
      try {
        state = { up: true, connectors: (await c.listConnectors(Date.now() + 30_000)).connectors };
      } catch {
        state = { up: false, connectors: [] };
      }
      polls++;
    };
    await poll();
    const loop = (): void => {
      timer = setTimeout(() => void poll().then(loop), intervalMs);
      timer.unref();
    };
    loop();
    const registry = exporter('sim', () => state);
    server = http.createServer((req, res) => {
      void registry.metrics().then((text) => {
        const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        const body = gzip ? gzipSync(text, { level: 1 }) : Buffer.from(text);
        res.writeHead(200, {
          'content-type': registry.contentType,
          'content-length': body.length,
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        });
        res.end(body);
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    probe.reset();
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  },
  reset() {
    probe.reset();
    polls = 0;
  },
  stats() {
    return { ...probe.figures(), polls };
  },
  async stop() {
    if (timer) clearTimeout(timer);
    client?.close();
    await new Promise<void>((r) => {
      if (!server) r();
      server?.close(() => r());
      server?.closeAllConnections();
    });
  },
});
