import type { ConnectClient } from '../connect/client.js';
import type { ConnectorView, ServerInfo } from '../connect/types.js';
import type { KafkaReader } from '../kafka/reader.js';
import type { StatusUpdate } from '../kafka/status-follower.js';
import type { Logger } from '../log.js';
import type {
  ClusterSnapshot,
  ConnectView,
  FailureCounters,
  KafkaView,
  StatusSourceView,
} from '../state/snapshot.js';
import { instancesHere, scopeToWorker, workersSeen } from '../state/scope.js';
import { StatusMerge } from '../state/status-merge.js';
import { countFailures } from '../state/transitions.js';
import { yieldToIo } from '../yield.js';

export interface ClusterPollerOptions {
  readonly cluster: string;
  readonly client: ConnectClient;
  readonly kafka?: KafkaReader;
  readonly intervalMs: number;
  /** Deadline of one poll of each source. */
  readonly timeoutMs: number;
  /** After a failed poll, the last good data is kept this long, then dropped. */
  readonly staleAfterMs: number;
  /** Fraction of the interval by which each wait is randomly shortened or lengthened. */
  readonly jitter?: number;
  /** `GET /` is asked on the first poll and then at most this often. */
  readonly serverInfoEveryMs?: number;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Worker scope: publish only what runs on this worker (its advertised host:port). */
  readonly workerId?: string;
  /**
   * A status record read less than this long before a poll's request was sent still beats that poll's
   * answer: the worker answering may not have read it yet (src/state/status-merge.ts).
   */
  readonly settleMs?: number;
  /**
   * Resolves once the status topic was read to its end (or the follower gave up for now): the first poll
   * waits for it, up to its deadline, so that a restarted sidecar publishes the topic's state from the start.
   */
  readonly statusSettled?: Promise<void>;
  readonly onSnapshot: (snapshot: ClusterSnapshot, previous: ClusterSnapshot | undefined) => void;
}

const NO_FAILURES: FailureCounters = { connectors: new Map(), tasks: new Map() };

/** A worker's read of its status topic lags ours by milliseconds; a stalled worker's, by seconds. */
const DEFAULT_SETTLE_MS = 5_000;
/** A record of a connector or task no poll has shown makes a poll this soon, to learn its config and type. */
const EARLY_POLL_DELAY_MS = 200;

/**
 * Polls one Connect cluster (and its Kafka, when configured) on an interval, and applies the status topic's
 * records between polls. Polls never overlap, never throw out of the loop, and each poll and each batch of
 * status records ends in new immutable snapshots handed to `onSnapshot`, in order.
 */
export class ClusterPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ClusterSnapshot> | undefined;
  private stopped = true;
  private last: ClusterSnapshot | undefined;
  /** The latest snapshot made from a successful Connect poll (what stale data is kept from). */
  private lastGoodConnect: ConnectView | undefined;
  private lastGoodKafka: KafkaView | undefined;
  /** The poll's connectors with the status records applied, before worker scope. */
  private readonly merge: StatusMerge;
  /** The connectors of the latest snapshot (scoped), its failure counters, and what the next list is counted against. */
  private shown: readonly ConnectorView[] = [];
  private failures: FailureCounters = NO_FAILURES;
  private countedAgainst: readonly ConnectorView[] | undefined;
  private status: StatusSourceView | undefined;
  /** Every connector name of the latest successful poll, and who waits for the first. */
  private names: readonly string[] | undefined;
  private namesWaiting: ((names: readonly string[]) => void)[] = [];
  private serverInfo: ServerInfo | undefined;
  private serverInfoAt = -Infinity;
  private connectErrors = 0;
  private kafkaErrors = 0;
  private warnedWorkerId = false;
  /** The reason each failing source failed with last (a warning is logged when it changes). */
  private readonly failing: Record<'connect' | 'kafka', string | undefined> = {
    connect: undefined,
    kafka: undefined,
  };
  private waitedForStatus = false;
  private early: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: ClusterPollerOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.merge = new StatusMerge({ settleMs: opts.settleMs ?? DEFAULT_SETTLE_MS });
  }

  get cluster(): string {
    return this.opts.cluster;
  }

  get snapshot(): ClusterSnapshot | undefined {
    return this.last;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.early) clearTimeout(this.early);
    this.early = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Every connector name the REST API listed in the latest successful poll; waits for the first one. */
  polledNames(): Promise<readonly string[]> {
    if (this.names !== undefined) return Promise.resolve(this.names);
    return new Promise((resolve) => this.namesWaiting.push(resolve));
  }

  /**
   * Status records (and the follower's health) between polls: one snapshot per step of the merge, so every
   * transition is counted and seen by the consumers, or one for the health alone. Before the first poll
   * the records only wait in the merge: which connectors exist is the poll's to say.
   */
  applyStatus(update: StatusUpdate): void {
    this.status = update.view;
    const last = this.last;
    try {
      const { steps, unknown } =
        update.records.length > 0
          ? this.merge.apply(update.records, update.readAt, update.bootstrap)
          : { steps: [], unknown: 0 };
      // A bootstrap's unknown records are old ones: the first poll is on its way anyway.
      if (unknown > 0 && !update.bootstrap) this.pollSoon();
      for (const step of steps) {
        const connectors = this.scoped(step);
        this.count(connectors);
        // A poll in flight publishes them.
        if (last === undefined) continue;
        this.emit({
          ...last,
          takenAt: this.now(),
          connect: { ...last.connect, connectors },
          failures: this.failures,
          status: update.view,
        });
      }
      if (steps.length === 0 && last !== undefined)
        this.emit({ ...last, takenAt: this.now(), status: update.view });
    } catch (err) {
      // Only a bug gets here; the next poll reconciles.
      this.opts.logger.error({ err }, 'applying status records failed');
    }
  }

  /** A poll shortly, after the one running (which may have been sent before the news): REST says what exists. */
  private pollSoon(): void {
    if (this.stopped || this.early !== undefined) return;
    this.early = setTimeout(() => {
      void (this.running ?? Promise.resolve()).then(() => {
        this.early = undefined;
        if (!this.stopped) void this.pollOnce();
      });
    }, EARLY_POLL_DELAY_MS);
    this.early.unref();
  }

  /** One poll now, unless one is running: then that one's result. */
  pollOnce(): Promise<ClusterSnapshot> {
    this.running ??= this.poll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = this.now();
      void this.pollOnce().then(() => {
        const spread = (this.opts.jitter ?? 0.1) * (2 * this.random() - 1);
        const next = this.opts.intervalMs * (1 + spread) - (this.now() - started);
        this.schedule(Math.max(0, next));
      });
    }, delay);
    this.timer.unref();
  }

  private async poll(): Promise<ClusterSnapshot> {
    let snapshot: ClusterSnapshot;
    try {
      const connect = await this.pollConnect();
      if (!this.waitedForStatus && this.opts.statusSettled) {
        this.waitedForStatus = true;
        await this.until(this.opts.statusSettled, this.now() + this.opts.timeoutMs);
      }
      const kafka = this.opts.kafka
        ? await this.pollKafka(this.opts.kafka, instancesHere(connect.connectors))
        : undefined;
      snapshot = {
        cluster: this.opts.cluster,
        takenAt: this.now(),
        // Status records applied while Kafka was read are newer than the list the poll returned.
        connect: { ...connect, connectors: this.shown },
        failures: this.failures,
        ...(kafka ? { kafka } : {}),
        ...(this.status ? { status: this.status } : {}),
      };
    } catch (err) {
      // Only a bug gets here; the sources catch their own failures. Keep the loop alive regardless.
      this.opts.logger.error({ err }, 'poll failed unexpectedly');
      snapshot = this.last ?? this.emptySnapshot(String(err));
    }
    this.emit(snapshot);
    return snapshot;
  }

  /** Waits for `p` up to `deadline`; never throws. */
  private async until(p: Promise<void>, deadline: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      p.catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - this.now()));
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  private emit(snapshot: ClusterSnapshot): void {
    const previous = this.last;
    this.last = snapshot;
    try {
      this.opts.onSnapshot(snapshot, previous);
    } catch (err) {
      this.opts.logger.error({ err }, 'snapshot consumer failed');
    }
  }

  /** Worker scope applied, when configured. */
  private scoped(connectors: readonly ConnectorView[]): readonly ConnectorView[] {
    return this.opts.workerId === undefined ? connectors : this.scope(connectors, this.opts.workerId);
  }

  /** Makes `connectors` the shown list, counting its transitions into FAILED against the previous one. */
  private count(connectors: readonly ConnectorView[]): void {
    this.failures = countFailures(this.countedAgainst, connectors, this.failures);
    this.countedAgainst = connectors;
    this.shown = connectors;
  }

  private async pollConnect(): Promise<ConnectView> {
    const started = this.now();
    const deadline = started + this.opts.timeoutMs;
    const client = this.opts.client;
    const requestsBefore = client.requests;
    const wantInfo =
      this.serverInfo === undefined ||
      started - this.serverInfoAt >= (this.opts.serverInfoEveryMs ?? 300_000);
    const infoPromise = wantInfo ? client.serverInfo(deadline) : undefined;
    try {
      const [list, info] = await Promise.all([
        client.listConnectors(deadline),
        infoPromise?.catch(() => undefined),
      ]);
      // Parsing a large answer blocked the loop; let waiting scrapes through before counting transitions.
      await yieldToIo();
      if (info) {
        this.serverInfo = info;
        this.serverInfoAt = started;
      }
      const sorted = [...list.connectors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const connectors = this.scoped(this.merge.poll(sorted, started));
      this.count(connectors);
      this.names = sorted.map((c) => c.name);
      for (const resolve of this.namesWaiting.splice(0)) resolve(this.names);
      const end = this.now();
      const view: ConnectView = {
        up: true,
        durationSeconds: (end - started) / 1000,
        lastSuccessAt: end,
        errorsTotal: this.connectErrors,
        ...(this.serverInfo ? { info: this.serverInfo } : {}),
        connectors,
        stale: false,
        expanded: list.expanded,
        requests: client.requests - requestsBefore,
      };
      this.lastGoodConnect = view;
      this.reportSuccess('connect');
      return view;
    } catch (err) {
      await infoPromise?.catch(() => undefined);
      this.connectErrors++;
      const end = this.now();
      const message = err instanceof Error ? err.message : String(err);
      this.reportFailure('connect', message);
      const good = this.lastGoodConnect;
      const keep = good?.lastSuccessAt !== undefined && end - good.lastSuccessAt <= this.opts.staleAfterMs;
      if (!keep) {
        this.failures = NO_FAILURES;
        this.shown = [];
        this.merge.clear();
      }
      return {
        up: false,
        durationSeconds: (end - started) / 1000,
        ...(good?.lastSuccessAt !== undefined ? { lastSuccessAt: good.lastSuccessAt } : {}),
        errorsTotal: this.connectErrors,
        error: message,
        ...(keep && this.serverInfo ? { info: this.serverInfo } : {}),
        connectors: this.shown,
        stale: true,
        expanded: good?.expanded ?? false,
        requests: client.requests - requestsBefore,
      };
    }
  }

  /**
   * A failing source is a warning when it starts failing and when the reason changes; the same failure again
   * is debug (kafka_connect_up and connect_sentinel_poll_errors_total count every one).
   */
  private reportFailure(source: 'connect' | 'kafka', message: string): void {
    const what = source === 'connect' ? 'Connect poll failed' : 'Kafka poll failed';
    if (this.failing[source] === message) {
      this.opts.logger.debug({ err: message }, `${what} again`);
    } else {
      this.opts.logger.warn({ err: message }, what);
      this.failing[source] = message;
    }
  }

  private reportSuccess(source: 'connect' | 'kafka'): void {
    if (this.failing[source] === undefined) return;
    this.opts.logger.info(`${source === 'connect' ? 'Connect' : 'Kafka'} poll succeeded again`);
    this.failing[source] = undefined;
  }

  private scope(connectors: readonly ConnectorView[], workerId: string): ConnectorView[] {
    const seen = this.warnedWorkerId ? undefined : workersSeen(connectors);
    if (seen !== undefined && seen.size > 0 && !seen.has(workerId)) {
      this.warnedWorkerId = true;
      this.opts.logger.warn(
        { workerId, workers: [...seen].sort() },
        'worker id not among the workers running connectors or tasks: nothing is published unless it is idle; check connect.worker-id',
      );
    }
    return scopeToWorker(connectors, workerId);
  }

  private async pollKafka(reader: KafkaReader, connectors: readonly ConnectorView[]): Promise<KafkaView> {
    const started = this.now();
    try {
      const data = await reader.read(connectors, started + this.opts.timeoutMs);
      const end = this.now();
      const view: KafkaView = {
        up: true,
        durationSeconds: (end - started) / 1000,
        lastSuccessAt: end,
        errorsTotal: this.kafkaErrors,
        ...data,
      };
      this.lastGoodKafka = view;
      this.reportSuccess('kafka');
      return view;
    } catch (err) {
      this.kafkaErrors++;
      const end = this.now();
      const message = err instanceof Error ? err.message : String(err);
      this.reportFailure('kafka', message);
      const good = this.lastGoodKafka;
      const keep = good?.lastSuccessAt !== undefined && end - good.lastSuccessAt <= this.opts.staleAfterMs;
      return {
        up: false,
        durationSeconds: (end - started) / 1000,
        ...(good?.lastSuccessAt !== undefined ? { lastSuccessAt: good.lastSuccessAt } : {}),
        errorsTotal: this.kafkaErrors,
        error: message,
        dlq: keep ? good.dlq : [],
        dlqErrors: keep ? good.dlqErrors : [],
        dlqLast: keep ? good.dlqLast : [],
        lag: keep ? good.lag : [],
        dlqStatus: keep
          ? good.dlqStatus
          : { connectors: [], reader: { caughtUp: false, error: message, unattributed: 0 } },
      };
    }
  }

  private emptySnapshot(error: string): ClusterSnapshot {
    return {
      cluster: this.opts.cluster,
      takenAt: this.now(),
      connect: {
        up: false,
        durationSeconds: 0,
        errorsTotal: this.connectErrors,
        error,
        connectors: [],
        stale: true,
        expanded: false,
        requests: 0,
      },
      failures: NO_FAILURES,
    };
  }
}
