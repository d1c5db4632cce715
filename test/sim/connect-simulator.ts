/**
 * A Kafka Connect REST API on loopback, for unit tests and benches: N connectors with T tasks in the exact
 * shapes of the real API (3.x/4.x), with switchable faults.
 * Bodies are served from memory; the expanded list is serialized once per change unless `cacheBodies` is
 * off (as the benches set it, so that the big answer costs what a worker's serialization costs).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type SimConnectorType = 'source' | 'sink';

export interface SimTask {
  readonly id: number;
  state: string;
  workerId: string;
  trace?: string;
}

export interface SimConnector {
  readonly name: string;
  type: SimConnectorType;
  config: Record<string, string>;
  state: string;
  workerId: string;
  trace?: string;
  tasks: SimTask[];
}

/** What a caller gives to add a connector; everything but the name has a default. */
export interface ConnectorSpec {
  readonly name: string;
  readonly type?: SimConnectorType;
  readonly config?: Readonly<Record<string, string>>;
  readonly state?: string;
  readonly trace?: string;
  readonly tasks?:
    number | readonly { readonly state: string; readonly trace?: string; readonly workerId?: string }[];
  readonly workerId?: string;
}

/** Which endpoint a request hit; counted per kind in `requests`. */
export type RequestKind =
  | 'root'
  | 'list'
  | 'expanded'
  | 'connectorStatus'
  | 'connectorInfo'
  | 'connectorConfig'
  | 'taskStatus'
  | 'topics'
  | 'restartConnector'
  | 'restartTask'
  | 'other';

export const REQUEST_KINDS: readonly RequestKind[] = [
  'root',
  'list',
  'expanded',
  'connectorStatus',
  'connectorInfo',
  'connectorConfig',
  'taskStatus',
  'topics',
  'restartConnector',
  'restartTask',
  'other',
];

/** Faults that answer a request wrongly; `only` limits one to some endpoints (default: every request). */
export type RequestFault = { readonly only?: readonly RequestKind[] } & (
  | { readonly kind: 'latency'; readonly ms: number }
  /** 500 (or the given status) with a JSON error body, as Connect's exception mapper writes it. */
  | { readonly kind: 'error'; readonly status?: number; readonly message?: string }
  /** 409 from HerderRequestHandler while the group rebalances. */
  | { readonly kind: 'rebalance' }
  /** Accept the request and never answer. */
  | { readonly kind: 'timeout' }
  /** Headers with the full content-length, half the body, then the socket is destroyed. */
  | { readonly kind: 'cutoff' }
  /** 200 with a body that is not JSON. */
  | { readonly kind: 'malformed' }
  /** The basic-auth extension's refusal: 401, plain text, no WWW-Authenticate. */
  | { readonly kind: 'unauthorized' }
);

/** Faults that change what the worker knows rather than how it answers. */
export type StateFault =
  /**
   * Connectors that are listed but answer 404 on their own endpoints (deleted between the list and the
   * status call, or status not written yet). The expanded answer leaves them out, as Connect does.
   * Default: every second connector, in name order, when the fault is set.
   */
  | { readonly kind: 'vanishing'; readonly names?: readonly string[] }
  /** On every list request (plain or expanded), `perList` connectors are deleted and as many created. */
  | { readonly kind: 'churn'; readonly perList?: number };

export type Fault = RequestFault | StateFault;

export interface SimulatorOptions {
  /** A number generates that many connectors named `connector-00000`…; or give the specs. */
  readonly connectors?: number | readonly ConnectorSpec[];
  /** Tasks of each generated connector (default 1). */
  readonly tasksPerConnector?: number;
  /** What `GET /` reports as the version (default 3.9.0). 4.1+ adds `version` to connector and task status. */
  readonly version?: string;
  /** False behaves like a worker older than 2.3: `?expand=` is ignored and the name array comes back. */
  readonly expand?: boolean;
  /** Enables the basic-auth extension with this one user. */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** 403 "Topic tracking is disabled." on /topics (topic.tracking.enable=false). */
  readonly topicTracking?: boolean;
  /** Workers that ignore KIP-745's query answer 204 to every restart. */
  readonly legacyRestart?: boolean;
  readonly commit?: string;
  readonly kafkaClusterId?: string;
  /**
   * Serialize list answers once per change (default true). Benches turn it off so that, as on a real
   * worker, every expanded answer pays its serialization.
   */
  readonly cacheBodies?: boolean;
}

export interface RestartCall {
  readonly connector: string;
  readonly task?: number;
  readonly includeTasks?: boolean;
  readonly onlyFailed?: boolean;
}

export interface ConnectSimulator {
  /** Base URL, `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  /** Requests received since start (or the last `resetRequests`), by endpoint: a copy. */
  readonly requests: Readonly<Record<RequestKind, number>> & { readonly total: number };
  /** Restart calls that reached a known connector, in order. */
  readonly restarts: readonly RestartCall[];
  resetRequests(): void;
  setFault(fault: Fault | undefined): void;
  readonly fault: Fault | undefined;
  /** Names of the live connectors, sorted. */
  names(): string[];
  connector(name: string): SimConnector | undefined;
  /** Replaces every connector. */
  setConnectors(specs: number | readonly ConnectorSpec[], tasksPerConnector?: number): void;
  addConnector(spec: ConnectorSpec): void;
  deleteConnector(name: string): boolean;
  setConnectorState(name: string, state: string, trace?: string): void;
  setTaskState(name: string, task: number, state: string, trace?: string): void;
  /** Live tasks over all connectors (a STOPPED connector has none). */
  taskCount(): number;
  close(): Promise<void>;
}

const WORKERS = ['10.0.0.1:8083', '10.0.0.2:8083', '10.0.0.3:8083'];
export const SAMPLE_TRACE =
  'org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\n' +
  '\tat org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator.execAndHandleError(RetryWithToleranceOperator.java:230)\n' +
  '\tat org.apache.kafka.connect.runtime.WorkerSinkTask.convertAndTransformRecord(WorkerSinkTask.java:518)\n';
const REBALANCE =
  'Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.';

/** The generated connector `i` of a simulator: names sort in index order. */
export function generatedName(i: number): string {
  return `connector-${String(i).padStart(5, '0')}`;
}

export function generatedSpec(i: number, tasks: number): ConnectorSpec {
  const sink = i % 2 === 0;
  const name = generatedName(i);
  const config: Record<string, string> = sink
    ? {
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
        'tasks.max': String(tasks),
        topics: `topic-${i}`,
        file: `/tmp/${name}.out`,
        // A third of the sinks route errant records to a DLQ, like a real fleet.
        ...(i % 3 === 0
          ? {
              'errors.tolerance': 'all',
              'errors.deadletterqueue.topic.name': `dlq-${name}`,
              'errors.deadletterqueue.context.headers.enable': 'true',
            }
          : {}),
      }
    : {
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
        'tasks.max': String(tasks),
        topic: `topic-${i}`,
        file: `/tmp/${name}.in`,
      };
  return { name, type: sink ? 'sink' : 'source', config, tasks };
}

function build(spec: ConnectorSpec, index: number): SimConnector {
  const worker = spec.workerId ?? (WORKERS[index % WORKERS.length] as string);
  const taskSpecs =
    typeof spec.tasks === 'number' || spec.tasks === undefined
      ? Array.from(
          { length: spec.tasks ?? 1 },
          () => ({ state: 'RUNNING' }) as { state: string; trace?: string; workerId?: string },
        )
      : spec.tasks;
  const tasks: SimTask[] = taskSpecs.map((t, id) => ({
    id,
    state: t.state,
    workerId: t.workerId ?? (WORKERS[(index + id) % WORKERS.length] as string),
    ...(t.trace === undefined ? {} : { trace: t.trace }),
  }));
  const type = spec.type ?? 'sink';
  return {
    name: spec.name,
    type,
    config: {
      'connector.class': `com.example.${type === 'sink' ? 'Sink' : 'Source'}Connector`,
      'tasks.max': String(tasks.length),
      ...spec.config,
      name: spec.name,
    },
    state: spec.state ?? 'RUNNING',
    workerId: worker,
    ...(spec.trace === undefined ? {} : { trace: spec.trace }),
    tasks,
  };
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > major || (maj === major && min >= minor);
}

export async function startConnectSimulator(opts: SimulatorOptions = {}): Promise<ConnectSimulator> {
  const version = opts.version ?? '3.9.0';
  const withPluginVersion = versionAtLeast(version, 4, 1);
  const expandSupported = opts.expand ?? true;
  const expectedAuth = opts.basicAuth
    ? `Basic ${Buffer.from(`${opts.basicAuth.username}:${opts.basicAuth.password}`).toString('base64')}`
    : undefined;
  const rootBody = JSON.stringify({
    version,
    commit: opts.commit ?? 'ab12cd34ef56ab78',
    kafka_cluster_id: opts.kafkaClusterId ?? 'sim-cluster-Qx3zV1nbQ',
  });

  const byName = new Map<string, SimConnector>();
  let created = 0;
  let churnSeq = 0;
  let generation = 0;
  let cache: { generation: number; key: string; body: string } | undefined;
  let fault: Fault | undefined;
  let vanished = new Set<string>();
  const counts = Object.fromEntries(REQUEST_KINDS.map((k) => [k, 0])) as Record<RequestKind, number>;
  let total = 0;
  const restarts: RestartCall[] = [];
  const sockets = new Set<Socket>();

  const touch = (): void => {
    generation++;
  };

  const add = (spec: ConnectorSpec): void => {
    byName.set(spec.name, build(spec, created++));
    touch();
  };

  const setConnectors = (
    specs: number | readonly ConnectorSpec[],
    tasksPerConnector = opts.tasksPerConnector ?? 1,
  ): void => {
    byName.clear();
    created = 0;
    const list =
      typeof specs === 'number'
        ? Array.from({ length: specs }, (_, i) => generatedSpec(i, tasksPerConnector))
        : specs;
    for (const s of list) add(s);
  };
  setConnectors(opts.connectors ?? 0);

  const sortedNames = (): string[] => [...byName.keys()].sort();

  const liveTasks = (c: SimConnector): SimTask[] => (c.state === 'STOPPED' ? [] : c.tasks);

  const statusOf = (
    c: SimConnector,
    override?: { connector?: string; tasks?: ReadonlySet<number> },
  ): object => ({
    name: c.name,
    connector: {
      state: override?.connector ?? c.state,
      worker_id: c.workerId,
      ...(c.trace ? { trace: c.trace } : {}),
      ...(withPluginVersion ? { version } : {}),
    },
    tasks: liveTasks(c).map((t) => ({
      id: t.id,
      state: override?.tasks?.has(t.id) ? 'RESTARTING' : t.state,
      worker_id: t.workerId,
      ...(t.trace ? { trace: t.trace } : {}),
      ...(withPluginVersion ? { version } : {}),
    })),
    type: c.type,
  });

  const infoOf = (c: SimConnector): object => ({
    name: c.name,
    config: c.config,
    tasks: liveTasks(c).map((t) => ({ connector: c.name, task: t.id })),
    type: c.type,
  });

  const churn = (perList: number): void => {
    const names = sortedNames();
    for (let i = 0; i < perList && i < names.length; i++) byName.delete(names[i] as string);
    for (let i = 0; i < perList; i++) {
      const spec = generatedSpec(created, opts.tasksPerConnector ?? 1);
      add({ ...spec, name: `churn-${String(churnSeq++).padStart(7, '0')}` });
    }
    touch();
  };

  const visible = (name: string): SimConnector | undefined =>
    vanished.has(name) ? undefined : byName.get(name);

  /** The list answers; the expanded one is cached until the next change. */
  const listBody = (expand: readonly string[]): string => {
    const key = expandSupported && expand.length > 0 ? expand.join('&') : '';
    if (cache && cache.generation === generation && cache.key === key && opts.cacheBodies !== false)
      return cache.body;
    const names = sortedNames();
    let body: string;
    if (key === '') {
      body = JSON.stringify(names);
    } else {
      const out: Record<string, Record<string, object>> = {};
      for (const name of names) {
        const c = visible(name);
        if (!c) continue; // Connect leaves a connector whose status or info is not found out of the map
        const entry: Record<string, object> = {};
        for (const e of expand) {
          if (e === 'status') entry.status = statusOf(c);
          else if (e === 'info') entry.info = infoOf(c);
          // Any other value (including "status,info") is an unknown expansion: logged and ignored.
        }
        out[name] = entry;
      }
      body = JSON.stringify(out);
    }
    cache = { generation, key, body };
    return body;
  };

  const classify = (method: string, segments: readonly string[], query: URLSearchParams): RequestKind => {
    if (segments.length === 0) return method === 'GET' ? 'root' : 'other';
    if (segments[0] !== 'connectors') return 'other';
    if (segments.length === 1)
      return method === 'GET' ? (query.has('expand') && expandSupported ? 'expanded' : 'list') : 'other';
    if (segments.length === 2) return method === 'GET' ? 'connectorInfo' : 'other';
    const sub = segments[2];
    if (segments.length === 3) {
      if (sub === 'status' && method === 'GET') return 'connectorStatus';
      if (sub === 'config' && method === 'GET') return 'connectorConfig';
      if (sub === 'topics' && method === 'GET') return 'topics';
      if (sub === 'restart' && method === 'POST') return 'restartConnector';
      return 'other';
    }
    if (segments.length === 5 && sub === 'tasks') {
      if (segments[4] === 'status' && method === 'GET') return 'taskStatus';
      if (segments[4] === 'restart' && method === 'POST') return 'restartTask';
    }
    return 'other';
  };

  const send = (res: http.ServerResponse, status: number, body?: string | object): void => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const unauthorized = (res: http.ServerResponse): void => {
    const text = 'User cannot access the resource.';
    res.writeHead(401, { 'content-type': 'text/plain', 'content-length': text.length }).end(text);
  };
  const error = (res: http.ServerResponse, status: number, message: string): void =>
    send(res, status, { error_code: status, message });

  /** The real answer, once faults that refuse the request are out of the way. */
  const answer = (
    req: http.IncomingMessage,
    kind: RequestKind,
    segments: readonly string[],
    query: URLSearchParams,
  ): { status: number; body?: string } => {
    const method = req.method ?? 'GET';
    const json = (status: number, body: object): { status: number; body: string } => ({
      status,
      body: JSON.stringify(body),
    });
    const err = (status: number, message: string): { status: number; body: string } =>
      json(status, { error_code: status, message });
    const name = segments[1] ?? '';
    switch (kind) {
      case 'root':
        return { status: 200, body: rootBody };
      case 'list':
      case 'expanded': {
        if (fault?.kind === 'churn') churn(fault.perList ?? 1);
        return { status: 200, body: listBody(query.getAll('expand')) };
      }
      case 'connectorStatus': {
        const c = visible(name);
        return c ? json(200, statusOf(c)) : err(404, `No status found for connector ${name}`);
      }
      case 'connectorInfo': {
        const c = visible(name);
        return c ? json(200, infoOf(c)) : err(404, `Connector ${name} not found`);
      }
      case 'connectorConfig': {
        const c = visible(name);
        return c ? json(200, c.config) : err(404, `Connector ${name} not found`);
      }
      case 'taskStatus': {
        const c = visible(name);
        const id = Number(segments[3]);
        const t = c ? liveTasks(c).find((x) => x.id === id) : undefined;
        if (!t) return err(404, `No status found for task ${name}-${segments[3] ?? ''}`);
        return json(200, {
          id: t.id,
          state: t.state,
          worker_id: t.workerId,
          ...(t.trace ? { trace: t.trace } : {}),
          ...(withPluginVersion ? { version } : {}),
        });
      }
      case 'topics': {
        if (opts.topicTracking === false) return err(403, 'Topic tracking is disabled.');
        // Connect does not check that the connector exists: an unknown name gets an empty list.
        const c = visible(name);
        const topics = c ? [c.config.topics ?? c.config.topic].filter((t): t is string => !!t) : [];
        return json(200, { [name]: { topics } });
      }
      case 'restartConnector': {
        const c = visible(name);
        if (!c) return err(404, `Unknown connector: ${name}`);
        const includeTasks = query.get('includeTasks') === 'true';
        const onlyFailed = query.get('onlyFailed') === 'true';
        restarts.push({ connector: name, includeTasks, onlyFailed });
        const restartConnector = !onlyFailed || c.state === 'FAILED';
        const restartTasks = new Set(
          includeTasks
            ? liveTasks(c)
                .filter((t) => !onlyFailed || t.state === 'FAILED')
                .map((t) => t.id)
            : [],
        );
        const legacy = opts.legacyRestart === true || (!includeTasks && !onlyFailed);
        // The answer shows the selected instances RESTARTING; the restart itself completes at once.
        const plan = statusOf(c, {
          ...(restartConnector ? { connector: 'RESTARTING' } : {}),
          tasks: restartTasks,
        });
        if (restartConnector) {
          c.state = 'RUNNING';
          delete c.trace;
        }
        if (!legacy) {
          for (const t of c.tasks) {
            if (restartTasks.has(t.id)) {
              t.state = 'RUNNING';
              delete t.trace;
            }
          }
        }
        touch();
        return legacy ? { status: 204 } : json(202, plan);
      }
      case 'restartTask': {
        const c = visible(name);
        if (!c) return err(404, `Unknown connector: ${name}`);
        const id = Number(segments[3]);
        const t = liveTasks(c).find((x) => x.id === id);
        if (!t) return err(404, `Unknown task: ${name}-${segments[3] ?? ''}`);
        restarts.push({ connector: name, task: id });
        t.state = 'RUNNING';
        delete t.trace;
        touch();
        return { status: 204 };
      }
      case 'other':
        if (method !== 'GET' && method !== 'POST' && method !== 'PUT' && method !== 'DELETE') {
          return err(405, 'HTTP 405 Method Not Allowed');
        }
        return err(404, 'HTTP 404 Not Found');
    }
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    total++;
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const rawPath = q >= 0 ? raw.slice(0, q) : raw;
    const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
    let segments: string[];
    try {
      // Split before decoding so an encoded "/" stays inside a name.
      segments = rawPath
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s));
    } catch {
      counts.other++;
      error(res, 404, 'HTTP 404 Not Found');
      return;
    }
    const kind = classify(req.method ?? 'GET', segments, query);
    counts[kind]++;

    if (expectedAuth !== undefined && req.headers.authorization !== expectedAuth) {
      unauthorized(res);
      return;
    }

    const f = fault;
    const applies =
      f !== undefined && 'only' in f && f.only !== undefined ? f.only.includes(kind) : f !== undefined;
    if (f && applies) {
      switch (f.kind) {
        case 'error':
          error(res, f.status ?? 500, f.message ?? 'Request timed out: the herder is busy');
          return;
        case 'rebalance':
          error(res, 409, REBALANCE);
          return;
        case 'timeout':
          return; // the socket stays open until the client gives up or the simulator closes
        case 'unauthorized':
          unauthorized(res);
          return;
        case 'malformed': {
          const garbage = '<html><body>502 Bad Gateway</body></html>{"connector-0":{"status":';
          res
            .writeHead(200, { 'content-type': 'application/json', 'content-length': garbage.length })
            .end(garbage);
          return;
        }
        case 'cutoff': {
          const full = answer(req, kind, segments, query).body ?? '{}';
          const bytes = Buffer.from(full);
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
          res.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))), () =>
            res.socket?.destroy(),
          );
          return;
        }
        case 'latency': {
          const out = answer(req, kind, segments, query);
          const timer = setTimeout(() => send(res, out.status, out.body), f.ms);
          res.on('close', () => clearTimeout(timer));
          return;
        }
        default:
          break; // state faults answer normally
      }
    }
    const out = answer(req, kind, segments, query);
    send(res, out.status, out.body);
  };

  const server = http.createServer({ maxHeaderSize: 64 * 1024, keepAliveTimeout: 60_000 }, handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const mustGet = (name: string): SimConnector => {
    const c = byName.get(name);
    if (!c) throw new Error(`simulator: no connector ${JSON.stringify(name)}`);
    return c;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return { ...counts, total };
    },
    restarts,
    resetRequests() {
      for (const k of REQUEST_KINDS) counts[k] = 0;
      total = 0;
    },
    get fault() {
      return fault;
    },
    setFault(next) {
      fault = next;
      vanished = new Set();
      if (next?.kind === 'vanishing') {
        vanished = new Set(next.names ?? sortedNames().filter((_, i) => i % 2 === 1));
      }
      touch();
    },
    names: sortedNames,
    connector: (name) => byName.get(name),
    setConnectors,
    addConnector(spec) {
      if (byName.has(spec.name)) throw new Error(`simulator: connector ${JSON.stringify(spec.name)} exists`);
      add(spec);
    },
    deleteConnector(name) {
      const had = byName.delete(name);
      touch();
      return had;
    },
    setConnectorState(name, state, trace) {
      const c = mustGet(name);
      c.state = state;
      if (trace === undefined) delete c.trace;
      else c.trace = trace;
      touch();
    },
    setTaskState(name, task, state, trace) {
      const t = mustGet(name).tasks.find((x) => x.id === task);
      if (!t) throw new Error(`simulator: connector ${JSON.stringify(name)} has no task ${task}`);
      t.state = state;
      if (trace === undefined) delete t.trace;
      else t.trace = trace;
      touch();
    },
    taskCount() {
      let n = 0;
      for (const c of byName.values()) n += liveTasks(c).length;
      return n;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
