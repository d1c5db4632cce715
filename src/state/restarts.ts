/**
 * What healing publishes: its counters per connector and the events of the restarts it made. Healing owns
 * these; they never enter a ClusterSnapshot (data flows one way: sources → snapshot → consumers).
 */
import type { ConnectorView } from '../connect/types.js';

export interface RestartView {
  readonly attempts: ReadonlyMap<string, number>;
  readonly failures: ReadonlyMap<string, number>;
  /** 409 answers to restart requests (a rebalance or a stale config): retried after the backoff. */
  readonly conflicts: ReadonlyMap<string, number>;
  readonly budgetExhausted: ReadonlySet<string>;
  /**
   * Epoch ms before which the next restart of a connector will not be made, for the connectors restarted in
   * the current episode whose budget is not spent. A failing connector without an entry is restarted on the
   * next poll (none made yet), or not at all (budget spent).
   */
  readonly nextAttemptAt: ReadonlyMap<string, number>;
}

/** A restart Connect accepted (or that dry-run would have made), or a budget that ran out. */
export interface RestartEvent {
  readonly kind: 'restarted' | 'exhausted';
  readonly cluster: string;
  /** The connector as the decision saw it. */
  readonly connector: ConnectorView;
  /** 1-based attempt of the episode. */
  readonly attempt: number;
  /** The FAILED tasks the restart was (or would have been) for. */
  readonly tasks: readonly number[];
  /** Epoch ms before which the next attempt will not be made; null once the budget is spent. */
  readonly nextAllowedAt: number | null;
  readonly dryRun: boolean;
  /** Epoch ms of the decision or of Connect's answer. */
  readonly at: number;
}
