/** What the Kafka source learned about each dead letter queue: the content of /api/v1/dlq. */

/** Bytes shown as UTF-8 text when they are, else base64; cut to the configured limit. */
export interface PayloadView {
  readonly text: string;
  readonly encoding: 'utf8' | 'base64';
  readonly truncated: boolean;
}

export interface RecentRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: string | null;
  readonly stage: string;
  readonly exceptionClass: string;
  readonly exceptionMessage: string | null;
  readonly executingClass: string | null;
  readonly taskId: number | null;
  /** Where the failed record was consumed from. */
  readonly original: {
    readonly topic: string;
    readonly partition?: number;
    readonly offset?: number;
  } | null;
  readonly stacktrace: string | null;
  readonly key?: PayloadView | null;
  readonly value?: PayloadView | null;
}

export interface DlqConnectorStatus {
  readonly connector: string;
  readonly topic: string;
  readonly contextHeaders: boolean;
  /** Records retained / ever written, when the topic could be read this poll. */
  readonly records: number | null;
  readonly written: number | null;
  /** Why the topic's offsets are missing (e.g. it does not exist yet: Connect creates it when a task starts). */
  readonly problem: string | null;
  /** The connector's last errant records, newest first. */
  readonly recent: readonly RecentRecord[];
}

export interface DlqStatus {
  readonly connectors: readonly DlqConnectorStatus[];
  readonly reader: {
    readonly caughtUp: boolean;
    readonly error: string | null;
    /** Records whose connector header named a connector not configured with their topic. */
    readonly unattributed: number;
  };
}
