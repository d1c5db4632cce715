/** A connector's error-handling settings (KIP-298) with Connect's defaults applied. */
import type { ConnectorView } from './types.js';

export interface ErrorHandling {
  /** `none` or `all` (Connect's default: none). */
  readonly tolerance: string;
  readonly logEnable: boolean;
  /** Empty when the connector has no dead letter queue (always for source connectors). */
  readonly dlqTopic: string;
  readonly dlqContextHeaders: boolean;
}

function bool(v: string | undefined): boolean {
  return v !== undefined && v.trim().toLowerCase() === 'true';
}

export function errorHandling(c: Pick<ConnectorView, 'type' | 'config'>): ErrorHandling {
  const tolerance = (c.config['errors.tolerance'] ?? 'none').trim().toLowerCase() || 'none';
  // The DLQ keys exist in SinkConnectorConfig only; a source connector carrying them has no DLQ.
  const dlqTopic = c.type === 'sink' ? (c.config['errors.deadletterqueue.topic.name'] ?? '').trim() : '';
  return {
    tolerance,
    logEnable: bool(c.config['errors.log.enable']),
    dlqTopic,
    dlqContextHeaders: dlqTopic !== '' && bool(c.config['errors.deadletterqueue.context.headers.enable']),
  };
}
