/** Listens: the express application on HTTP, or on HTTPS when the web config has TLS. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpApp, type RouteOptions } from './routes.js';

export type { MetricsSource } from './metrics-route.js';

export interface HttpOptions extends RouteOptions {
  /** Undefined: every address. */
  readonly host?: string;
  /** 0: any free port (see RunningServer.port). */
  readonly port: number;
}

export interface RunningServer {
  /** Where to reach it: `http(s)://host:port`, with 127.0.0.1 for a server on every address. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'unknown host',
};

function hostPort(host: string | undefined, port: number): string {
  if (host === undefined) return `:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Rejects with one line, e.g. "cannot listen on 127.0.0.1:9840: address already in use", for main to print. */
export function startHttpServer(opts: HttpOptions): Promise<RunningServer> {
  const app = httpApp(opts);
  const server = opts.webConfig?.createServer(app) ?? http.createServer(app);
  // Longer than the usual idle timeouts of scrapers and proxies in front (60 s), so they close first.
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => {
      const why = LISTEN_ERRORS[err.code ?? ''] ?? err.message;
      reject(new Error(`cannot listen on ${hostPort(opts.host, opts.port)}: ${why}`, { cause: err }));
    };
    server.once('error', failed);
    server.listen(opts.port, opts.host, () => {
      server.off('error', failed);
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const scheme = 'setSecureContext' in server ? 'https' : 'http';
      resolve({
        url: `${scheme}://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`,
        port: addr.port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
