import { readFileSync } from 'node:fs';
import type { ClusterConfig, Config } from '../config/schema.js';
import { ConnectClient, type ConnectAuth } from '../connect/client.js';
import { VERSION } from '../version.js';

/**
 * A Connect client for restart requests, with the cluster's URL, credentials and TLS. Its own instance, not
 * the poller's: the poll's request count (a metric) must not include restarts sent meanwhile.
 */
export function restartClientFor(cluster: ClusterConfig, config: Config): ConnectClient {
  return new ConnectClient({
    url: cluster.url,
    requestTimeoutMs: config.poll.timeoutMs,
    ...authOf(cluster),
    tls: {
      ...(cluster.tls.caFile ? { ca: readFileSync(cluster.tls.caFile) } : {}),
      ...(cluster.tls.certFile ? { cert: readFileSync(cluster.tls.certFile) } : {}),
      ...(cluster.tls.keyFile ? { key: readFileSync(cluster.tls.keyFile) } : {}),
      insecureSkipVerify: cluster.tls.insecureSkipVerify,
    },
    fallbackConcurrency: 4,
    userAgent: `connect-sentinel/${VERSION} (restarter)`,
  });
}

function authOf(cluster: ClusterConfig): { auth?: ConnectAuth } {
  if (cluster.basicAuth) return { auth: { kind: 'basic', ...cluster.basicAuth } };
  const file = cluster.bearerTokenFile;
  if (file === undefined) return {};
  // Read when a restart is sent, at most every 10 s, so a rotated token is picked up.
  let token = '';
  let readAt = -Infinity;
  return {
    auth: {
      kind: 'bearer',
      token: () => {
        if (Date.now() - readAt > 10_000) {
          token = readFileSync(file, 'utf8').trim();
          readAt = Date.now();
        }
        return token;
      },
    },
  };
}
