/**
 * Pure parsing of Connect REST answers. Lenient where Connect versions differ (extra fields, the 4.1+
 * `version` field, unknown states), strict where a wrong shape would make the metrics lie.
 */
import { ConnectResponseError } from './errors.js';
import type { ConnectorStatus, ConnectorType, ConnectorView, ServerInfo, TaskStatus } from './types.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(obj: Json, key: string, path: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string') throw new ConnectResponseError(path, `${where}.${key} is not a string`);
  return v;
}

function optStr(obj: Json, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function connectorType(v: unknown): ConnectorType {
  return v === 'source' || v === 'sink' ? v : 'unknown';
}

export function parseServerInfo(body: unknown, path = '/'): ServerInfo {
  if (!isObject(body)) throw new ConnectResponseError(path, 'expected a JSON object');
  return {
    version: str(body, 'version', path, 'body'),
    commit: typeof body.commit === 'string' ? body.commit : '',
    kafkaClusterId: typeof body.kafka_cluster_id === 'string' ? body.kafka_cluster_id : '',
  };
}

export function parseNameList(body: unknown, path: string): string[] {
  if (!Array.isArray(body) || !body.every((n) => typeof n === 'string')) {
    throw new ConnectResponseError(path, 'expected a JSON array of connector names');
  }
  return body;
}

export function parseStatus(body: unknown, path: string): ConnectorStatus {
  if (!isObject(body)) throw new ConnectResponseError(path, 'status is not a JSON object');
  const name = str(body, 'name', path, 'status');
  const connector = body.connector;
  if (!isObject(connector)) throw new ConnectResponseError(path, `status of "${name}" has no connector object`);
  const rawTasks = body.tasks ?? [];
  if (!Array.isArray(rawTasks)) throw new ConnectResponseError(path, `status of "${name}" has tasks that are not a list`);
  const tasks: TaskStatus[] = rawTasks.map((t, i) => {
    if (!isObject(t) || typeof t.id !== 'number' || !Number.isInteger(t.id)) {
      throw new ConnectResponseError(path, `status of "${name}" has a task #${i} without an integer id`);
    }
    const trace = optStr(t, 'trace');
    return {
      id: t.id,
      state: str(t, 'state', path, `tasks[${i}]`),
      workerId: typeof t.worker_id === 'string' ? t.worker_id : '',
      ...(trace === undefined ? {} : { trace }),
    };
  });
  tasks.sort((a, b) => a.id - b.id);
  const trace = optStr(connector, 'trace');
  return {
    name,
    type: connectorType(body.type),
    state: str(connector, 'state', path, 'connector'),
    workerId: typeof connector.worker_id === 'string' ? connector.worker_id : '',
    ...(trace === undefined ? {} : { trace }),
    tasks,
  };
}

export interface ConnectorInfo {
  readonly name: string;
  readonly type: ConnectorType;
  readonly config: Readonly<Record<string, string>>;
}

export function parseInfo(body: unknown, path: string): ConnectorInfo {
  if (!isObject(body)) throw new ConnectResponseError(path, 'info is not a JSON object');
  const name = str(body, 'name', path, 'info');
  const rawConfig = body.config;
  if (!isObject(rawConfig)) throw new ConnectResponseError(path, `info of "${name}" has no config object`);
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawConfig)) {
    // Connect returns config values as strings; be tolerant of a proxy that turned them into JSON scalars.
    if (typeof v === 'string') config[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') config[k] = String(v);
  }
  return { name, type: connectorType(body.type), config };
}

export function joinView(status: ConnectorStatus, info: ConnectorInfo): ConnectorView {
  return {
    ...status,
    // Workers older than 2.x may not report the type in the status; the info or the config may know it.
    type: status.type !== 'unknown' ? status.type : info.type,
    className: info.config['connector.class'] ?? '',
    config: info.config,
  };
}

export interface ExpandedAnswer {
  /** Connectors whose status and info were both in the answer. */
  readonly connectors: ConnectorView[];
  /** Connectors present in the answer without status or info (e.g. an expansion the worker ignored). */
  readonly incomplete: string[];
}

/**
 * `GET /connectors?expand=status&expand=info`. Returns `undefined` when the worker answered with a plain
 * name list, which is what workers older than 2.3 do (they ignore `expand`): the caller falls back.
 */
export function parseExpanded(body: unknown, path: string): ExpandedAnswer | undefined {
  if (Array.isArray(body)) return undefined;
  if (!isObject(body)) throw new ConnectResponseError(path, 'expected a JSON object keyed by connector name');
  const connectors: ConnectorView[] = [];
  const incomplete: string[] = [];
  for (const [name, entry] of Object.entries(body)) {
    if (!isObject(entry) || !isObject(entry.status) || !isObject(entry.info)) {
      incomplete.push(name);
      continue;
    }
    connectors.push(joinView(parseStatus(entry.status, path), parseInfo(entry.info, path)));
  }
  return { connectors, incomplete };
}
