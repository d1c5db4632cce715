/** Shapes of the Kafka Connect REST API (3.x/4.x) as connect-sentinel uses them. */

export const CONNECTOR_STATES = [
  'RUNNING',
  'PAUSED',
  'STOPPED',
  'FAILED',
  'UNASSIGNED',
  'RESTARTING',
] as const;
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

/** STOPPED applies to connectors only (KIP-875); tasks of a stopped connector disappear. */
export const TASK_STATES = ['RUNNING', 'PAUSED', 'FAILED', 'UNASSIGNED', 'RESTARTING'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export type ConnectorType = 'source' | 'sink' | 'unknown';

/**
 * A state as Connect reported it. Known states are the unions above; a state this version does not know
 * (a newer worker) is kept as reported rather than dropped or guessed.
 */
export type ConnectorStateValue = ConnectorState | (string & {});
export type TaskStateValue = TaskState | (string & {});

export interface TaskStatus {
  readonly id: number;
  readonly state: TaskStateValue;
  readonly workerId: string;
  readonly trace?: string;
}

export interface ConnectorStatus {
  readonly name: string;
  readonly type: ConnectorType;
  readonly state: ConnectorStateValue;
  readonly workerId: string;
  readonly trace?: string;
  readonly tasks: readonly TaskStatus[];
}

/** One connector as seen in one poll: its status joined with its config. */
export interface ConnectorView extends ConnectorStatus {
  readonly className: string;
  /** The connector's config as Connect returns it (secrets are usually externalized by Connect itself). */
  readonly config: Readonly<Record<string, string>>;
  /** Set in worker scope (src/state/scope.ts): `tasks` then holds only the local worker's tasks. */
  readonly scoped?: WorkerScope;
}

export interface WorkerScope {
  /** The connector instance runs on the local worker: only then are connector-level series published. */
  readonly instanceHere: boolean;
  /** Tasks the connector has on all workers. */
  readonly totalTasks: number;
}

/** `GET /` */
export interface ServerInfo {
  readonly version: string;
  readonly commit: string;
  readonly kafkaClusterId: string;
}
