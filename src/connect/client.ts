import http from 'node:http';
import https from 'node:https';
import { ConnectApiError, ConnectResponseError, ConnectTransportError } from './errors.js';
import { ExpandedAnswerParser, notJsonError, type RememberedEntry } from './expanded-stream.js';
import { joinView, parseInfo, parseServerInfo, parseStatus, type ConnectorInfo } from './parse.js';
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
  /** Concurrent requests when a worker does not expand and each connector needs its own calls. */
  readonly fallbackConcurrency?: number;
  readonly userAgent?: string;
  readonly now?: () => number;
}

export interface ListResult {
  readonly connectors: ConnectorView[];
  /** True when the worker answered the single expanded call (≥ 2.3). */
  readonly expanded: boolean;
}

/** Reads a 2xx answer's body chunk by chunk; `push` may throw to fail the call at once. */
interface BodyReader<T> {
  push(chunk: Buffer): void;
  end(): T;
}

/** The body as text: what every call but the expanded list parses. */
class TextReader implements BodyReader<string> {
  private readonly chunks: Buffer[] = [];
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  end(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

const readText = (): TextReader => new TextReader();

type Reply<T> =
  | { readonly ok: true; readonly status: number; readonly value: T }
  | { readonly ok: false; readonly status: number; readonly body: string };

const MAX_BODY_BYTES = 512 * 1024 * 1024;
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 2_000;

/**
 * One Connect cluster's REST API. Every call has a deadline; 409 (rebalance) and 5xx answers are retried
 * with backoff while the deadline allows. Credentials live only in the request headers, never in errors.
 */
export class ConnectClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly now: () => number;
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
    this.now = opts.now ?? Date.now;
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            maxSockets: Math.max(opts.fallbackConcurrency ?? 8, 4),
            ...(opts.tls?.ca === undefined ? {} : { ca: opts.tls.ca }),
            ...(opts.tls?.cert === undefined ? {} : { cert: opts.tls.cert }),
            ...(opts.tls?.key === undefined ? {} : { key: opts.tls.key }),
            rejectUnauthorized: !(opts.tls?.insecureSkipVerify ?? false),
          })
        : new http.Agent({ keepAlive: true, maxSockets: Math.max(opts.fallbackConcurrency ?? 8, 4) });
  }

  get url(): string {
    return this.base.href;
  }

  private closed = false;

  /** Ends every request in flight at once (a stop must not wait for a slow worker's deadline). */
  close(): void {
    this.closed = true;
    this.agent.destroy();
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
    const path = 'connectors?expand=status&expand=info';
    // Parsed while it arrives (src/connect/expanded-stream.ts): the answer is megabytes at thousands of
    // connectors, and one JSON.parse of it would block the event loop for ~100 ms.
    // Entries byte-identical to the previous answer's reuse their views unparsed.
    let parser: ExpandedAnswerParser | undefined;
    const { value: result } = await this.call('GET', path, deadline, true, () => {
      parser = new ExpandedAnswerParser(`/${path}`, this.remembered);
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
    const path = `connectors/${encodeURIComponent(name)}/status`;
    return parseStatus(await this.getJson(path, deadline), `/${path}`);
  }

  async connectorInfo(name: string, deadline: number): Promise<ConnectorInfo> {
    const path = `connectors/${encodeURIComponent(name)}`;
    return parseInfo(await this.getJson(path, deadline), `/${path}`);
  }

  /** KIP-745 restart (2.x+/3.0+): 202 with a body, or 204 on workers that ignore the query. */
  async restartConnector(
    name: string,
    options: { includeTasks: boolean; onlyFailed: boolean },
    deadline: number,
  ): Promise<number> {
    const path =
      `connectors/${encodeURIComponent(name)}/restart` +
      `?includeTasks=${options.includeTasks}&onlyFailed=${options.onlyFailed}`;
    return (await this.call('POST', path, deadline, false, readText)).status;
  }

  async restartTask(name: string, task: number, deadline: number): Promise<number> {
    const path = `connectors/${encodeURIComponent(name)}/tasks/${task}/restart`;
    return (await this.call('POST', path, deadline, false, readText)).status;
  }

  /** KIP-558 `GET /connectors/{name}/topics`; undefined when topic tracking is disabled (403). */
  async connectorTopics(name: string, deadline: number): Promise<string[] | undefined> {
    const path = `connectors/${encodeURIComponent(name)}/topics`;
    try {
      const body = await this.getJson(path, deadline);
      const entry = (body as Record<string, { topics?: unknown }> | null)?.[name];
      const topics = entry?.topics;
      if (!Array.isArray(topics))
        throw new ConnectResponseError(`/${path}`, 'expected {"<name>":{"topics":[...]}}');
      return topics.filter((t): t is string => typeof t === 'string');
    } catch (err) {
      if (err instanceof ConnectApiError && (err.status === 403 || err.status === 404)) return undefined;
      throw err;
    }
  }

  private async fetchEach(names: readonly string[], deadline: number): Promise<ConnectorView[]> {
    const out: ConnectorView[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const name = names[next++] as string;
        try {
          const [status, info] = await Promise.all([
            this.connectorStatus(name, deadline),
            this.connectorInfo(name, deadline),
          ]);
          out.push(joinView(status, info));
        } catch (err) {
          if (err instanceof ConnectApiError && err.status === 404) continue; // deleted since the list
          throw err;
        }
      }
    };
    const concurrency = Math.max(1, Math.min(this.opts.fallbackConcurrency ?? 8, names.length));
    await Promise.all(Array.from({ length: concurrency }, worker));
    return out;
  }

  async getJson(path: string, deadline: number): Promise<unknown> {
    const { value: body } = await this.call('GET', path, deadline, true, readText);
    try {
      return JSON.parse(body) as unknown;
    } catch (err) {
      throw notJsonError(`/${path}`, body, err);
    }
  }

  /**
   * One request with retries on 409/5xx/connection resets while the deadline allows. A 2xx body goes to a
   * fresh reader from `read` per attempt; what the reader throws fails the call without a retry.
   */
  private async call<T>(
    method: string,
    path: string,
    deadline: number,
    idempotent: boolean,
    read: () => BodyReader<T>,
  ): Promise<{ status: number; value: T }> {
    let attempt = 0;
    for (;;) {
      try {
        const res = await this.send(method, path, deadline, read);
        if (res.ok) return res;
        throw new ConnectApiError(res.status, method, `/${path}`, res.body);
      } catch (err) {
        const retryable =
          (err instanceof ConnectApiError && err.retryable) ||
          (idempotent && err instanceof ConnectTransportError && isReset(err));
        const wait = Math.min(RETRY_BASE_MS * 2 ** attempt, RETRY_MAX_MS);
        // A POST is never repeated here: on 5xx the restart may have happened, and a 409 is the restart
        // policy's to retry (after its backoff, counted), not a loop of POSTs inside one poll.
        const safe = idempotent;
        if (!retryable || !safe || this.closed || this.now() + wait >= deadline) throw err;
        attempt++;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private send<T>(
    method: string,
    path: string,
    deadline: number,
    read: () => BodyReader<T>,
  ): Promise<Reply<T>> {
    const url = new URL(path, this.base);
    const timeout = Math.min(this.opts.requestTimeoutMs, deadline - this.now());
    if (timeout <= 0) {
      return Promise.reject(
        new ConnectTransportError(method, `/${path}`, 'deadline passed before the request'),
      );
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.opts.userAgent ?? 'connect-sentinel',
    };
    const auth = this.opts.auth;
    if (auth?.kind === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    } else if (auth?.kind === 'bearer') {
      headers.authorization = `Bearer ${auth.token()}`;
    }
    if (method === 'POST') headers['content-length'] = '0';
    this.requests++;
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(url, { method, headers, agent: this.agent }, (res) => {
        const status = res.statusCode ?? 0;
        // Only a 2xx body goes to the reader; any other is kept as text for ConnectApiError.
        const reader = status >= 200 && status < 300 ? read() : undefined;
        const chunks: Buffer[] = [];
        let size = 0;
        let failed = false;
        res.on('data', (chunk: Buffer) => {
          if (failed) return;
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          if (reader === undefined) {
            chunks.push(chunk);
            return;
          }
          try {
            reader.push(chunk);
          } catch (err) {
            // The body cannot become valid: fail now rather than read the rest or wait for the deadline.
            failed = true;
            reject(err);
            req.destroy();
          }
        });
        res.on('end', () => {
          if (failed) return;
          if (!res.complete) {
            reject(
              new ConnectTransportError(
                method,
                `/${path}`,
                'connection closed before the answer was complete',
              ),
            );
            return;
          }
          if (reader === undefined) {
            resolve({ ok: false, status, body: Buffer.concat(chunks).toString('utf8') });
            return;
          }
          try {
            resolve({ ok: true, status, value: reader.end() });
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', (err) =>
          reject(new ConnectTransportError(method, `/${path}`, err.message, { cause: err })),
        );
        res.on('aborted', () =>
          reject(
            new ConnectTransportError(method, `/${path}`, 'connection closed before the answer was complete'),
          ),
        );
      });
      // A total deadline, not an idle timeout: a worker that trickles bytes must not hold the poll.
      const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeout} ms`)), timeout);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          new ConnectTransportError(
            method,
            `/${path}`,
            err.code ? `${err.code} ${err.message}` : err.message,
            { cause: err },
          ),
        ),
      );
      req.end();
    });
  }
}

function isReset(err: ConnectTransportError): boolean {
  const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
