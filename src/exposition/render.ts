/**
 * Snapshot → metric text fragments, one string per family. Pure; runs once per poll, never per scrape.
 */
import { errorHandling } from '../connect/error-handling.js';
import { CONNECTOR_STATES, TASK_STATES } from '../connect/types.js';
import { splitTaskKey, type ClusterSnapshot, type SourceHealth } from '../state/snapshot.js';
import type { FamilyName } from './families.js';
import { escapeLabelValue as esc, formatValue } from './text.js';

export type Fragments = Partial<Record<FamilyName, string>>;

class FragmentBuilder {
  private readonly lines = new Map<FamilyName, string[]>();
  constructor(private readonly clusterLabel: string) {}

  /** `rest` is an already-escaped `,k="v"...` suffix. */
  add(family: FamilyName, rest: string, value: number): void {
    let arr = this.lines.get(family);
    if (arr === undefined) {
      arr = [];
      this.lines.set(family, arr);
    }
    arr.push(`${family}{connect_cluster="${this.clusterLabel}"${rest}} ${formatValue(value)}\n`);
  }

  build(): Fragments {
    const out: Fragments = {};
    for (const [family, arr] of this.lines) out[family] = arr.join('');
    return out;
  }
}

export function renderCluster(s: ClusterSnapshot): Fragments {
  const b = new FragmentBuilder(esc(s.cluster));
  const connect = s.connect;
  b.add('kafka_connect_up', '', connect.up ? 1 : 0);
  renderHealth(b, 'connect', connect);
  if (connect.info) {
    const i = connect.info;
    b.add(
      'kafka_connect_info',
      `,version="${esc(i.version)}",commit="${esc(i.commit)}",kafka_cluster_id="${esc(i.kafkaClusterId)}"`,
      1,
    );
  }

  for (const c of connect.connectors) {
    const cn = `,connector="${esc(c.name)}"`;
    for (const t of c.tasks) {
      const tn = `${cn},task="${t.id}"`;
      let tknown = false;
      for (const state of TASK_STATES) {
        const on = t.state === state;
        tknown ||= on;
        b.add('kafka_connect_task_state', `${tn},state="${state}"`, on ? 1 : 0);
      }
      if (!tknown) b.add('kafka_connect_task_state', `${tn},state="${esc(t.state)}"`, 1);
      b.add('kafka_connect_task_info', `${tn},worker_id="${esc(t.workerId)}"`, 1);
    }
    // Worker scope: the sidecar of the worker running the connector instance publishes its connector-level
    // series; the others publish only their tasks, so sums over sidecars count each connector once.
    if (c.scoped?.instanceHere === false) continue;
    b.add(
      'kafka_connect_connector_info',
      `${cn},connector_type="${c.type}",connector_class="${esc(c.className)}",worker_id="${esc(c.workerId)}"`,
      1,
    );
    let known = false;
    for (const state of CONNECTOR_STATES) {
      const on = c.state === state;
      known ||= on;
      b.add('kafka_connect_connector_state', `${cn},state="${state}"`, on ? 1 : 0);
    }
    // A state this version does not know (a newer worker) is shown as reported rather than hidden.
    if (!known) b.add('kafka_connect_connector_state', `${cn},state="${esc(c.state)}"`, 1);
    b.add('kafka_connect_connector_tasks', cn, c.scoped?.totalTasks ?? c.tasks.length);
    b.add('kafka_connect_connector_failures_total', cn, s.failures.connectors.get(c.name) ?? 0);

    const eh = errorHandling(c);
    b.add(
      'kafka_connect_connector_error_handling_info',
      `${cn},errors_tolerance="${esc(eh.tolerance)}",errors_log_enable="${eh.logEnable}",` +
        `dlq_topic="${esc(eh.dlqTopic)}",dlq_context_headers="${eh.dlqContextHeaders}"`,
      1,
    );
  }
  // Task counters come from the failure map so that they line up with the tasks rendered above.
  for (const [key, n] of s.failures.tasks) {
    const [connector, task] = splitTaskKey(key);
    b.add('kafka_connect_task_failures_total', `,connector="${esc(connector)}",task="${task}"`, n);
  }

  const kafka = s.kafka;
  if (kafka) {
    b.add('kafka_connect_kafka_up', '', kafka.up ? 1 : 0);
    renderHealth(b, 'kafka', kafka);
    for (const d of kafka.dlq) {
      const l = `,connector="${esc(d.connector)}",topic="${esc(d.topic)}"`;
      b.add('kafka_connect_dlq_records', l, d.records);
      b.add('kafka_connect_dlq_records_written_total', l, d.written);
    }
    for (const e of kafka.dlqErrors) {
      b.add(
        'kafka_connect_dlq_errors_total',
        `,connector="${esc(e.connector)}",topic="${esc(e.topic)}",stage="${esc(e.stage)}",exception_class="${esc(e.exceptionClass)}"`,
        e.count,
      );
    }
    for (const d of kafka.dlqLast) {
      b.add(
        'kafka_connect_dlq_last_record_timestamp_seconds',
        `,connector="${esc(d.connector)}",topic="${esc(d.topic)}"`,
        d.timestampSeconds,
      );
    }
    for (const g of kafka.lag) {
      const l = `,connector="${esc(g.connector)}",topic="${esc(g.topic)}"`;
      b.add('kafka_connect_sink_lag_records', l, g.lag);
      b.add('kafka_connect_sink_committed_offsets_total', l, g.committed);
    }
  }

  const r = s.restarts;
  if (r) {
    for (const [connector, n] of r.attempts) {
      b.add('connect_sentinel_restart_attempts_total', `,connector="${esc(connector)}"`, n);
    }
    for (const connector of new Set([...r.attempts.keys(), ...r.failures.keys()])) {
      b.add('connect_sentinel_restart_failures_total', `,connector="${esc(connector)}"`, r.failures.get(connector) ?? 0);
    }
    for (const connector of r.attempts.keys()) {
      b.add(
        'connect_sentinel_restart_budget_exhausted',
        `,connector="${esc(connector)}"`,
        r.budgetExhausted.has(connector) ? 1 : 0,
      );
    }
  }
  return b.build();
}

function renderHealth(b: FragmentBuilder, source: 'connect' | 'kafka', h: SourceHealth): void {
  const l = `,source="${source}"`;
  b.add('connect_sentinel_poll_duration_seconds', l, h.durationSeconds);
  b.add('connect_sentinel_poll_errors_total', l, h.errorsTotal);
  if (h.lastSuccessAt !== undefined) {
    b.add('connect_sentinel_last_successful_poll_timestamp_seconds', l, h.lastSuccessAt / 1000);
  }
}
