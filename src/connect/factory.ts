import { readFileSync } from 'node:fs';
import type { ClusterConfig, Config } from '../config/schema.js';
import { VERSION } from '../version.js';
import { ConnectClient, type ConnectAuth } from './client.js';

/** A Connect REST client with the cluster's URL, credentials and TLS files, as configured. */
export function connectClientFor(
  cluster: ClusterConfig,
  config: Config,
  opts: { purpose?: string; fallbackConcurrency?: number } = {},
): ConnectClient {
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
    ...(opts.fallbackConcurrency === undefined ? {} : { fallbackConcurrency: opts.fallbackConcurrency }),
    userAgent: `connect-sentinel/${VERSION}${opts.purpose ? ` (${opts.purpose})` : ''}`,
    limits: config.limits,
  });
}

function authOf(cluster: ClusterConfig): { auth?: ConnectAuth } {
  if (cluster.basicAuth) return { auth: { kind: 'basic', ...cluster.basicAuth } };
  const file = cluster.bearerTokenFile;
  if (file === undefined) return {};
  // Re-read at most every 10 s so a rotated token is picked up without a file read per request.
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
