import { mapLimit } from '../lib/limit.js';
import { JsonBodyError, parseJson } from '../lib/json-members.js';
import { retry } from '../lib/retry.js';
import { ConnectApiError, ConnectResponseError, ConnectTransportError, jsonBodyError } from './errors.js';
import { ExpandedAnswerParser, type RememberedEntry } from './expanded-stream.js';
import { ConnectHttp, type BodyReader } from './http.js';
import { connectLimits, type ConnectLimits } from './limits.js';
import { joinView, parseInfo, parseServerInfo, parseStatus, type ConnectorInfo } from './parse.js';
import { Redactor } from './redact.js';
import type { ConnectorStatus, ConnectorView, ServerInfo } from './types.js';

export type ConnectAuth =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: () => string };

export interface ConnectTlsOptions {
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly insecureSkipVerify?: boolean;
}

export interface ConnectClientOptions {
  readonly url: string;
  readonly auth?: ConnectAuth;
  readonly tls?: ConnectTlsOptions;
  /** Upper bound for one HTTP request; a poll's deadline can make it shorter. */
  readonly requestTimeoutMs: number;
  /** Concurrent connectors when a worker does not expand and each connector needs its own calls. */
  readonly fallbackConcurrency?: number;
  readonly userAgent?: string;
  readonly now?: () => number;
  /** Caps on what a worker can make the client hold; CONNECT_LIMIT_DEFAULTS for those not given. */
  readonly limits?: Partial<ConnectLimits>;
}

export interface ListResult {
  readonly connectors: ConnectorView[];
  /** True when the worker answered the single expanded call (≥ 2.3). */
  readonly expanded: boolean;
}

/** A body parsed as JSON once complete, its nesting checked first. */
class JsonReader implements BodyReader<unknown> {
  private readonly chunks: Buffer[] = [];
  constructor(
    private readonly path: string,
    private readonly maxDepth: number,
  ) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  end(): unknown {
    try {
      return parseJson(Buffer.concat(this.chunks), this.maxDepth);
    } catch (err) {
      throw err instanceof JsonBodyError ? jsonBodyError(this.path, err) : err;
    }
  }
}

/** A body nobody needs (a restart's answer): read so the connection can be reused, then dropped. */
const ignoreBody = (): BodyReader<void> => ({ push: () => undefined, end: () => undefined });

const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 2_000;
const EXPANDED_PATH = 'connectors?expand=status&expand=info';

/**
 * One Connect cluster's REST API. Every call has a deadline; 409 (rebalance) and 5xx answers are retried
 * with backoff while the deadline allows. Credentials live only in the request headers: every error
 * message has them removed, even when the server echoed them.
 */
export class ConnectClient {
  private readonly base: URL;
  private readonly http: ConnectHttp;
  private readonly now: () => number;
  private readonly limits: ConnectLimits;
  private readonly redactor = new Redactor();
  /** Ends the waits between retries when the client is closed. */
  private readonly closing = new AbortController();
  /** The entries of the latest expanded answer, for the next one's parser. */
  private remembered: ReadonlyMap<string, RememberedEntry> = new Map();
  /** HTTP requests sent since start (each retry counts): what a poll costs the worker. */
  requests = 0;

  constructor(private readonly opts: ConnectClientOptions) {
    this.base = new URL(opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new Error(`Connect URL must be http or https, got ${this.base.protocol}`);
    }
    if (this.base.username || this.base.password) {
      throw new Error('Connect URL must not carry credentials; use the username and password settings');
    }
    if (this.base.search || this.base.hash) {
      throw new Error('Connect URL must not carry a query or a fragment');
    }
    this.now = opts.now ?? Date.now;
    this.limits = connectLimits(opts.limits);
    const auth = opts.auth;
    let authorization: () => string | undefined = () => undefined;
    if (auth?.kind === 'basic') {
      const value = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
      this.redactor.add(auth.password);
      this.redactor.add(value);
      authorization = () => `Basic ${value}`;
    } else if (auth?.kind === 'bearer') {
      authorization = () => {
        const token = auth.token();
        this.redactor.add(token);
        return `Bearer ${token}`;
      };
    }
    this.http = new ConnectHttp(this.base, {
      ...(opts.tls === undefined ? {} : { tls: opts.tls }),
      maxSockets: Math.max(opts.fallbackConcurrency ?? 8, 4),
      userAgent: opts.userAgent ?? 'connect-sentinel',
      authorization,
      maxBodyBytes: this.limits.maxBodyBytes,
      redactor: this.redactor,
    });
  }

  get url(): string {
    return this.base.href;
  }

  /** Aborts every request in flight and every wait between retries at once. */
  close(): void {
    this.closing.abort();
    this.http.close();
  }

  async serverInfo(deadline: number): Promise<ServerInfo> {
    return parseServerInfo(await this.getJson('', deadline), '/');
  }

  /**
   * Every connector with its status and config: one request on workers ≥ 2.3, otherwise a list plus two
   * requests per connector with bounded concurrency. A connector that vanishes between the list and its
   * own calls is left out, as the expanded answer itself does.
   */
  async listConnectors(deadline: number): Promise<ListResult> {
    // Parsed while it arrives (src/connect/expanded-stream.ts): the answer is megabytes at thousands of
    // connectors, and one JSON.parse of it would block the event loop for ~100 ms.
    let parser: ExpandedAnswerParser | undefined;
    const { value: result } = await this.call('GET', EXPANDED_PATH, deadline, true, () => {
      parser = new ExpandedAnswerParser(`/${EXPANDED_PATH}`, this.remembered, this.limits);
      return parser;
    });
    this.remembered = result.kind === 'expanded' && parser !== undefined ? parser.remembered : new Map();
    if (result.kind === 'expanded') {
      const expanded = result.answer;
      if (expanded.incomplete.length === 0) return { connectors: expanded.connectors, expanded: true };
      const extra = await this.fetchEach(expanded.incomplete, deadline);
      return { connectors: [...expanded.connectors, ...extra], expanded: true };
    }
    return { connectors: await this.fetchEach(result.names, deadline), expanded: false };
  }

  async connectorStatus(name: string, deadline: number): Promise<ConnectorStatus> {
    const path = `connectors/${segment(name)}/status`;
    return parseStatus(await this.getJson(path, deadline), `/${path}`, this.limits.maxTraceChars);
  }

  async connectorInfo(name: string, deadline: number): Promise<ConnectorInfo> {
    const path = `connectors/${segment(name)}`;
    return parseInfo(await this.getJson(path, deadline), `/${path}`);
  }

  /** KIP-745 restart (2.x+/3.0+): 202 with a body, or 204 on workers that ignore the query. */
  async restartConnector(
    name: string,
    options: { includeTasks: boolean; onlyFailed: boolean },
    deadline: number,
  ): Promise<number> {
    const path =
      `connectors/${segment(name)}/restart` +
      `?includeTasks=${options.includeTasks}&onlyFailed=${options.onlyFailed}`;
    return (await this.call('POST', path, deadline, false, ignoreBody)).status;
  }

  async restartTask(name: string, task: number, deadline: number): Promise<number> {
    if (!Number.isSafeInteger(task) || task < 0) {
      throw new RangeError(`task id must be a non-negative integer, got ${task}`);
    }
    const path = `connectors/${segment(name)}/tasks/${task}/restart`;
    return (await this.call('POST', path, deadline, false, ignoreBody)).status;
  }

  /** `GET <base>/<path>` as JSON; `path` is sent as given (already encoded). */
  async getJson(path: string, deadline: number): Promise<unknown> {
    const where = `/${path}`;
    const read = (): JsonReader => new JsonReader(where, this.limits.maxJsonDepth);
    return (await this.call('GET', path, deadline, true, read)).value;
  }

  /** Status and info of each connector, `fallbackConcurrency` connectors at a time. */
  private async fetchEach(names: readonly string[], deadline: number): Promise<ConnectorView[]> {
    if (names.includes('')) {
      throw new ConnectResponseError(
        `/${EXPANDED_PATH}`,
        'a connector has an empty name, which no request can address',
      );
    }
    const views = await mapLimit(names, this.opts.fallbackConcurrency ?? 8, async (name) => {
      try {
        const [status, info] = await Promise.all([
          this.connectorStatus(name, deadline),
          this.connectorInfo(name, deadline),
        ]);
        return joinView(status, info);
      } catch (err) {
        if (err instanceof ConnectApiError && err.status === 404) return undefined; // deleted since the list
        throw err;
      }
    });
    return views.filter((v): v is ConnectorView => v !== undefined);
  }

  /**
   * One request with retries on 409/5xx/connection resets while the deadline allows. A 2xx body goes to a
   * fresh reader from `read` per attempt; what the reader throws fails the call without a retry.
   */
  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    deadline: number,
    idempotent: boolean,
    read: () => BodyReader<T>,
  ): Promise<{ status: number; value: T }> {
    try {
      return await retry(
        () => {
          const timeout = Math.min(this.opts.requestTimeoutMs, deadline - this.now());
          if (timeout > 0) this.requests++;
          return this.http.send(method, path, timeout, read);
        },
        {
          deadline,
          baseMs: RETRY_BASE_MS,
          maxMs: RETRY_MAX_MS,
          now: this.now,
          signal: this.closing.signal,
          retryable: (err) => retryable(err, idempotent),
        },
      );
    } catch (err) {
      throw this.scrub(err);
    }
  }

  /** The error with every credential removed from its message, whatever the server echoed. */
  private scrub(err: unknown): unknown {
    if (err instanceof Error) err.message = this.redactor.redact(err.message);
    return err;
  }
}

function retryable(err: unknown, idempotent: boolean): boolean {
  if (err instanceof ConnectApiError) {
    // A POST is never repeated here: on 5xx the restart may have happened, and a 409 is the restart policy's
    // to retry (after its backoff, counted), not a loop of POSTs inside one poll.
    return err.retryable && idempotent;
  }
  if (!idempotent || !(err instanceof ConnectTransportError)) return false;
  const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/**
 * A connector name as one path segment. encodeURIComponent leaves dots alone, and a segment that is only
 * dots would be a step in the path (`/connectors/..` is `/`): those dots are encoded too, which Connect
 * decodes back. No path can address the empty name.
 */
function segment(name: string): string {
  if (name === '') throw new RangeError('connector name is empty: no request can address it');
  const encoded = encodeURIComponent(name);
  return /^\.+$/.test(encoded) ? encoded.replaceAll('.', '%2E') : encoded;
}
