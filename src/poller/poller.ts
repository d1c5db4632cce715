import type { ConnectClient } from '../connect/client.js';
import type { ConnectorView, ServerInfo } from '../connect/types.js';
import type { KafkaReader } from '../kafka/reader.js';
import type { Logger } from '../log.js';
import type { ClusterSnapshot, ConnectView, FailureCounters, KafkaView } from '../state/snapshot.js';
import { instancesHere, scopeToWorker, workersSeen } from '../state/scope.js';
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
  readonly onSnapshot: (snapshot: ClusterSnapshot, previous: ClusterSnapshot | undefined) => void;
}

const NO_FAILURES: FailureCounters = { connectors: new Map(), tasks: new Map() };

/**
 * Polls one Connect cluster (and its Kafka, when configured) on an interval. Polls never overlap, never
 * throw out of the loop, and each ends in a new immutable snapshot handed to `onSnapshot`.
 */
export class ClusterPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ClusterSnapshot> | undefined;
  private stopped = true;
  private last: ClusterSnapshot | undefined;
  /** The latest snapshot made from a successful Connect poll (what stale data is kept from). */
  private lastGoodConnect: ConnectView | undefined;
  private lastGoodFailures: FailureCounters = NO_FAILURES;
  private lastGoodKafka: KafkaView | undefined;
  private serverInfo: ServerInfo | undefined;
  private serverInfoAt = -Infinity;
  private connectErrors = 0;
  private kafkaErrors = 0;
  private warnedWorkerId = false;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: ClusterPollerOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
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
    await this.running?.catch(() => undefined);
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
    const previous = this.last;
    let snapshot: ClusterSnapshot;
    try {
      const connect = await this.pollConnect();
      const kafka = this.opts.kafka
        ? await this.pollKafka(this.opts.kafka, instancesHere(connect.connectors))
        : undefined;
      snapshot = {
        cluster: this.opts.cluster,
        takenAt: this.now(),
        connect,
        failures: this.lastGoodFailures,
        ...(kafka ? { kafka } : {}),
      };
    } catch (err) {
      // Only a bug gets here; the sources catch their own failures. Keep the loop alive regardless.
      this.opts.logger.error({ err, cluster: this.opts.cluster }, 'poll failed unexpectedly');
      snapshot = previous ?? this.emptySnapshot(String(err));
    }
    this.last = snapshot;
    try {
      this.opts.onSnapshot(snapshot, previous);
    } catch (err) {
      this.opts.logger.error({ err, cluster: this.opts.cluster }, 'snapshot consumer failed');
    }
    return snapshot;
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
      const connectors = this.opts.workerId === undefined ? sorted : this.scope(sorted, this.opts.workerId);
      this.lastGoodFailures = countFailures(
        this.lastGoodConnect?.connectors,
        connectors,
        this.lastGoodFailures,
      );
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
      return view;
    } catch (err) {
      await infoPromise?.catch(() => undefined);
      this.connectErrors++;
      const end = this.now();
      const message = err instanceof Error ? err.message : String(err);
      this.opts.logger.warn({ cluster: this.opts.cluster, err: message }, 'Connect poll failed');
      const good = this.lastGoodConnect;
      const keep = good?.lastSuccessAt !== undefined && end - good.lastSuccessAt <= this.opts.staleAfterMs;
      if (!keep) this.lastGoodFailures = NO_FAILURES;
      return {
        up: false,
        durationSeconds: (end - started) / 1000,
        ...(good?.lastSuccessAt !== undefined ? { lastSuccessAt: good.lastSuccessAt } : {}),
        errorsTotal: this.connectErrors,
        error: message,
        ...(keep && this.serverInfo ? { info: this.serverInfo } : {}),
        connectors: keep ? good.connectors : [],
        stale: true,
        expanded: good?.expanded ?? false,
        requests: client.requests - requestsBefore,
      };
    }
  }

  private scope(connectors: readonly ConnectorView[], workerId: string): ConnectorView[] {
    const seen = workersSeen(connectors);
    if (!this.warnedWorkerId && seen.size > 0 && !seen.has(workerId)) {
      this.warnedWorkerId = true;
      this.opts.logger.warn(
        { cluster: this.opts.cluster, workerId, workers: [...seen].sort() },
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
      return view;
    } catch (err) {
      this.kafkaErrors++;
      const end = this.now();
      const message = err instanceof Error ? err.message : String(err);
      this.opts.logger.warn({ cluster: this.opts.cluster, err: message }, 'Kafka poll failed');
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
