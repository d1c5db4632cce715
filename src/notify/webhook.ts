/**
 * Delivers notifications to webhook receivers. notify() only queues, so the poller never waits; each URL has
 * its own bounded queue and delivers in order, one request at a time, with a timeout and retries.
 */
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

export interface WebhookStats {
  /** Receiver origin only: webhook URLs often carry a secret in their path. */
  readonly receiver: string;
  readonly delivered: number;
  /** Given up on after every attempt, or refused with a 4xx. */
  readonly failed: number;
  /** Pushed out of a full queue. */
  readonly dropped: number;
  readonly queued: number;
}

/** What became of one cluster's events, summed over the receivers (each receiver counts each event). */
export interface NotificationCounts {
  delivered: number;
  failed: number;
  dropped: number;
}

export class WebhookNotifier {
  private readonly targets: WebhookTarget[];
  private readonly byCluster = new Map<string, NotificationCounts>();

  private readonly onCount: WebhookNotifierOptions['onCount'];

  constructor(opts: WebhookNotifierOptions) {
    this.onCount = opts.onCount;
    this.targets = opts.urls.map(
      (url) => new WebhookTarget(url, opts, (n, outcome) => this.count(n, outcome)),
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

  stats(): WebhookStats[] {
    return this.targets.map((t) => t.stats());
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
  }
}

class WebhookTarget {
  private readonly queue: Notification[] = [];
  private busy = false;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly receiver: string;
  private delivered = 0;
  private failed = 0;
  private dropped = 0;
  private lastDropLog = -Infinity;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(
    private readonly url: string,
    private readonly opts: WebhookNotifierOptions,
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

  stats(): WebhookStats {
    return {
      receiver: this.receiver,
      delivered: this.delivered,
      failed: this.failed,
      dropped: this.dropped,
      queued: this.queue.length,
    };
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
    for (let attempt = 1; ; attempt++) {
      const result = await this.post(body);
      if (this.closed) return;
      if (result.ok) {
        this.delivered++;
        this.counted(n, 'delivered');
        this.opts.logger.debug({ ...fields, attempt }, 'webhook delivered');
        return;
      }
      if (!result.retry || attempt >= this.maxAttempts) {
        this.failed++;
        this.counted(n, 'failed');
        this.opts.logger.warn(
          { ...fields, attempt, err: result.error },
          'webhook delivery failed; giving up on this event',
        );
        return;
      }
      const wait = Math.min(this.retryBaseMs * 2 ** (attempt - 1), this.retryMaxMs);
      this.opts.logger.debug(
        { ...fields, attempt, err: result.error, retryInMs: wait },
        'webhook delivery failed; retrying',
      );
      await this.sleep(wait);
      if (this.closed) return;
    }
  }

  private async post(body: string): Promise<{ ok: true } | { ok: false; retry: boolean; error: string }> {
    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, this.opts.timeoutMs);
    const onClose = (): void => request.abort();
    this.abort.signal.addEventListener('abort', onClose, { once: true });
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': this.opts.userAgent ?? 'connect-sentinel',
        },
        body,
        signal: request.signal,
      });
      // Read the answer so the connection can be reused; the deadline covers this too.
      await res.arrayBuffer();
      if (res.ok) return { ok: true };
      // Any other 4xx means the receiver will not take it however often we ask.
      const retry = res.status >= 500 || res.status === 408 || res.status === 429;
      return { ok: false, retry, error: `answered ${res.status}` };
    } catch (err) {
      const error = timedOut
        ? `timed out after ${this.opts.timeoutMs} ms`
        : err instanceof Error
          ? describe(err)
          : String(err);
      return { ok: false, retry: true, error };
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onClose);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function describe(err: Error): string {
  // fetch wraps the socket error: "fetch failed" with the useful part in cause.
  const cause = err.cause as (Error & { code?: string }) | undefined;
  if (cause) return cause.code ? `${cause.code} ${cause.message}` : cause.message;
  return err.message;
}
