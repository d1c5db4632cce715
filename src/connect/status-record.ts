/**
 * One record of Connect's status topic (`status.storage.topic`, written by KafkaStatusBackingStore) → what
 * it says. Pure, and total: any key and value bytes give a result, never an exception, because the topic is
 * read as it is written and one bad record must cost only itself.
 *
 * Keys: `status-connector-<name>`, `status-task-<name>-<id>` (the name may hold `-`; the id follows the
 * last one) and `status-topic-<topic>:connector-<name>` (KIP-558 active topics, not a state). Values: JSON
 * written with schemas off, `{"state", "trace", "worker_id", "generation"}` (4.x adds `version`); a deleted
 * connector's keys get tombstones (null values).
 */

export interface InstanceStatus {
  readonly state: string;
  readonly workerId: string;
  readonly trace?: string;
  /** The writer's Connect group generation: a write from an older one than already seen is stale. */
  readonly generation: number;
}

/** `status` undefined: the instance was removed (a tombstone, or the DESTROYED state). */
export type StatusRecord =
  | { readonly kind: 'connector'; readonly connector: string; readonly status?: InstanceStatus }
  | {
      readonly kind: 'task';
      readonly connector: string;
      readonly task: number;
      readonly status?: InstanceStatus;
    }
  /** A record of another kind Connect writes there (KIP-558 topic records): read, not a state. */
  | { readonly kind: 'other' }
  | { readonly kind: 'unparsable'; readonly reason: string };

export type InstanceRecord = Extract<StatusRecord, { kind: 'connector' | 'task' }>;

const CONNECTOR_PREFIX = 'status-connector-';
const TASK_PREFIX = 'status-task-';
const TOPIC_PREFIX = 'status-topic-';
const REMOVED = 'DESTROYED';
/** Connect's task ids are ints; a longer digit run is not one of its keys. */
const TASK_ID = /^(?:0|[1-9]\d{0,9})$/;

const unparsable = (reason: string): StatusRecord => ({ kind: 'unparsable', reason });

export function parseStatusRecord(key: Buffer | null, value: Buffer | null): StatusRecord {
  if (key === null) return unparsable('record without a key');
  const k = key.toString('utf8');
  if (k.startsWith(CONNECTOR_PREFIX)) {
    const connector = k.slice(CONNECTOR_PREFIX.length);
    if (connector === '') return unparsable('connector key without a name');
    return withValue(value, (status) => ({ kind: 'connector', connector, ...status }));
  }
  if (k.startsWith(TASK_PREFIX)) {
    const rest = k.slice(TASK_PREFIX.length);
    const dash = rest.lastIndexOf('-');
    const id = rest.slice(dash + 1);
    if (dash <= 0 || !TASK_ID.test(id) || Number(id) > 2 ** 31 - 1)
      return unparsable(`task key "${printable(k)}" does not end in -<task id>`);
    const connector = rest.slice(0, dash);
    const task = Number(id);
    return withValue(value, (status) => ({ kind: 'task', connector, task, ...status }));
  }
  if (k.startsWith(TOPIC_PREFIX)) return { kind: 'other' };
  return unparsable(`key "${printable(k)}" is not a Connect status key`);
}

function withValue(
  value: Buffer | null,
  make: (status: { status?: InstanceStatus }) => StatusRecord,
): StatusRecord {
  if (value === null) return make({});
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch {
    return unparsable('value is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return unparsable('value is not a JSON object');
  const v = body as Record<string, unknown>;
  const { state, worker_id: workerId, trace, generation } = v;
  if (typeof state !== 'string' || state === '') return unparsable('value has no state');
  if (state === REMOVED) return make({});
  if (typeof workerId !== 'string') return unparsable('value has no worker_id');
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation))
    return unparsable('value has no integer generation');
  if (trace !== null && trace !== undefined && typeof trace !== 'string')
    return unparsable('value has a trace that is not a string');
  const status: InstanceStatus =
    typeof trace === 'string' && trace !== ''
      ? { state, workerId, trace, generation }
      : { state, workerId, generation };
  return make({ status });
}

/** A key as a log line or a reason may show it: bounded, control characters escaped. */
function printable(k: string): string {
  const cut = k.length > 120 ? `${k.slice(0, 120)}…` : k;
  return JSON.stringify(cut).slice(1, -1);
}
