/**
 * The immutable state of one Connect cluster after a poll or a status record. Everything downstream (exposition, status API,
 * restarter, notifications) reads snapshots only, and never writes into one.
 */
import type { ConnectorView, ServerInfo } from '../connect/types.js';
import type { DlqStatus } from './dlq.js';

export interface SourceHealth {
  /** The latest attempt succeeded. */
  readonly up: boolean;
  /** Wall-clock seconds the latest attempt took. */
  readonly durationSeconds: number;
  /** Epoch ms of the latest successful attempt, if any. */
  readonly lastSuccessAt?: number;
  /** Failed attempts since start. */
  readonly errorsTotal: number;
  /** Why the latest attempt failed. */
  readonly error?: string;
}

export interface ConnectView extends SourceHealth {
  readonly info?: ServerInfo;
  /** Sorted by name. From the latest successful poll; empty once that is older than stale-after. */
  readonly connectors: readonly ConnectorView[];
  /** The connectors come from an earlier poll than the latest attempt. */
  readonly stale: boolean;
  /** The worker answered the single expanded call. */
  readonly expanded: boolean;
  /** REST requests the latest poll sent (retries included). */
  readonly requests: number;
}

export interface DlqTopicView {
  readonly connector: string;
  readonly topic: string;
  /** Sum over partitions of end − start offset: records retained now. */
  readonly records: number;
  /** Sum over partitions of the end offset: records ever written. */
  readonly written: number;
  readonly partitions: number;
}

export interface DlqErrorCount {
  readonly connector: string;
  readonly topic: string;
  readonly stage: string;
  readonly exceptionClass: string;
  readonly count: number;
}

export interface DlqLastRecord {
  readonly connector: string;
  readonly topic: string;
  readonly timestampSeconds: number;
}

export interface SinkLagView {
  readonly connector: string;
  readonly topic: string;
  /** Sum over partitions of end − committed offset (from the start offset where nothing is committed). */
  readonly lag: number;
  /** Sum over partitions of the committed offset. */
  readonly committed: number;
}

export interface KafkaView extends SourceHealth {
  readonly dlq: readonly DlqTopicView[];
  readonly dlqErrors: readonly DlqErrorCount[];
  readonly dlqLast: readonly DlqLastRecord[];
  readonly lag: readonly SinkLagView[];
  /** Each DLQ's offsets, read problems and latest errant records (what /api/v1/dlq shows). */
  readonly dlqStatus: DlqStatus;
}

/** The follower of Connect's status topic (src/kafka/status-follower.ts), for its own series. */
export interface StatusSourceView {
  /** The topic followed, configured or discovered; absent while none is known. */
  readonly topic?: string;
  /** Read to the end once and following it; false while the sidecar runs on the REST poll alone. */
  readonly up: boolean;
  /** Why it is not up. */
  readonly error?: string;
  /** Connector and task status records read (tombstones included) since start. */
  readonly eventsTotal: number;
  /** Records skipped as unparsable since start. */
  readonly skippedTotal: number;
  /** Timestamp (epoch ms, as the worker wrote it) of the newest status record read. */
  readonly lastEventAt?: number;
  /** Records between the follower's position and the end of the topic, summed over partitions. */
  readonly lagRecords: number;
}

export interface FailureCounters {
  /** connector → observed transitions into FAILED (every current connector has an entry). */
  readonly connectors: ReadonlyMap<string, number>;
  /** taskKey(connector, id) → observed transitions into FAILED; only tasks that ever failed (absent = 0). */
  readonly tasks: ReadonlyMap<string, number>;
  /** Connectors with an entry in `tasks`, so a lookup for a task that never failed builds no key. */
  readonly taskConnectors?: ReadonlySet<string>;
}

/** A task's failure count (0 for a task never seen FAILED). */
export function taskFailures(f: FailureCounters, connector: string, task: number): number {
  if (f.tasks.size === 0 || (f.taskConnectors !== undefined && !f.taskConnectors.has(connector))) return 0;
  return f.tasks.get(taskKey(connector, task)) ?? 0;
}

export interface ClusterSnapshot {
  readonly cluster: string;
  /** Epoch ms when this snapshot was made. */
  readonly takenAt: number;
  readonly connect: ConnectView;
  readonly failures: FailureCounters;
  /** Present when Kafka is configured for this cluster. */
  readonly kafka?: KafkaView;
  /** Present once the status follower has reported; absent without Kafka (REST only). */
  readonly status?: StatusSourceView;
}

export function taskKey(connector: string, task: number): string {
  // NUL cannot appear in a connector name that went through JSON from Connect's REST API unescaped.
  return `${connector}\u0000${task}`;
}

export function splitTaskKey(key: string): [string, number] {
  const i = key.lastIndexOf('\u0000');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
