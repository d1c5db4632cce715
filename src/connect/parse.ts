/**
 * Pure parsing of Connect REST answers. Lenient where Connect versions differ (extra fields, the 4.1+
 * `version` field, unknown states), strict where a wrong shape would make the metrics lie.
 */
import { ConnectResponseError } from './errors.js';
import { CONNECT_LIMIT_DEFAULTS } from './limits.js';
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

const DEFAULT_TRACE_CHARS = CONNECT_LIMIT_DEFAULTS.maxTraceChars;

/**
 * A stack trace of at most `max` characters: a longer one keeps its head and its tail (where the root
 * cause is) around a marker saying how long it was. The kept text is copied into a string of its own: a
 * slice would keep the whole original (megabytes, from a misbehaving worker) alive.
 */
function cutTrace(trace: string, max: number): string {
  if (trace.length <= max) return trace;
  const marker = `\n\t… [trace cut to ${max} of ${trace.length} characters] …\n`;
  const keep = max - marker.length;
  let head = keep < 2 ? max : Math.ceil(keep * 0.75);
  if (isHighSurrogate(trace.charCodeAt(head - 1))) head--;
  if (keep < 2) return copy(trace.slice(0, head));
  let tail = keep - Math.ceil(keep * 0.75);
  if (isLowSurrogate(trace.charCodeAt(trace.length - tail))) tail--;
  return copy(trace.slice(0, head) + marker + trace.slice(trace.length - tail));
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function copy(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}

function traceOf(obj: Json, max: number): string | undefined {
  const t = optStr(obj, 'trace');
  return t === undefined || t.length <= max ? t : cutTrace(t, max);
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

function fail(path: string, message: string): never {
  throw new ConnectResponseError(path, message);
}

/**
 * The tasks of a status, sorted by id. Runs for every task of every connector in every poll, so it builds
 * no message string unless it throws and sorts only when the worker did not list the tasks in order.
 */
function parseTasks(raw: unknown, name: string, path: string, maxTrace: number): TaskStatus[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail(path, `status of "${name}" has tasks that are not a list`);
  const tasks: TaskStatus[] = [];
  let sorted = true;
  for (let i = 0; i < raw.length; i++) {
    const t: unknown = raw[i];
    if (!isObject(t) || typeof t.id !== 'number' || !Number.isInteger(t.id)) {
      fail(path, `status of "${name}" has a task #${i} without an integer id`);
    }
    const id = t.id;
    const state = t.state;
    if (typeof state !== 'string') fail(path, `tasks[${i}].state is not a string`);
    const workerId = typeof t.worker_id === 'string' ? t.worker_id : '';
    const cut = traceOf(t, maxTrace);
    if (i > 0 && (tasks[i - 1] as TaskStatus).id > id) sorted = false;
    tasks.push(cut === undefined ? { id, state, workerId } : { id, state, workerId, trace: cut });
  }
  // Array.prototype.sort is stable: sorting tasks already in order would leave them as they are.
  if (!sorted) tasks.sort((a, b) => a.id - b.id);
  return tasks;
}

/** The status fields, checked in the order parseStatus reports errors. */
function statusFields(
  body: Json,
  path: string,
  maxTrace: number,
): { name: string; state: string; workerId: string; trace: string | undefined; tasks: TaskStatus[] } {
  const name = str(body, 'name', path, 'status');
  const connector = body.connector;
  if (!isObject(connector)) fail(path, `status of "${name}" has no connector object`);
  const tasks = parseTasks(body.tasks, name, path, maxTrace);
  const state = str(connector, 'state', path, 'connector');
  const workerId = typeof connector.worker_id === 'string' ? connector.worker_id : '';
  return { name, state, workerId, trace: traceOf(connector, maxTrace), tasks };
}

/** `maxTrace`: characters kept of each stack trace (cutTrace). */
export function parseStatus(body: unknown, path: string, maxTrace = DEFAULT_TRACE_CHARS): ConnectorStatus {
  if (!isObject(body)) fail(path, 'status is not a JSON object');
  const { name, state, workerId, trace, tasks } = statusFields(body, path, maxTrace);
  const type = connectorType(body.type);
  return trace === undefined
    ? { name, type, state, workerId, tasks }
    : { name, type, state, workerId, trace, tasks };
}

export interface ConnectorInfo {
  readonly name: string;
  readonly type: ConnectorType;
  readonly config: Readonly<Record<string, string>>;
}

function parseConfig(body: Json, name: string, path: string): Record<string, string> {
  const raw = body.config;
  if (!isObject(raw)) fail(path, `info of "${name}" has no config object`);
  const config: Record<string, string> = {};
  // for…in with hasOwn: the own enumerable keys in Object.entries' order, without an array of pairs.
  for (const k in raw) {
    if (!Object.hasOwn(raw, k)) continue;
    const v = raw[k];
    // Connect returns config values as strings; be tolerant of a proxy that turned them into JSON scalars.
    if (typeof v === 'string') config[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') config[k] = String(v);
  }
  return config;
}

export function parseInfo(body: unknown, path: string): ConnectorInfo {
  if (!isObject(body)) fail(path, 'info is not a JSON object');
  const name = str(body, 'name', path, 'info');
  return { name, type: connectorType(body.type), config: parseConfig(body, name, path) };
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

/**
 * What `joinView(parseStatus(status), parseInfo(info))` returns (the same fields in the same order, the same
 * errors), without the intermediate objects and the spread: it runs for every connector in every poll.
 */
function parseView(status: Json, info: Json, path: string, maxTrace: number): ConnectorView {
  const { name, state, workerId, trace, tasks } = statusFields(status, path, maxTrace);
  const statusType = connectorType(status.type);
  const infoName = str(info, 'name', path, 'info');
  const config = parseConfig(info, infoName, path);
  const type = statusType !== 'unknown' ? statusType : connectorType(info.type);
  const className = config['connector.class'] ?? '';
  return trace === undefined
    ? { name, type, state, workerId, tasks, className, config }
    : { name, type, state, workerId, trace, tasks, className, config };
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
export function parseExpanded(
  body: unknown,
  path: string,
  maxTrace = DEFAULT_TRACE_CHARS,
): ExpandedAnswer | undefined {
  if (Array.isArray(body)) return undefined;
  if (!isObject(body)) fail(path, 'expected a JSON object keyed by connector name');
  const connectors: ConnectorView[] = [];
  const incomplete: string[] = [];
  for (const name in body) {
    if (!Object.hasOwn(body, name)) continue;
    const view = parseEntry(body[name], path, maxTrace);
    if (view === undefined) incomplete.push(name);
    else connectors.push(view);
  }
  return { connectors, incomplete };
}

/**
 * One member of the expanded answer: the connector, or `undefined` when the entry lacks its status or its
 * info (the caller lists it as incomplete). Shared by parseExpanded and the streaming ExpandedAnswerParser.
 */
export function parseEntry(
  entry: unknown,
  path: string,
  maxTrace = DEFAULT_TRACE_CHARS,
): ConnectorView | undefined {
  if (!isObject(entry) || !isObject(entry.status) || !isObject(entry.info)) return undefined;
  return parseView(entry.status, entry.info, path, maxTrace);
}
