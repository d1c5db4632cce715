import type { ClusterConfig, Config } from '../config/schema.js';
import type { ConnectClient } from '../connect/client.js';
import { connectClientFor } from '../connect/factory.js';

/**
 * A Connect client for restart requests, with the cluster's URL, credentials and TLS. Its own instance, not
 * the poller's: the poll's request count (a metric) must not include restarts sent meanwhile.
 */
export function restartClientFor(cluster: ClusterConfig, config: Config): ConnectClient {
  return connectClientFor(cluster, config, { purpose: 'restarter', fallbackConcurrency: 4 });
}
