/**
 * Delivers notifications to webhook receivers. notify() only queues, so the poller never waits; each URL has
 * its own bounded queue and delivers in order, one request at a time, with a deadline and retries. A
 * receiver's answer is read to at most ANSWER_BYTES and redirects are not followed: a 3xx would forward
 * the event to wherever the receiver points, so it counts as failed.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance } from 'axios';
import { retry } from '../lib/retry.js';
import type { Logger } from '../log.js';
import type { Notification } from './events.js';

export interface WebhookNotifierOptions {
  readonly urls: readonly string[];
  /** Deadline of one delivery attempt: connect, send, and read the answer. */
  readonly timeoutMs: number;
  /** Events waiting per URL; beyond this the oldest waiting event is dropped. */
  readonly queueSize: number;
  readonly logger: Logger;
  /** Attempts per event, the first included. */
  readonly maxAttempts?: number;
  /** Wait before the 2nd attempt; doubles each time up to retryMaxMs. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly userAgent?: string;
  /** A cluster's counts changed (an event delivered, failed or dropped): its series are published at once. */
  readonly onCount?: (cluster: string, counts: Readonly<NotificationCounts>) => void;
}

export const WEBHOOK_DEFAULTS = { maxAttempts: 5, retryBaseMs: 1_000, retryMaxMs: 30_000 } as const;

/** What became of one cluster's events, summed over the receivers (each receiver counts each event). */
export interface NotificationCounts {
  delivered: number;
  failed: number;
  dropped: number;
}

export class WebhookNotifier {
  private readonly targets: WebhookTarget[];
  private readonly byCluster = new Map<string, NotificationCounts>();
  private readonly agents = [
    new http.Agent({ keepAlive: true }),
    new https.Agent({ keepAlive: true }),
  ] as const;

  private readonly onCount: WebhookNotifierOptions['onCount'];

  constructor(opts: WebhookNotifierOptions) {
    this.onCount = opts.onCount;
    const client = axios.create({
      httpAgent: this.agents[0],
      httpsAgent: this.agents[1],
      // As fetch did: proxy variables are not honoured.
      proxy: false,
      maxRedirects: 0,
      responseType: 'stream',
      // The answer is only read to free the connection, never decoded.
      decompress: false,
      validateStatus: null,
    });
    this.targets = opts.urls.map(
      (url) => new WebhookTarget(url, opts, client, (n, outcome) => this.count(n, outcome)),
    );
  }

  /** The counts of one cluster's events so far (zeros before its first event). */
  counts(cluster: string): Readonly<NotificationCounts> {
    return this.byCluster.get(cluster) ?? { delivered: 0, failed: 0, dropped: 0 };
  }

  private count(n: Notification, outcome: keyof NotificationCounts): void {
    let c = this.byCluster.get(n.cluster);
    if (c === undefined) {
      c = { delivered: 0, failed: 0, dropped: 0 };
      this.byCluster.set(n.cluster, c);
    }
    c[outcome]++;
    this.onCount?.(n.cluster, c);
  }

  /** Queues the event for every receiver and returns at once. */
  notify(n: Notification): void {
    for (const t of this.targets) t.enqueue(n);
  }

  /** Resolves when every queue is empty, or after timeoutMs. True when everything was handled. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.targets.every((t) => t.idle)) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.targets.every((t) => t.idle);
  }

  /** Stops sending: waiting events are dropped, a delivery in progress is aborted. */
  close(): void {
    for (const t of this.targets) t.close();
    for (const a of this.agents) a.destroy();
  }
}

/** Bytes of a receiver's answer that are read (and dropped) before the connection is given up. */
const ANSWER_BYTES = 4096;

/** One failed attempt; `retry` when another attempt may succeed. */
class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

class WebhookTarget {
  private readonly queue: Notification[] = [];
  private busy = false;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly receiver: string;
  private dropped = 0;
  private lastDropLog = -Infinity;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(
    private readonly url: string,
    private readonly opts: WebhookNotifierOptions,
    private readonly client: AxiosInstance,
    private readonly counted: (n: Notification, outcome: keyof NotificationCounts) => void,
  ) {
    this.receiver = new URL(url).origin;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? WEBHOOK_DEFAULTS.maxAttempts);
    this.retryBaseMs = opts.retryBaseMs ?? WEBHOOK_DEFAULTS.retryBaseMs;
    this.retryMaxMs = opts.retryMaxMs ?? WEBHOOK_DEFAULTS.retryMaxMs;
  }

  get idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  enqueue(n: Notification): void {
    if (this.closed) return;
    if (this.queue.length >= this.opts.queueSize) {
      const old = this.queue.shift();
      this.dropped++;
      if (old) this.counted(old, 'dropped');
      // A receiver down for hours would otherwise log once per event.
      if (Date.now() - this.lastDropLog > 60_000) {
        this.lastDropLog = Date.now();
        this.opts.logger.warn(
          { receiver: this.receiver, dropped: this.dropped, queueSize: this.opts.queueSize },
          'webhook queue full; dropping the oldest events',
        );
      }
    }
    this.queue.push(n);
    if (!this.busy) void this.pump();
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.abort.abort();
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      for (let n = this.queue.shift(); n !== undefined && !this.closed; n = this.queue.shift()) {
        await this.deliver(n);
      }
    } catch (err) {
      this.opts.logger.error({ err, receiver: this.receiver }, 'webhook delivery loop failed');
    } finally {
      this.busy = false;
    }
  }

  private async deliver(n: Notification): Promise<void> {
    const body = JSON.stringify(n);
    const fields = {
      receiver: this.receiver,
      id: n.id,
      event: n.event,
      connector: n.connector,
      task: n.task,
    };
    let attempts = 0;
    try {
      await retry(
        (attempt) => {
          attempts = attempt;
          return this.post(body);
        },
        {
          deadline: Infinity,
          baseMs: this.retryBaseMs,
          maxMs: this.retryMaxMs,
          maxAttempts: this.maxAttempts,
          signal: this.abort.signal,
          retryable: (err) => err instanceof DeliveryError && err.retry,
          onRetry: (err, attempt, wait) =>
            this.opts.logger.debug(
              { ...fields, attempt, err: (err as Error).message, retryInMs: wait },
              'webhook delivery failed; retrying',
            ),
        },
      );
    } catch (err) {
      if (this.closed) return;
      this.counted(n, 'failed');
      this.opts.logger.warn(
        { ...fields, attempt: attempts, err: (err as Error).message },
        'webhook delivery failed; giving up on this event',
      );
      return;
    }
    if (this.closed) return;
    this.counted(n, 'delivered');
    this.opts.logger.debug({ ...fields, attempt: attempts }, 'webhook delivered');
  }

  /** One attempt within timeoutMs (connect, send, read the answer); throws a DeliveryError if it failed. */
  private async post(body: string): Promise<void> {
    const request = new AbortController();
    let reason: string | undefined;
    const stop = (why: string): void => {
      reason ??= why;
      request.abort();
    };
    const timer = setTimeout(() => stop(`timed out after ${this.opts.timeoutMs} ms`), this.opts.timeoutMs);
    const onClose = (): void => stop('notifier closed');
    this.abort.signal.addEventListener('abort', onClose, { once: true });
    try {
      let status: number;
      try {
        const res = await this.client.post<Readable>(this.url, body, {
          headers: {
            'content-type': 'application/json',
            'user-agent': this.opts.userAgent ?? 'connect-sentinel',
          },
          signal: request.signal,
        });
        status = res.status;
        // Read so the connection can be reused, but no more than a few KB, within the deadline. The
        // status has decided: an answer cut short changes nothing.
        await readAtMost(res.data, ANSWER_BYTES).catch(() => undefined);
      } catch (err) {
        throw new DeliveryError(reason ?? describe(err), true);
      }
      if (status >= 200 && status < 300) return;
      if (status >= 300 && status < 400) {
        throw new DeliveryError(`answered ${status}; redirects are not followed`, false);
      }
      // Any other 4xx means the receiver will not take it however often we ask.
      throw new DeliveryError(`answered ${status}`, status >= 500 || status === 408 || status === 429);
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onClose);
    }
  }
}

/** Reads `body` to its end, or drops it once more than `max` bytes came; rejects if the stream fails. */
function readAtMost(body: Readable, max: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        body.destroy();
        resolve();
      }
    });
    body.on('end', () => resolve());
    body.on('error', reject);
    body.on('close', () => resolve());
  });
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { errors?: Error[] };
  // A failed connection to every address of a name is an AggregateError with an empty message.
  const message = e.message || e.errors?.[0]?.message || String(err);
  return e.code ? `${e.code} ${message}` : message;
}
