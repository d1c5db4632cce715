/**
 * One HTTP exchange with a Connect worker, on axios: a total deadline, no redirects, the answer streamed
 * to a reader chunk by chunk under a size cap, at most ERROR_BODY_BYTES of any other answer kept for the
 * error, and every request in flight aborted at once by close(). Nothing a server sends throws out of a
 * stream handler: every outcome settles the one promise of the exchange.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { JsonBodyError } from '../lib/json-members.js';
import { ConnectApiError, ConnectResponseError, ConnectTransportError } from './errors.js';
import type { Redactor } from './redact.js';

/** Reads a 2xx answer's body chunk by chunk; `push` may throw to fail the call at once. */
export interface BodyReader<T> {
  push(chunk: Buffer): void;
  end(): T;
}

export interface ConnectHttpOptions {
  readonly tls?: {
    readonly ca?: string | Buffer;
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
    readonly insecureSkipVerify?: boolean;
  };
  readonly maxSockets: number;
  readonly userAgent: string;
  /** The Authorization header of the next request, if any. */
  readonly authorization: () => string | undefined;
  /** Cap on a 2xx answer's body (ConnectLimits.maxBodyBytes). */
  readonly maxBodyBytes: number;
  readonly redactor: Redactor;
}

/** Bytes of a non-2xx answer kept for its error message: Connect's own error bodies are far smaller. */
const ERROR_BODY_BYTES = 4096;
/** Bytes of a 2xx answer kept to show where a body that is not JSON begins. */
const HEAD_BYTES = 256;
const HEAD_CHARS = 80;

export class ConnectHttp {
  private readonly agent: http.Agent;
  private readonly axios: AxiosInstance;
  private readonly lib: typeof http | typeof https;
  /** Aborts of the exchanges in flight, for close(). */
  private readonly inFlight = new Set<(why: string) => void>();
  private closed = false;

  constructor(
    private readonly base: URL,
    private readonly opts: ConnectHttpOptions,
  ) {
    const tls = opts.tls ?? {};
    this.lib = base.protocol === 'https:' ? https : http;
    this.agent =
      base.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            maxSockets: opts.maxSockets,
            ...(tls.ca === undefined ? {} : { ca: tls.ca }),
            ...(tls.cert === undefined ? {} : { cert: tls.cert }),
            ...(tls.key === undefined ? {} : { key: tls.key }),
            rejectUnauthorized: !(tls.insecureSkipVerify ?? false),
          })
        : new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets });
    this.axios = axios.create({
      httpAgent: this.agent,
      httpsAgent: this.agent,
      // The agent carries the CA and client certificate; proxy variables were never honoured.
      proxy: false,
      maxRedirects: 0,
      responseType: 'stream',
      // Every status comes back as a response: the reader below decides.
      validateStatus: null,
    });
  }

  close(): void {
    this.closed = true;
    for (const abort of [...this.inFlight]) abort('client closed');
    this.agent.destroy();
  }

  /**
   * One request to `path` (relative to the base URL, already encoded) within `timeoutMs`, connection and
   * whole body included. A 2xx body goes to a fresh `read()`; any other status is a ConnectApiError.
   */
  async send<T>(
    method: 'GET' | 'POST',
    path: string,
    timeoutMs: number,
    read: () => BodyReader<T>,
  ): Promise<{ status: number; value: T }> {
    const where = `/${path}`;
    if (this.closed) throw new ConnectTransportError(method, where, 'client closed');
    if (timeoutMs <= 0) throw new ConnectTransportError(method, where, 'deadline passed before the request');
    const headers: Record<string, string | false> = {
      accept: 'application/json',
      'accept-encoding': 'identity',
      'user-agent': this.opts.userAgent,
    };
    const authorization = this.opts.authorization();
    if (authorization !== undefined) headers.authorization = authorization;
    if (method === 'POST') {
      headers['content-length'] = '0';
      // axios would add a form content type to the empty body, and Connect's resources consume JSON
      // only (415). No body, no content type, as before.
      headers['content-type'] = false;
    }
    const controller = new AbortController();
    let reason: string | undefined;
    const abort = (why: string): void => {
      if (reason !== undefined) return;
      reason = why;
      controller.abort();
    };
    // A total deadline, not an idle timeout: a worker that trickles bytes must not hold the poll.
    const timer = setTimeout(() => abort(`timed out after ${timeoutMs} ms`), timeoutMs);
    this.inFlight.add(abort);
    // Sent as built: URL resolution would turn a connector named `..` (encoded or not) into a step up.
    const rawPath = this.base.pathname + path;
    const lib = this.lib;
    // The response as it came off the socket (res.data may be a decompressing stream): it knows whether
    // the whole body arrived.
    let incoming: http.IncomingMessage | undefined;
    try {
      let res: AxiosResponse<Readable>;
      try {
        res = await this.axios.request<Readable>({
          method,
          url: this.base.origin + rawPath,
          headers,
          signal: controller.signal,
          transport: {
            request: (options: http.RequestOptions, cb: (res: http.IncomingMessage) => void) =>
              lib.request({ ...options, path: rawPath }, (msg) => {
                incoming = msg;
                cb(msg);
              }),
          },
        });
      } catch (err) {
        throw transportError(method, where, reason, err);
      }
      return await this.receive(res, incoming, method, where, read, () => reason);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(abort);
    }
  }

  private receive<T>(
    res: AxiosResponse<Readable>,
    incoming: http.IncomingMessage | undefined,
    method: string,
    where: string,
    read: () => BodyReader<T>,
    reason: () => string | undefined,
  ): Promise<{ status: number; value: T }> {
    const status = res.status;
    const body = res.data;
    const complete = (): boolean => incoming?.complete ?? true;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        body.destroy();
        reject(err);
      };
      const cut = (): ConnectTransportError =>
        new ConnectTransportError(
          method,
          where,
          reason() ?? 'connection closed before the answer was complete',
        );
      body.on('error', (err: NodeJS.ErrnoException) =>
        fail(reason() !== undefined || !complete() ? cut() : transportError(method, where, undefined, err)),
      );
      // After 'end' or a failure this is a no-op; otherwise the stream went away without either.
      body.on('close', () => {
        if (!settled) fail(cut());
      });

      if (status < 200 || status >= 300) {
        // Only the start of an error body is kept: a worker or proxy may send any amount.
        const kept: Buffer[] = [];
        let size = 0;
        const finish = (truncated: boolean): void => {
          if (settled) return;
          settled = true;
          if (truncated) body.destroy();
          const text = this.opts.redactor.redact(Buffer.concat(kept).toString('utf8'), truncated);
          reject(new ConnectApiError(status, method, where, text));
        };
        body.on('data', (chunk: Buffer) => {
          if (settled) return;
          const room = ERROR_BODY_BYTES - size;
          kept.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
          size += Math.min(chunk.length, room);
          if (chunk.length > room) finish(true);
        });
        body.on('end', () => finish(false));
        return;
      }

      const max = this.opts.maxBodyBytes;
      const tooLarge = (): ConnectResponseError =>
        new ConnectResponseError(where, `body larger than ${max} bytes (limit maxBodyBytes)`);
      if (Number(res.headers['content-length']) > max) {
        fail(tooLarge());
        return;
      }
      const head = Buffer.allocUnsafe(HEAD_BYTES);
      let size = 0;
      let reader: BodyReader<T>;
      try {
        reader = read();
      } catch (err) {
        fail(err);
        return;
      }
      const failRead = (err: unknown): void => {
        const headText = head.toString('utf8', 0, Math.min(size, HEAD_BYTES));
        fail(this.withHead(err, where, headText, size > HEAD_BYTES || !complete()));
      };
      body.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (size < HEAD_BYTES) chunk.copy(head, size, 0, Math.min(chunk.length, HEAD_BYTES - size));
        size += chunk.length;
        if (size > max) {
          fail(tooLarge());
          return;
        }
        try {
          reader.push(chunk);
        } catch (err) {
          // The body cannot become valid: fail now rather than read the rest or wait for the deadline.
          failRead(err);
        }
      });
      body.on('end', () => {
        if (settled) return;
        if (!complete()) {
          fail(cut());
          return;
        }
        try {
          const value = reader.end();
          settled = true;
          resolve({ status, value });
        } catch (err) {
          failRead(err);
        }
      });
    });
  }

  /** A "not JSON" error with where the body begins, credentials removed; other errors as they are. */
  private withHead(err: unknown, where: string, head: string, truncated: boolean): unknown {
    if (!(err instanceof ConnectResponseError)) return err;
    if (!(err.cause instanceof JsonBodyError) || err.cause.kind !== 'syntax') return err;
    const clean = this.opts.redactor.redact(head, truncated);
    const shown = clean.length > HEAD_CHARS || truncated ? `${clean.slice(0, HEAD_CHARS)}…` : clean;
    return new ConnectResponseError(where, `${err.problem}; the body begins ${JSON.stringify(shown)}`, {
      cause: err.cause,
    });
  }
}

/** What a failed request says: why we aborted it, or the socket's error with its code. */
function transportError(
  method: string,
  where: string,
  reason: string | undefined,
  err: unknown,
): ConnectTransportError {
  if (reason !== undefined) return new ConnectTransportError(method, where, reason, { cause: err });
  const e = err as NodeJS.ErrnoException & { errors?: Error[] };
  // A failed connection to every address of a name is an AggregateError with an empty message.
  const message = e.message || e.errors?.[0]?.message || String(err);
  return new ConnectTransportError(method, where, e.code ? `${e.code} ${message}` : message, { cause: err });
}
